from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.management.commands.rotate_encryption_keys import encrypted_columns
from accounts.models import User
from dbooster.crypto import DecryptionError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()
KEY_C = Fernet.generate_key().decode()


def raw_tokens():
    with connection.cursor() as cur:
        cur.execute("SELECT id, github_token FROM users WHERE github_token IS NOT NULL ORDER BY id")
        return dict(cur.fetchall())


def rotate(*args):
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


def test_finds_the_encrypted_columns():
    labels = {c.label for c in encrypted_columns()}
    assert "accounts.User.github_token" in labels
    github = next(c for c in encrypted_columns() if c.label == "accounts.User.github_token")
    assert (github.table, github.column, github.pk_column) == ("users", "github_token", "id")


def test_rotation_moves_every_value_to_the_newest_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    users = [UserFactory(github_token=f"ghp_token_{n}") for n in range(5)]
    UserFactory(github_token=None)
    before = raw_tokens()

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    output = rotate("--batch-size", "2")  # several batches
    assert "accounts.User.github_token: re-encrypted 5, already under the newest key 0" in output
    after = raw_tokens()
    assert set(after) == set(before)
    assert all(after[pk] != before[pk] for pk in before)
    assert all("ghp_token" not in value for value in after.values())

    # The old key can go: B alone reads everything.
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    for n, user in enumerate(users):
        assert User.objects.get(pk=user.pk).github_token == f"ghp_token_{n}"
    assert User.objects.filter(github_token__isnull=True).count() == 1

    # Running it again changes nothing.
    again = rotate()
    assert "re-encrypted 0, already under the newest key 5" in again
    assert raw_tokens() == after


def test_without_rotation_the_old_values_do_not_read_under_the_new_key_alone(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    user = UserFactory(github_token="ghp_x")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(DecryptionError):
        User.objects.get(pk=user.pk)


def test_dry_run_counts_and_writes_nothing(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    UserFactory(github_token="ghp_dry")
    before = raw_tokens()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    output = rotate("--dry-run")
    assert "would re-encrypt 1" in output
    assert raw_tokens() == before


def test_a_value_no_key_can_decrypt_is_a_clear_error(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_C]
    lost = UserFactory(github_token="ghp_lost")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    UserFactory(github_token="ghp_fine")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    with pytest.raises(CommandError) as excinfo:
        rotate()
    message = str(excinfo.value)
    assert "accounts.User.github_token" in message
    assert f"id={lost.pk}" in message
    assert "FIELD_ENCRYPTION_KEYS" in message


def test_bad_batch_size_is_refused():
    with pytest.raises(CommandError, match="batch-size"):
        rotate("--batch-size", "0")


def test_an_unmigrated_database_is_refused_before_anything_changes(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    UserFactory(github_token="ghp_keep")
    before = raw_tokens()
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE users RENAME TO users_away")  # rolled back with the test's transaction
    with pytest.raises(CommandError, match="Tables missing: users. Run `python manage.py migrate` first"):
        rotate()
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE users_away RENAME TO users")
    assert raw_tokens() == before
