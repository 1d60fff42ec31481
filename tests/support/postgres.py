"""A throwaway PostgreSQL server for tests, started from the system's binaries on loopback.

No test needs a server someone started by hand: the first test that asks for a PostgreSQL database starts
one in a temporary directory (initdb, then `postgres` on a free port on 127.0.0.1 with trust auth and
durability off, since the data is thrown away), and the process's exit stops it. Each test gets an empty
database of its own, as a SQLite test gets a new file: what migrates it is the code under test.

PostgreSQL refuses to run as root, and CI runs as root: then the server runs as `nobody`.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# Where Debian and Ubuntu put the server binaries (not on PATH); the newest version wins.
_DEBIAN_BINARIES = "/usr/lib/postgresql/*/bin"


def binaries() -> Path | None:
    """The directory holding initdb and postgres, or None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found is not None and shutil.which("postgres") is not None:
        return Path(os.path.realpath(found)).parent
    candidates = [Path(d) for d in glob.glob(_DEBIAN_BINARIES) if (Path(d) / "initdb").exists()]

    def version(directory: Path) -> tuple[int, ...]:
        try:
            return tuple(int(part) for part in directory.parent.name.split("."))
        except ValueError:
            return (0,)

    return max(candidates, key=version) if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The test run's server: its data is thrown away, so nothing is flushed to disk.
THROWAWAY: dict[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "shared_buffers": "64MB",
}
# As a production server runs (every commit flushed to disk before it returns): for benchmarks, whose
# figures must include what durability costs.
DURABLE: dict[str, str] = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "max_connections": "400",
    "shared_buffers": "256MB",
}


class PostgresServer:
    """`settings`: the server's configuration (`-c name=value` each); THROWAWAY unless given."""

    def __init__(self, bindir: Path, settings: dict[str, str] | None = None) -> None:
        self.bindir = bindir
        self.settings = dict(THROWAWAY if settings is None else settings)
        self.root = Path(tempfile.mkdtemp(prefix="servicebot-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            self._run_as = {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}
        self._lock = threading.Lock()
        self._count = 0

    def start(self) -> None:
        subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            cwd=self.root,
            **self._run_as,
        )
        for _attempt in range(5):  # a port found free can be taken by another process before we bind
            self.port = _free_port()
            self.process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.root}",
                    *(arg for name, value in self.settings.items() for arg in ("-c", f"{name}={value}")),
                ],
                stdout=subprocess.DEVNULL,
                stderr=open(self.root / "server.log", "ab"),  # noqa: SIM115 (the server owns it)
                cwd=self.root,
                start_new_session=True,  # Ctrl-C on the test run reaches pytest, which stops us in order
                **self._run_as,
            )
            if self._wait_ready():
                return
            self._kill()
        raise RuntimeError(f"PostgreSQL did not start; see {self.root / 'server.log'}")

    def _wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"],
                capture_output=True,
            )
            if ready.returncode == 0:
                return True
            time.sleep(0.1)
        return False

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Statements that cannot run in a transaction (CREATE/DROP DATABASE), on the maintenance database."""
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute(sql)

    def new_database(self, copy_of: str | None = None) -> str:
        """A fresh database's URL: empty, or a copy of the database `copy_of` (which nobody may be using)."""
        with self._lock:
            self._count += 1
            name = f"t{os.getpid()}_{self._count}"
        self.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {copy_of}" if copy_of else ""))
        return self.url(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGQUIT: immediate shutdown; nothing in here is worth a checkpoint.
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._kill()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


_server: PostgresServer | None = None
_server_lock = threading.Lock()


def start_server(settings: dict[str, str]) -> PostgresServer:
    """A server of its own (not the test run's), e.g. DURABLE for a benchmark; the caller stops it."""
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb found on PATH or in /usr/lib/postgresql)")
    started = PostgresServer(bindir, settings)
    atexit.register(started.stop)
    started.start()
    return started


def server() -> PostgresServer:
    """The test run's server, started on first use."""
    global _server
    with _server_lock:
        if _server is None:
            bindir = binaries()
            if bindir is None:
                raise RuntimeError(
                    "PostgreSQL is not installed (no initdb found on PATH or in /usr/lib/postgresql)"
                )
            started = PostgresServer(bindir)
            atexit.register(started.stop)
            started.start()
            _server = started
        return _server


if __name__ == "__main__":
    # `python -m tests.support.postgres`: whether the PostgreSQL pass of `make test` can run (exit 0).
    import sys

    found = binaries()
    if found is None:
        print("PostgreSQL is not installed: no initdb on PATH or in /usr/lib/postgresql/*/bin")
        sys.exit(1)
    print(found)
