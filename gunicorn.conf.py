"""gunicorn's settings for every way the web app is served: the Procfile, the image's
default command and docker-compose all run `gunicorn fmea.wsgi --config
gunicorn.conf.py`, and `bench/load.py` runs that same command line.

Threaded workers (gthread): a request mostly waits on PostgreSQL, so a few processes
with several threads each keep both cores busy without queueing behind slow requests.
bench/load.py (50 clients, mixed workload, 20 s, 100,000 failure modes, on 2 shared
cores): 3 sync workers 20 req/s, p50 1.06 s, p95 11.4 s; 3 x 4 threads 23-30 req/s,
p95 8.8-11.5 s; 5 x 4 threads 7 req/s; 2 x 8 threads 34-47 req/s, p50 0.86-0.89 s,
p95 1.6-7.7 s, the best of each run. Each thread holds its own database connection:
WEB_CONCURRENCY x GUNICORN_THREADS must stay below PostgreSQL's max_connections with the
workers' and beat's.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number; got {value!r}") from None


bind = f"{os.environ.get('BIND_HOST', '0.0.0.0')}:{_int('PORT', 8000)}"
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("GUNICORN_THREADS", 8)
# A worker silent for this long is killed and replaced (a stuck request, not a slow
# one: reports and large imports run in Celery, not in the request).
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
# Behind the TLS proxy: keep its connections open a little longer than its own idle
# timeout would close them, so a request never lands on a closing socket.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, so a slow leak never grows without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
accesslog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


# Prometheus multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, each worker writes its
# request figures to files there and /metrics adds up those of every process. The files
# of a previous run are removed when the server starts; those of a worker that exits are
# marked dead so its gauges stop counting.
def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
