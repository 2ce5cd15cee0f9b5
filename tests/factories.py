import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from organizations.models import Organization
from projects.models import Project


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    plan = "team"  # tests are not about quotas unless they say so


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    # Numbered, not drawn at random: a random name (an apostrophe, an accent) would change what pages print.
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    organization = factory.SubFactory(OrganizationFactory)
    role = "member"
    # Verified by default: tests about unverified accounts say so with email_verified_at=None.
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    description = "A project"
