"""The worker fixtures of the worker-kill tests, for every fault test."""

from tests.faults.test_worker_kill import big_demo, media, start_worker  # noqa: F401
