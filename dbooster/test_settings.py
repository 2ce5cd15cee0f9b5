"""Settings for the test suite: the development defaults, real PostgreSQL, fast hashing."""

import os

os.environ.setdefault("DEBUG", "true")

from dbooster.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests open connections from threads (live servers); persistent ones would outlive the test database.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"auth": "1000/min"}  # noqa: F405
