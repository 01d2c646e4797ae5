"""A throwaway PostgreSQL server for the tests (import as ``from pgserver import ...``).

:class:`PostgresServer` runs ``initdb`` in a new temporary folder and starts
``postgres`` on a unix socket in that folder only (no TCP port, so parallel
test workers never collide), with durability switched off for speed and the
server's time zone set to Europe/Vilnius, so naive-versus-aware timestamp
mistakes show.  ``stop()`` shuts it down and deletes the folder.  The
postmaster is a direct child of the test process and gets SIGQUIT if that
process dies, so even a killed test run leaves no server behind.

PostgreSQL refuses to run as root.  As root (CI here, containers) the server
runs as the unprivileged user ``nobody`` and the folder is given to it.
pytest-postgresql and testing.postgresql were considered: both start
PostgreSQL as the current user and have no way to switch users, so they fail
as root.

The binaries are found on ``PATH`` or in Debian's ``/usr/lib/postgresql/<N>/bin``
(the newest); ``make test`` installs Debian's ``postgresql`` on first use.

``ROUTEPLANNER_TEST_POSTGRES_URL`` (a libpq URL of a user allowed to create
databases, e.g. ``postgresql://me@localhost/postgres``) uses an existing
server instead of starting one.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

#: An existing server to use instead of starting one (see the module docstring).
EXTERNAL_URL_VARIABLE = "ROUTEPLANNER_TEST_POSTGRES_URL"
UNPRIVILEGED_USER = "nobody"
PORT = 5432  # only names the socket file: the server listens on no TCP port
START_TIMEOUT_S = 60.0

#: ``make test`` installs PostgreSQL; say so when it is missing.
HOW_TO_INSTALL = (
    "PostgreSQL's server programs (initdb, postgres) were not found on PATH nor in "
    "/usr/lib/postgresql/<version>/bin. `make test` installs them (Debian: apt-get install postgresql); "
    f"or set {EXTERNAL_URL_VARIABLE} to a server where the tests may create databases."
)


class PostgresUnavailable(RuntimeError):
    """PostgreSQL could not be found or started; the message says why."""


def find_bindir() -> Path:
    """The folder with ``initdb`` and ``postgres``: PATH first, then Debian's newest."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("postgres"):
        return Path(os.path.realpath(initdb)).parent

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(bindir) / "initdb").exists() and (Path(bindir) / "postgres").exists():
            return Path(bindir)
    raise PostgresUnavailable(HOW_TO_INSTALL)


def _die_with_parent_hook():
    """For ``preexec_fn``: the child gets SIGQUIT (immediate shutdown) when this process dies.

    It runs in the child after the switch of user (which would clear the
    setting), so it only calls a function looked up here beforehand.
    """
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    PR_SET_PDEATHSIG = 1

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGQUIT), 0, 0, 0)

    return hook


class PostgresServer:
    """One PostgreSQL server in a temporary folder, or an existing one (``external_url``)."""

    def __init__(self, external_url: str | None = None):
        self.external_url = external_url
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None
        self._names = itertools.count(1)

    # --- life cycle -----------------------------------------------------------------

    def start(self) -> "PostgresServer":
        if self.external_url:
            self._check_external()
            return self
        bindir = find_bindir()
        as_root = os.geteuid() == 0
        user = pwd.getpwnam(UNPRIVILEGED_USER) if as_root else None
        self.folder = Path(tempfile.mkdtemp(prefix="routeplanner-pg-"))
        data = self.folder / "data"
        log = self.folder / "server.log"
        run_as: dict = {}
        if user is not None:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
        try:
            done = subprocess.run(
                [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
                capture_output=True, text=True, cwd=self.folder, timeout=120, **run_as,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self.stop()
            raise PostgresUnavailable(f"initdb could not run: {exc}") from exc
        if done.returncode != 0:
            self.stop()
            raise PostgresUnavailable(f"initdb failed (exit code {done.returncode}):\n{done.stdout}{done.stderr}")
        settings = {
            "listen_addresses": "",
            "unix_socket_directories": str(self.folder),
            "port": str(PORT),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "timezone": "Europe/Vilnius",
        }
        args = [str(bindir / "postgres"), "-D", str(data)]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with open(log, "w") as out:
            try:
                self.proc = subprocess.Popen(
                    args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.folder,
                    preexec_fn=_die_with_parent_hook(), **run_as,
                )
            except OSError as exc:
                self.stop()
                raise PostgresUnavailable(f"postgres could not start: {exc}") from exc
        self._wait_ready(log)
        return self

    def _wait_ready(self, log: Path) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                text = log.read_text(errors="replace")
                self.stop()
                raise PostgresUnavailable(f"postgres ended at start (exit code {self.proc.returncode}):\n{text}")
            try:
                with psycopg.connect(self.admin_conninfo, connect_timeout=5) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    text = log.read_text(errors="replace")
                    self.stop()
                    raise PostgresUnavailable(f"postgres did not accept connections in {START_TIMEOUT_S:g} s: "
                                              f"{exc}\n{text}") from exc
                time.sleep(0.05)

    def _check_external(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.admin_conninfo, connect_timeout=10) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            raise PostgresUnavailable(f"{EXTERNAL_URL_VARIABLE}={self.external_url!r}: cannot connect: {exc}") from exc

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: end sessions, stop
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    # --- databases ------------------------------------------------------------------

    @property
    def admin_conninfo(self) -> str:
        if self.external_url:
            return self.external_url
        return f"host={self.folder} port={PORT} user=postgres dbname=postgres"

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of one database on this server."""
        if self.external_url:
            from sqlalchemy.engine import make_url

            return make_url(self.external_url).set(drivername="postgresql+psycopg", database=dbname) \
                .render_as_string(hide_password=False)
        return f"postgresql+psycopg://postgres@/{dbname}?host={quote(str(self.folder), safe='/')}&port={PORT}"

    def create_database(self, prefix: str = "routeplanner_test") -> str:
        """A new empty database; its name (unique on the server for this process)."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        """Drop it, ending whatever sessions are still connected (worker processes)."""
        import psycopg

        with psycopg.connect(self.admin_conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
