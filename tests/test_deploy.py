"""The production deployment: docker-compose.yml against the settings it feeds, and the
settings themselves under production-like environments (run in subprocesses, since
settings are read once per process)."""

import ast
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
SETTINGS_FILE = ROOT / "fmea" / "settings.py"
PROCFILE = ROOT / "Procfile"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
DOCKERFILE = ROOT / "Dockerfile"

APP_SERVICES = ("web", "worker", "beat", "migrate")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat")
ENV_READERS = {"env_str", "env_bool", "env_int", "env_list"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: str(value) for name, value in env.items()}


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    return command.split() if isinstance(command, str) else [str(arg) for arg in command]


def settings_env_names() -> set[str]:
    """Names fmea/settings.py reads: env_str/env_bool/env_int/env_list("NAME", ...),
    os.environ["NAME"], os.environ.get("NAME") and os.getenv("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Name):
                reads = func.id in ENV_READERS
            elif isinstance(func, ast.Attribute):
                reads = func.attr in ENV_READERS or ast.unparse(func) in {
                    "os.environ.get",
                    "os.getenv",
                    "os.environ.setdefault",
                }
            else:
                reads = False
            arg = node.args[0]
            if reads and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.add(arg.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return names


def gunicorn_env_names() -> set[str]:
    """Names gunicorn.conf.py reads (the web service's sizes and timeouts)."""
    names = set()
    for node in ast.walk(ast.parse(GUNICORN_CONF.read_text())):
        if (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and ast.unparse(node.func) in {"_int", "os.environ.get"}
        ):
            names.add(node.args[0].value)
    return names


def procfile() -> dict[str, str]:
    return {
        name: command.strip()
        for name, command in (line.split(":", 1) for line in PROCFILE.read_text().splitlines())
    }


def string_setting_names() -> set[str]:
    """Names read with env_str, which also accepts NAME_FILE (a path to a secret)."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "env_str"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return names


# -- docker-compose.yml -------------------------------------------------------------


def test_settings_reader_finds_the_known_names():
    names = settings_env_names()
    assert {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL"} <= names


def test_services_exist(services):
    assert set(LONG_RUNNING) | {"migrate"} <= set(services)


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_services_have_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
    assert healthcheck.get("test"), f"{name}'s healthcheck has no test"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_set_only_variables_the_settings_read(services, name):
    env = _environment(services[name])
    assert env, f"{name} sets no environment"
    known = settings_env_names()
    known |= {f"{setting}_FILE" for setting in string_setting_names()}
    if name == "web":
        known |= gunicorn_env_names()
    unknown = sorted(set(env) - known)
    assert not unknown, f"{name} sets variables fmea/settings.py never reads: {unknown}"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_point_at_the_compose_postgres_and_redis(services, name):
    env = _environment(services[name])
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme in {"postgres", "postgresql"}
    assert database.hostname == "postgres"
    assert database.port in (None, 5432)
    postgres_env = _environment(services["postgres"])
    assert database.username == postgres_env["POSTGRES_USER"]
    assert database.password == postgres_env["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == postgres_env["POSTGRES_DB"]

    broker = urlsplit(env["CELERY_BROKER_URL"])
    assert broker.scheme == "redis"
    assert broker.hostname == "redis"
    assert broker.port in (None, 6379)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_without_debug_and_with_a_required_secret(services, name):
    env = _environment(services[name])
    assert env["DEBUG"].strip().lower() in {"0", "false", "no", "off"}
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required"


def test_app_services_wait_for_migrate_and_healthy_backends(services):
    migrate_deps = services["migrate"]["depends_on"]
    assert migrate_deps["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"
        assert deps["redis"]["condition"] == "service_healthy"


def test_migrate_runs_migrations_and_reference_data(services):
    command = " ".join(_command(services["migrate"]))
    assert "manage.py migrate --noinput" in command
    assert "manage.py load_reference_data" in command
    assert str(services["migrate"].get("restart", "no")) == "no"


def _queues(command: list[str]) -> set[str]:
    for flag in ("-Q", "--queues"):
        if flag in command:
            return set(command[command.index(flag) + 1].split(","))
    return set()


def test_worker_consumes_the_same_queues_as_the_procfile(services):
    procfile = dict(line.split(":", 1) for line in PROCFILE.read_text().splitlines() if line)
    procfile_queues = _queues(procfile["worker"].split())
    assert "reports" in procfile_queues
    worker = _command(services["worker"])
    assert worker[:4] == ["celery", "-A", "fmea", "worker"]
    assert _queues(worker) == procfile_queues


def test_web_runs_the_procfile_command_line_everywhere(services):
    """The Procfile, docker-compose and the image serve with one command line (the one
    bench/load.py measures), and its settings live in gunicorn.conf.py."""
    command = procfile()["web"].split()
    assert command == ["gunicorn", "fmea.wsgi", "--config", "gunicorn.conf.py"]
    assert _command(services["web"]) == command
    cmd = next(line for line in DOCKERFILE.read_text().splitlines() if line.startswith("CMD"))
    assert ast.literal_eval(cmd.removeprefix("CMD").strip()) == command
    from bench.load import web_command

    assert web_command() == ["sh", "-c", f"exec {' '.join(command)}"]


def gunicorn_config(**variables: str) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in gunicorn_env_names()}
    code = (
        "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: v for k, v in c.items() if isinstance(v, (int, str))}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, **variables},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_gunicorn_serves_with_threads_sized_by_the_environment():
    defaults = gunicorn_config()
    assert defaults["worker_class"] == "gthread"
    assert (defaults["workers"], defaults["threads"], defaults["bind"]) == (2, 8, "0.0.0.0:8000")
    assert defaults["timeout"] == 60 and defaults["keepalive"] == 5
    sized = gunicorn_config(WEB_CONCURRENCY="3", GUNICORN_THREADS="4", PORT="9000")
    assert (sized["workers"], sized["threads"], sized["bind"]) == (3, 4, "0.0.0.0:9000")


def test_beat_uses_the_database_scheduler(services):
    command = _command(services["beat"])
    assert command[:4] == ["celery", "-A", "fmea", "beat"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in command


def test_web_and_worker_share_the_media_volume(compose, services):
    for name in ("web", "worker"):
        assert _environment(services[name])["MEDIA_ROOT"] == "/data/media"
        assert "media:/data/media" in services[name]["volumes"]
    assert "media" in compose["volumes"]
    assert any(
        str(volume).endswith(":/var/lib/postgresql/data")
        and str(volume).split(":")[0] in compose["volumes"]
        for volume in services["postgres"]["volumes"]
    )


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    if standalone:
        return [standalone]
    if not docker:
        pytest.skip("the docker client is not installed")
    pytest.skip("the docker compose plugin is not installed (`docker compose` is unknown)")


def test_docker_compose_config_is_valid():
    command = _compose_command()
    env = {**os.environ, "SECRET_KEY": "compose-config-check-only"}
    result = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# -- settings under production-like environments -------------------------------------


def clean_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """os.environ without the test suite's settings variables, plus `variables`.

    Drops DEBUG, SECRET_KEY and DJANGO_SETTINGS_MODULE, and also every other variable
    fmea/settings.py reads (and its _FILE form), so that the caller's shell or CI cannot
    change the outcome."""
    drop = {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"} | settings_env_names()
    drop |= {f"{name}_FILE" for name in drop}
    env = {name: value for name, value in os.environ.items() if name not in drop}
    env["DJANGO_SETTINGS_MODULE"] = "fmea.settings"
    env["FMEA_VAR_DIR"] = str(tmp_path / "var")
    env.update(variables)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def random_secret_key() -> str:
    return secrets.token_urlsafe(45)  # 60 characters


def test_check_deploy_passes_without_warnings(tmp_path):
    secret_key = random_secret_key()
    assert len(secret_key) == 60
    env = clean_env(tmp_path, DEBUG="0", SECRET_KEY=secret_key, ALLOWED_HOSTS="fmea.example.com")
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output, output
    assert "System check identified no issues" in output, output


def test_missing_secret_key_is_refused_without_debug(tmp_path):
    result = run(["manage.py", "check"], clean_env(tmp_path, DEBUG="0"))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_secret_key_is_read_from_secret_key_file(tmp_path):
    secret_key = random_secret_key()
    secret_file = tmp_path / "secret_key"
    secret_file.write_text(secret_key + "\n")
    env = clean_env(
        tmp_path,
        DEBUG="0",
        SECRET_KEY_FILE=str(secret_file),
        ALLOWED_HOSTS="fmea.example.com",
    )

    printed = run(["-c", "from django.conf import settings; print(settings.SECRET_KEY)"], env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == secret_key

    checked = run(["manage.py", "check"], env)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_secret_key_file_wins_over_secret_key(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("from-the-file")
    env = clean_env(
        tmp_path, DEBUG="0", SECRET_KEY="from-the-variable", SECRET_KEY_FILE=str(secret_file)
    )
    printed = run(["-c", "from django.conf import settings; print(settings.SECRET_KEY)"], env)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.strip() == "from-the-file"


def test_unclear_debug_value_is_refused(tmp_path):
    env = clean_env(tmp_path, DEBUG="maybe", SECRET_KEY=random_secret_key())
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG must be one of" in result.stderr
    assert "'maybe'" in result.stderr


def test_procfile_workers_are_started_again_when_they_exit():
    for path in (PROCFILE, ROOT / "Procfile.dev"):
        lines = dict(line.split(":", 1) for line in path.read_text().splitlines() if line)
        assert lines["worker"].split()[0] == "bin/respawn", path.name


def test_respawn_starts_a_command_again_until_it_is_stopped(tmp_path):
    """The command exits twice and is run a third time; SIGTERM stops the lot."""
    import signal
    import time

    starts = tmp_path / "starts"
    process = subprocess.Popen(
        [str(ROOT / "bin" / "respawn"), "sh", "-c", f"echo x >> {starts}; exit 1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (
        not starts.exists() or len(starts.read_text().split()) < 3
    ):
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert len(starts.read_text().split()) >= 3
    assert "exited with status 1; starting it again" in process.stderr.read()


@pytest.mark.parametrize("days", ["0", "-3"])
def test_an_invitation_lifetime_under_a_day_is_refused(tmp_path, days):
    env = clean_env(tmp_path, DEBUG="1", FMEA_INVITATION_DAYS=days)
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"FMEA_INVITATION_DAYS must be 1 or more; got {days}" in result.stderr
