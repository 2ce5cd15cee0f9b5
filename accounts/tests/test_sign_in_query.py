"""The bearer token's one sign-in query: the same user and organization the ORM reads, and the session's state."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts import selectors
from accounts.models import SignInSession, User
from accounts.services import token_pair
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_reads_the_user_and_organization_as_the_orm_does(member):
    member.github_token = "gho_secret-token"  # encrypted at rest: the read must decrypt it like the ORM
    member.save()
    token_pair(member)
    session = SignInSession.objects.get(user=member)
    user, live = selectors.user_signing_in(user_id=str(member.pk), session_id=session.pk)
    expected = User.objects.select_related("organization").get(pk=member.pk)
    assert live is True
    assert model_to_dict(user) == model_to_dict(expected)
    assert user.github_token == "gho_secret-token" and user.created_at == expected.created_at
    assert model_to_dict(user.organization) == model_to_dict(expected.organization)
    assert not user._state.adding and user._state.db == "default"


def test_a_user_without_an_organization():
    loner = UserFactory(organization=None)
    user, _ = selectors.user_signing_in(user_id=loner.pk, session_id=None)
    assert user.pk == loner.pk and user.organization is None


def test_an_ended_missing_or_foreign_session_is_off(member, admin_user):
    token_pair(member)
    token_pair(admin_user)
    mine = SignInSession.objects.get(user=member)
    theirs = SignInSession.objects.get(user=admin_user)
    assert selectors.user_signing_in(user_id=member.pk, session_id=theirs.pk)[1] is False
    assert selectors.user_signing_in(user_id=member.pk, session_id=mine.pk + 1000)[1] is False
    SignInSession.objects.filter(pk=mine.pk).update(revoked_at=timezone.now())
    assert selectors.user_signing_in(user_id=member.pk, session_id=mine.pk)[1] is False


@pytest.mark.parametrize("user_id", ["not-a-number", None, "999999999"])
def test_an_unknown_or_malformed_user_is_none(user_id):
    assert selectors.user_signing_in(user_id=user_id, session_id=1) == (None, False)
