"""Waiting on a real Celery worker from a test."""

import time


def wait_for(condition, seconds: float = 180.0) -> None:
    """Poll `condition` until it holds; its docstring names it in the failure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Not true within {seconds} s: {condition.__doc__}")
