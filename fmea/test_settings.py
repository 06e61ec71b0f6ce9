"""Settings for the test suite: the real settings, in development mode unless the
environment says otherwise, with a fast password hasher."""

import os

os.environ.setdefault("DEBUG", "1")

from fmea.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
