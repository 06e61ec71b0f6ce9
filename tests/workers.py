"""Waiting on a real Celery worker (or another real service) from a test."""

import socket
import time


def wait_for(condition, seconds: float = 180.0) -> None:
    """Poll `condition` until it holds; its docstring names it in the failure."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Not true within {seconds} s: {condition.__doc__}")


def free_port() -> int:
    """A loopback port nothing listens on, for a server the test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
