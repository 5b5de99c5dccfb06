"""Test settings: the real settings, over plain HTTP, with mail kept in memory.

Tests that need a real SMTP server switch EMAIL_BACKEND themselves.
"""

import os

os.environ.setdefault("LIAISON_HTTPS", "0")
os.environ.setdefault("LIAISON_DEBUG", "0")

from liaison.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests; production keeps PBKDF2
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None
# Each process looks at the directory version once, then only when a test says so
# (tests/org/test_directory_version.py): query counts stay exact whatever the clock.
LIAISON_DIRECTORY_CHECK_SECONDS = 10**9
