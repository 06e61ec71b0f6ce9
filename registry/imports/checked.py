"""Files checked by a dry run on the incident import page, kept until the user confirms
them. One that is never confirmed (the tab closed, another file chosen) would stay in
storage for ever: the nightly prune deletes those older than CHECKED_UPLOAD_DAYS."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

FOLDER = "imports/checked"
CHECKED_UPLOAD_DAYS = 1


def keep(data: bytes) -> str:
    """Store a checked file under a generated name; its storage path."""
    return default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}.upload", ContentFile(data))


def prune(now: datetime | None = None) -> int:
    """Delete the checked files older than CHECKED_UPLOAD_DAYS; how many were deleted."""
    if not default_storage.exists(FOLDER):
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=CHECKED_UPLOAD_DAYS)
    _, names = default_storage.listdir(FOLDER)
    deleted = 0
    for name in names:
        path = f"{FOLDER}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            deleted += 1
    return deleted
