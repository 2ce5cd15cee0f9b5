"""A refused target says what the operator decided, never the name of a setting (users cannot set them)."""

import re

import pytest

from dbooster.errors import DomainError
from schema_metadata import target

SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@127.0.0.1:5432/db",
        "postgresql:///db",
        "postgresql://u:p@203.0.113.7/db",
        "postgresql://u:p@10.0.0.1/db?sslmode=verify-full&sslrootcert=ca.pem",
    ],
)
def test_refusals_name_no_setting(settings, url):
    settings.TARGET_ALLOW_LOCAL = False
    settings.TARGET_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.TARGET_SSLROOTCERT_DIR = ""
    with pytest.raises(DomainError) as refused:
        target.check_url(url)
    assert not SETTING_NAME.search(refused.value.detail), refused.value.detail
