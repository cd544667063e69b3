"""Real services on loopback, started by the benchmarks and the test suite themselves.

Each service is a plain context manager that yields a small frozen dataclass and
always cleans up (stops the process or thread, removes its temporary directory),
also when the body raises:

* :func:`postgres_server` -- a throw-away PostgreSQL 15 cluster (initdb + pg_ctl).
* :func:`moto_s3_server` -- an in-process moto server speaking the S3 API.
* :func:`prefect_server` -- a ``prefect server start`` subprocess with its own home.

:class:`ServiceUnavailable` means a prerequisite is missing (no binaries, no
``postgres`` user when running as root, ...): fixtures turn it into a skip.
:class:`ServiceStartError` (a ``RuntimeError``) means the service is installed but
did not come up; it carries the tail of the service's log and is never a skip.

Nothing here imports pytest: the benchmarks (``bench/``) and the tests' fixtures (``tests/conftest.py``) share them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOOPBACK = "127.0.0.1"
DEFAULT_PG_BIN = "/usr/lib/postgresql/15/bin"
PG_SUPERUSER = "postgres"
PG_OS_USER = "postgres"
PREFECT_START_TIMEOUT_S = 90.0
PG_START_TIMEOUT_S = 60
FAKE_AWS_ACCESS_KEY_ID = "testing"
FAKE_AWS_SECRET_ACCESS_KEY = "testing"
FAKE_AWS_REGION = "us-east-1"
NO_PROXY = f"{LOOPBACK},localhost"

_PG_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class ServiceUnavailable(Exception):
    """A service cannot be started here because a prerequisite is missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ServiceStartError(RuntimeError):
    """A service is installed but failed to start; the message holds its log tail."""


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def is_root() -> bool:
    """Whether this process runs as root (uid 0)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last ``lines`` lines of a text file, or a note if unreadable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<no log at {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET ``url`` without any proxy; return (status, body), HTTP errors included."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def http_post(url: str, payload: Mapping[str, Any] | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    """POST JSON to ``url`` without any proxy; return (status, body)."""
    data = json.dumps(dict(payload or {})).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def _rmtree(path: Path) -> None:
    """Remove a directory tree, ignoring errors (best effort cleanup)."""
    shutil.rmtree(path, ignore_errors=True)


# ------------------------------------------------------------------------ PostgreSQL


@dataclass(frozen=True)
class PostgresServer:
    """A running throw-away PostgreSQL cluster."""

    url: str
    """SQLAlchemy URL of the ``postgres`` database (psycopg 3 driver)."""
    port: int
    host: str = LOOPBACK
    user: str = PG_SUPERUSER
    data_dir: Path = Path()
    socket_dir: Path = Path()
    log_file: Path = Path()
    bin_dir: Path = Path(DEFAULT_PG_BIN)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL of another database on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    @property
    def libpq_url(self) -> str:
        """Plain libpq URL (for psycopg.connect / psql) of the ``postgres`` database."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/postgres"


def _pg_bin_dir() -> Path:
    """Directory of initdb/pg_ctl: ``$SPARKIFY_PG_BIN`` or the Debian PG 15 one."""
    return Path(os.environ.get("SPARKIFY_PG_BIN") or DEFAULT_PG_BIN)


def _pg_env() -> dict[str, str]:
    """Environment for initdb/pg_ctl: ours minus PG* variables, C locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _run_pg(argv: list[str], run_as: str | None, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool, as ``run_as`` via runuser when given; capture output."""
    cmd = ["runuser", "-u", run_as, "--", *argv] if run_as else argv
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=_pg_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a fresh PostgreSQL cluster on a free loopback port; delete it at exit.

    Raises :class:`ServiceUnavailable` when the binaries (or, as root, the
    ``postgres`` OS user / ``runuser``) are missing, and :class:`ServiceStartError`
    when initdb or the server start fails.
    """
    bin_dir = _pg_bin_dir()
    initdb, pg_ctl = bin_dir / "initdb", bin_dir / "pg_ctl"
    for tool in (initdb, pg_ctl, bin_dir / "postgres"):
        if not os.access(tool, os.X_OK):
            raise ServiceUnavailable(
                f"PostgreSQL binary {tool} not found (install postgresql-15 or set SPARKIFY_PG_BIN)"
            )

    run_as: str | None = None
    owner: pwd.struct_passwd | None = None
    if is_root():
        # The server refuses to run as root: hand the cluster to the postgres user.
        if shutil.which("runuser") is None:
            raise ServiceUnavailable("running as root but `runuser` is not available")
        try:
            owner = pwd.getpwnam(PG_OS_USER)
        except KeyError:
            raise ServiceUnavailable(f"running as root but there is no {PG_OS_USER!r} OS user") from None
        run_as = PG_OS_USER

    base = Path(tempfile.mkdtemp(prefix="sparkify-pg-"))
    data_dir, socket_dir, log_file = base / "data", base / "sock", base / "postgres.log"
    started = False
    try:
        socket_dir.mkdir()
        if owner is not None:
            for path in (base, socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)

        result = _run_pg(
            [
                str(initdb),
                "-D",
                str(data_dir),
                "-A",
                "trust",
                "-U",
                PG_SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            run_as,
            base,
        )
        if result.returncode != 0:
            raise ServiceStartError(f"initdb failed (exit {result.returncode}):\n{result.stdout[-4000:]}")

        # Retry with a new port if another process grabbed ours in between.
        last_error = ""
        for _attempt in range(3):
            port = free_port()
            options = (
                f"-p {port} -k {socket_dir} -c listen_addresses={LOOPBACK}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            result = _run_pg(
                [
                    str(pg_ctl),
                    "-D",
                    str(data_dir),
                    "-l",
                    str(log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(PG_START_TIMEOUT_S),
                    "start",
                ],
                run_as,
                base,
            )
            if result.returncode == 0:
                started = True
                break
            last_error = f"pg_ctl start failed (exit {result.returncode}):\n{result.stdout}\n{_tail(log_file)}"
            if "already in use" not in last_error:
                break
        if not started:
            raise ServiceStartError(last_error)

        yield PostgresServer(
            url=f"postgresql+psycopg://{PG_SUPERUSER}@{LOOPBACK}:{port}/postgres",
            port=port,
            data_dir=data_dir,
            socket_dir=socket_dir,
            log_file=log_file,
            bin_dir=bin_dir,
        )
    finally:
        # Also stop a postmaster left behind by a start that timed out.
        if started or (data_dir / "postmaster.pid").exists():
            _stop_postgres(pg_ctl, data_dir, run_as, base)
        _rmtree(base)


def _stop_postgres(pg_ctl: Path, data_dir: Path, run_as: str | None, base: Path) -> None:
    """Stop with ``pg_ctl stop -m immediate``; SIGKILL the postmaster if that fails."""
    result = _run_pg(
        [str(pg_ctl), "-D", str(data_dir), "-m", "immediate", "-w", "-t", "30", "stop"],
        run_as,
        base,
    )
    if result.returncode == 0:
        return
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)


def _admin_engine(server: PostgresServer) -> Any:
    """An AUTOCOMMIT engine without pooling on the server's ``postgres`` database."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(server.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def create_database(server: PostgresServer, name: str) -> str:
    """Create an empty database ``name`` on ``server``; return its SQLAlchemy URL."""
    from sqlalchemy import text

    if not _PG_DB_NAME.match(name):
        raise ValueError(f"invalid database name {name!r} (want [a-z_][a-z0-9_]{{0,62}})")
    engine = _admin_engine(server)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server.url_for(name)


def drop_database(server: PostgresServer, name: str) -> None:
    """Drop database ``name`` if it exists, disconnecting any sessions still on it."""
    from sqlalchemy import text

    if not _PG_DB_NAME.match(name):
        raise ValueError(f"invalid database name {name!r}")
    engine = _admin_engine(server)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


# -------------------------------------------------------------------------------- S3


@dataclass(frozen=True)
class S3Server:
    """A running moto server speaking the S3 API."""

    endpoint_url: str
    port: int
    host: str = LOOPBACK
    region: str = FAKE_AWS_REGION
    access_key_id: str = FAKE_AWS_ACCESS_KEY_ID
    secret_access_key: str = FAKE_AWS_SECRET_ACCESS_KEY


@contextlib.contextmanager
def moto_s3_server(start_timeout: float = 30.0) -> Iterator[S3Server]:
    """Run ``moto.server.ThreadedMotoServer`` on a free loopback port; stop it at exit.

    moto keeps its state in this process: buckets live until :func:`reset_s3`
    or the end of the session, so tests should use their own bucket names.
    """
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("werkzeug") is None:
        raise ServiceUnavailable("moto[server] is not installed")
    from moto.server import ThreadedMotoServer

    # ThreadedMotoServer.start() waits forever if its bind fails, so pick a port,
    # start it from a helper thread and give up after ``start_timeout``.
    server: ThreadedMotoServer | None = None
    for _attempt in range(3):
        candidate = ThreadedMotoServer(ip_address=LOOPBACK, port=free_port(), verbose=False)
        starter = threading.Thread(target=candidate.start, name="moto-start", daemon=True)
        starter.start()
        starter.join(start_timeout)
        if not starter.is_alive():
            server = candidate
            break
    if server is None:
        raise ServiceStartError(f"moto server did not start within {start_timeout:.0f}s (3 attempts)")

    try:
        host, port = server.get_host_and_port()
        yield S3Server(endpoint_url=f"http://{host}:{port}", port=port, host=host)
    finally:
        server.stop()


def s3_env(server: S3Server) -> dict[str, str]:
    """Environment that points boto3/botocore (and prefect-aws) at ``server``."""
    return {
        "AWS_ENDPOINT_URL": server.endpoint_url,
        "AWS_ACCESS_KEY_ID": server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.secret_access_key,
        "AWS_DEFAULT_REGION": server.region,
        "AWS_REGION": server.region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": NO_PROXY,
        "no_proxy": NO_PROXY,
    }


def s3_client(server: S3Server) -> Any:
    """A boto3 S3 client for ``server`` built from explicit settings (not the env)."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        region_name=server.region,
    )
    return session.client("s3", endpoint_url=server.endpoint_url)


def upload_tree(server: S3Server, bucket: str, prefix: str, local_dir: str | os.PathLike[str]) -> list[str]:
    """Create ``bucket`` if missing and upload every file under ``local_dir``.

    Keys are ``prefix`` + the file's path relative to ``local_dir`` (POSIX
    separators); ``prefix`` may be empty. Returns the uploaded keys, sorted.
    """
    root = Path(local_dir)
    if not root.is_dir():
        raise NotADirectoryError(root)
    client = s3_client(server)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
    clean_prefix = prefix.strip("/")
    keys: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        key = f"{clean_prefix}/{rel}" if clean_prefix else rel
        client.upload_file(str(path), bucket, key)
        keys.append(key)
    return keys


@contextlib.contextmanager
def downloads() -> Iterator[list[str]]:
    """The keys the in-process moto server serves a GetObject for while the block runs: what a run downloads."""
    from moto.s3.responses import S3Response

    served: list[str] = []
    get_object = S3Response.get_object

    def counted(response: S3Response) -> Any:
        served.append(response.parse_key_name())
        return get_object(response)

    S3Response.get_object = counted  # type: ignore[method-assign]
    try:
        yield served
    finally:
        S3Response.get_object = get_object  # type: ignore[method-assign]


def reset_s3(server: S3Server) -> None:
    """Forget every bucket and object in the moto server (``/moto-api/reset``)."""
    status, body = http_post(f"{server.endpoint_url}/moto-api/reset")
    if status != 200:
        raise RuntimeError(f"moto reset failed: HTTP {status} {body[:200]!r}")


# --------------------------------------------------------------------------- Prefect


@dataclass(frozen=True)
class PrefectServer:
    """A running ``prefect server start`` subprocess."""

    api_url: str
    ui_url: str
    home: Path
    env: dict[str, str]
    """Environment variables a client process needs to use this server."""
    port: int = 0
    log_file: Path = Path()


def _prefect_server_env(home: Path, database_url: str | None) -> dict[str, str]:
    """Our environment minus any PREFECT_* variable, plus the server's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        NO_PROXY=NO_PROXY,
        no_proxy=NO_PROXY,
    )
    if database_url is not None:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    return env


def _stop_process_group(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL it if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    # Also reap children that may outlive the leader (uvicorn workers, services).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)


def _wait_healthy(proc: subprocess.Popen[bytes], health_url: str, timeout: float) -> bool:
    """Poll ``health_url`` until 200 (True) or the process exits / times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            status, _ = http_get(health_url, timeout=2.0)
            if status == 200:
                return True
        time.sleep(0.25)
    return False


@contextlib.contextmanager
def prefect_server(
    start_timeout: float = PREFECT_START_TIMEOUT_S,
    database: PostgresServer | None = None,
) -> Iterator[PrefectServer]:
    """Run ``prefect server start`` on a free loopback port with its own PREFECT_HOME.

    Its database is SQLite in that home, or a new database on ``database``: what Prefect advises beyond
    a laptop, as SQLite makes every write wait for the one before (runs in flight together wait on it).
    Waits (at most ``start_timeout`` seconds) for ``/api/health`` to answer 200.
    At exit the server's process group is terminated and the home removed.
    """
    if importlib.util.find_spec("prefect") is None:
        raise ServiceUnavailable("prefect is not installed in this interpreter")

    home = Path(tempfile.mkdtemp(prefix="sparkify-prefect-"))
    log_file = home / "server.log"
    proc: subprocess.Popen[bytes] | None = None
    try:
        database_url = None
        if database is not None:
            name = f"prefect_{home.name.rsplit('-', 1)[-1]}"
            database_url = create_database(database, name).replace("+psycopg:", "+asyncpg:", 1)
        failure = ""
        for _attempt in range(3):
            port = free_port()
            with log_file.open("ab") as log:
                log.write(f"=== prefect server start --port {port}\n".encode())
                log.flush()
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "prefect",
                        "server",
                        "start",
                        "--host",
                        LOOPBACK,
                        "--port",
                        str(port),
                    ],
                    cwd=home,
                    env=_prefect_server_env(home, database_url),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if _wait_healthy(proc, f"http://{LOOPBACK}:{port}/api/health", start_timeout):
                break
            code = proc.poll()
            _stop_process_group(proc)
            proc = None
            what = f"exited with code {code}" if code is not None else f"not healthy after {start_timeout:.0f}s"
            failure = f"prefect server on port {port} {what}; log tail ({log_file}):\n{_tail(log_file)}"
            if "already in use" not in _tail(log_file, 15).lower():
                break
        if proc is None:
            raise ServiceStartError(failure)

        base = f"http://{LOOPBACK}:{port}"
        client_env = {
            "PREFECT_API_URL": f"{base}/api",
            "PREFECT_UI_URL": base,
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "NO_PROXY": NO_PROXY,
            "no_proxy": NO_PROXY,
        }
        yield PrefectServer(
            api_url=f"{base}/api",
            ui_url=f"{base}/",
            home=home,
            env=client_env,
            port=port,
            log_file=log_file,
        )
    finally:
        if proc is not None:
            _stop_process_group(proc)
        _rmtree(home)
