import pytest
from django.db import connection

from dbooster.crypto import DecryptionError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def raw_github_token(user_id):
    with connection.cursor() as cur:
        cur.execute("SELECT github_token FROM users WHERE id = %s", [user_id])
        return cur.fetchone()[0]


def test_column_never_holds_the_plain_token():
    user = UserFactory(github_token="ghp_supersecret123")
    raw = raw_github_token(user.id)
    assert "ghp_supersecret123" not in raw
    user.refresh_from_db()
    assert user.github_token == "ghp_supersecret123"


def test_unknown_key_is_a_clear_error(settings):
    user = UserFactory(github_token="ghp_supersecret123")
    settings.FIELD_ENCRYPTION_KEYS = ["bmV3LWtleS1uZXctbmV3LWtleS1uZXctbmV3LWtleSE="]
    with pytest.raises(DecryptionError, match="FIELD_ENCRYPTION_KEYS"):
        type(user).objects.get(pk=user.pk)
