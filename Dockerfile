# Production image of the FMEA risk register: gunicorn by default; the worker, beat and
# migrate services of docker-compose.yml run other commands in the same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FMEA_VAR_DIR=/data/var \
    MEDIA_ROOT=/data/media

WORKDIR /app

# DejaVu fonts give PDF reports wide Unicode coverage (the fallback fonts are Latin-1).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Runtime dependencies only (requirements.in), at the versions pinned in requirements.lock.
# Copied before the code so that this layer is reused while only the code changes.
COPY requirements.in requirements.lock ./
RUN pip install -r requirements.in -c requirements.lock

COPY . .

# Static files are collected into the image (whitenoise serves them). Settings refuse
# to load without SECRET_KEY, so this step alone gets a dummy one; it is not kept in
# the image. The code stays owned by root: the app user can read it, not change it.
# /data belongs to the app user; a named volume mounted at /data/media
# (docker-compose.yml) starts out with this ownership. The user gets a writable home
# because gunicorn puts its control socket in ~/.gunicorn/.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/app app \
    && rm -rf /data \
    && mkdir -p /data/var /data/media \
    && chown -R app:app /data

USER app

EXPOSE 8000

# No HEALTHCHECK here: worker, beat and migrate run this image too and would inherit
# it. docker-compose.yml declares a health check per service. The Procfile's command
# line: gunicorn.conf.py reads PORT, WEB_CONCURRENCY, GUNICORN_THREADS and the timeouts.
CMD ["gunicorn", "fmea.wsgi", "--config", "gunicorn.conf.py"]
