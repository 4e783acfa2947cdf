"""Settings for the test suite: fixed test keys, fast hashing, the database from DATABASE_URL."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("MHIS_SECRET_KEY", "test-secret-key-not-for-production-0123456789")
os.environ.setdefault("MHIS_FIELD_KEYS", "q0Y2J8c7t3Wk2oQ7w2o8bF3w5q2m8Wc3ZlYwq1u7oQ8=")
os.environ.setdefault("MHIS_HASH_KEY", "test-hash-key-not-for-production")
os.environ.setdefault("MHIS_VAR_DIR", str(Path(tempfile.gettempdir()) / "mhis-test-var"))

from mhis.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
WHITENOISE_AUTOREFRESH = True
# The suite logs roles in without a code; tests/test_two_factor.py turns the production
# default (administrators and analysts) back on.
MHIS_TWO_FACTOR_ROLES = []
MHIS_TASKS_INLINE = True  # background tasks run where they are queued, inside the test transaction
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # A query the planner gets badly wrong fails its test, naming the query, within two
    # minutes instead of holding the whole suite past its time.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c statement_timeout=120s"  # noqa: F405
