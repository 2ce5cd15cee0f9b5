from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from schema_metadata import demo_shop


class Command(BaseCommand):
    help = (
        "Create the demo shop target database (customers, products, a million skewed orders, items, payments, "
        "jsonb events) on DBooster's own PostgreSQL server, without the indexes a real app forgets. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=settings.DEMO_SHOP_DATABASE, help="Database name to create.")
        parser.add_argument("--orders", type=int, default=settings.DEMO_SHOP_ORDERS, help="Number of orders.")
        parser.add_argument("--rebuild", action="store_true", help="Drop and build again even if it is there.")
        parser.add_argument("--skip", action="store_true", help="Do nothing (for scripts that always call it).")

    def handle(self, *args, database, orders, rebuild, skip, **options):
        if skip:
            self.stdout.write("Skipping the demo shop database (--skip).")
            return
        if orders < 100:
            raise CommandError("--orders must be at least 100.")
        result = demo_shop.build(name=database, orders=orders, rebuild=rebuild, log=self.stdout.write)
        if result["created"]:
            self.stdout.write(self.style.SUCCESS(f"Demo shop database {database}: {orders:,} orders."))
