"""A throwaway Redis server for the tests (import as ``from redisserver import RedisServer``).

``redis-server`` from Debian (``make test`` installs it) on a unix socket in a
new temporary folder, without persistence: parallel test workers never share
one, and nothing is written outside the folder.  The server gets SIGTERM if the
test process dies, so a killed run leaves no server behind.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

HOW_TO_INSTALL = "redis-server was not found on PATH; `make test` installs it (Debian: apt-get install redis-server)"


class RedisUnavailable(RuntimeError):
    """Redis could not be found or started; the message says why."""


def _die_with_parent() -> None:
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG


class RedisServer:
    def __init__(self):
        self.folder: Path | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def socket(self) -> Path:
        assert self.folder is not None
        return self.folder / "redis.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable(HOW_TO_INSTALL)
        self.folder = Path(tempfile.mkdtemp(prefix="routeplanner-redis-"))
        log = (self.folder / "redis.log").open("w")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 20
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                text = (self.folder / "redis.log").read_text()
                self.stop()
                raise RedisUnavailable(f"redis-server did not start: {text[-2000:]}")
            time.sleep(0.05)
        return self

    def flush(self) -> None:
        from redis import Redis

        with Redis.from_url(self.url) as r:
            r.flushall()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
