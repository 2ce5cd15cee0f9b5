"""Settings for the test suite: the development defaults, real PostgreSQL, fast hashing."""

import os

os.environ.setdefault("DEBUG", "true")

from dbooster.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# High enough that no test trips a limit by accident (every test shares 127.0.0.1); rate-limit tests lower them.
RATE_LIMITS = {scope: {kind: "10000/min" for kind in kinds} for scope, kinds in RATE_LIMITS.items()}  # noqa: F405
# Tests open connections from threads (live servers); persistent ones would outlive the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tests change the job queue between two /health calls: read it each time (tests of the cache set it).
HEALTH_QUEUE_TTL_S = 0
