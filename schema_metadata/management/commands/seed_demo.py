"""The demo organization, user and project, and the demo shop database connected to it.

Lives in schema_metadata, the lowest app that knows all it creates (organizations, projects, connections).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from dbooster.errors import DomainError
from organizations.models import Organization
from projects.models import Project
from schema_metadata import demo_shop, services
from schema_metadata.models import DatabaseConnection

DEMO_EMAIL = "demo@dbooster.local"
DEMO_PASSWORD = "dbooster-demo-password"


class Command(BaseCommand):
    help = "Create the demo organization, user and project (idempotent) and print the demo sign-in."

    def add_arguments(self, parser):
        parser.add_argument("--skip-demo-db", action="store_true", help="Do not create the demo shop database.")

    @transaction.atomic
    def _seed(self):
        User = get_user_model()
        org, _ = Organization.objects.get_or_create(name="Demo organization", defaults={"plan": "team"})
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                full_name="Demo User",
                organization=org,
                role="admin",
                email_verified_at=timezone.now(),
            )
        if not user.is_staff:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        project, _ = Project.objects.get_or_create(
            organization=org, name="Demo shop", defaults={"description": "A shop database worth optimizing."}
        )
        return user, project

    def _demo_database(self, user, project):
        """The demo shop target database and the demo project's default connection to it."""
        name = settings.DEMO_SHOP_DATABASE
        call_command("demo_shop", database=name, stdout=self.stdout)
        # Its own unprivileged role that owns only the demo database, never the cluster's superuser.
        role, password = demo_shop.ensure_owner_role(name)
        url = demo_shop.database_url(name, user=role, password=password)
        existing = DatabaseConnection.objects.filter(project=project, name="Demo shop database").first()
        if existing is not None:
            # The role's password is new: store it (encrypted, like any connection's URL).
            services.connection_update(connection=existing, url=url, actor=user)
            return
        try:
            services.connection_create(
                project=project,
                name="Demo shop database",
                url=url,
                environment="development",
                allow_analyze=True,
                allow_dml_analyze=True,
                read_only=False,  # the demo may have indexes applied to it
                is_default=True,
                actor=user,
            )
        except DomainError as exc:
            self.stderr.write(f"  The demo connection was not created: {exc.detail}")
            return
        # Seven tables: synced inline, so the schema browser and the explain warnings have it at once.
        sync = services.sync_execute(sync_id=services.sync_request(project=project, actor=user, defer=False).pk)
        self.stdout.write(f"  Demo schema synced: {sync.status}.")

    def handle(self, *args, **options):
        user, project = self._seed()
        if not options.get("skip_demo_db"):
            self._demo_database(user, project)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"  Sign in at http://localhost:8000/app/ as {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"  Demo project: {project.name} (id {project.id})")
