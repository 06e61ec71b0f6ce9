"""Settings for the test suite: the real settings, in development mode unless the
environment says otherwise, with a fast password hasher."""

import os
import tempfile

os.environ.setdefault("DEBUG", "1")

from fmea.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Each test process gets its own queues (and, on the filesystem broker, its own
# folder), so parallel test processes and a running `make run` never share messages.
CELERY_TASK_DEFAULT_QUEUE = f"fmea-test-{os.getpid()}"
REPORT_QUEUE = f"fmea-test-reports-{os.getpid()}"
CELERY_TASK_ROUTES = {name: {"queue": REPORT_QUEUE} for name in CELERY_TASK_ROUTES}  # noqa: F405
if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    _broker = tempfile.mkdtemp(prefix="fmea-test-broker-")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _broker,
        "data_folder_out": _broker,
        "control_folder": _broker,
        "store_processed": False,
    }
FMEA_RECOMPUTE_DELAY_SECONDS = 0

# SQLite: a file rather than a shared in-memory database, so that a Celery worker or a
# live server in another thread reads and writes beside the test (WAL) instead of
# failing with "database table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so concurrent test runs never share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"fmea-test-{os.getpid()}.sqlite3")
    }
