"""The OpenAPI schema generates without a single drf-spectacular warning (a new one fails CI).

Runs `manage.py spectacular --validate --fail-on-warn` in-process, as a developer would from the shell.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.plumbing import _load_enum_name_overrides
from drf_spectacular.settings import patched_settings, spectacular_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_generator():
    """Warnings are counted process-wide and the enum names cached: start each run from nothing."""
    GENERATOR_STATS.reset()
    _load_enum_name_overrides.cache_clear()
    yield
    GENERATOR_STATS.reset()
    _load_enum_name_overrides.cache_clear()


def spectacular(tmp_path) -> str:
    out = StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(tmp_path / "openapi.json"), stdout=out, stderr=out,
    )  # fmt: skip
    return out.getvalue()


def test_schema_generates_with_no_warnings(tmp_path, fresh_generator):
    assert not spectacular_settings.DISABLE_ERRORS_AND_WARNINGS  # a silenced generator would pass anything
    spectacular(tmp_path)  # raises SchemaGenerationError on any warning, SchemaValidationError if invalid
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache)
    assert (tmp_path / "openapi.json").stat().st_size > 10_000


def test_the_check_catches_an_enum_name_collision(tmp_path, fresh_generator):
    """Without the enum names of settings.py the `status`/`kind` collisions come back, and the command fails."""
    from drf_spectacular.management.commands.spectacular import SchemaGenerationError

    with patched_settings({"ENUM_NAME_OVERRIDES": {}}), pytest.raises(SchemaGenerationError):
        spectacular(tmp_path)
    assert any("enum naming encountered" in warning for warning in GENERATOR_STATS._warn_cache)
