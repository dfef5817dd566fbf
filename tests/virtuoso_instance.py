"""A throwaway Virtuoso 7.2 (Debian's `virtuoso-t`) on 127.0.0.1: for the tests, `.ci/run` and the benchmarks.

Never the system service: a virtuoso.ini generated into a folder of its own (database, log, lock), its own two
ports (SQL and HTTP), the `dba` password changed from the shipped default to a random one, and a user for the
project's writes with the SPARQL_UPDATE role and a random password, written to `FOLDER/credentials` (mode 600,
the format `senate-kg push --credentials-file` reads). Start-up takes 2-10 s.

    python tests/virtuoso_instance.py --folder DIR [--port 8890] [--buffers 20000]

starts one in the background and prints `URL CREDENTIALS-FILE PID` (the SPARQL URL); stop it by that PID.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"
WRITER = "senate_kg"
INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {folder}
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
ThreadsPerQuery = 2
MaxQueryMem = 1G

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
MaxClientConnections = 64
ServerThreads = 16
Charset = UTF-8
EnabledGzipContent = 0

[SPARQL]
; above the project's MAX_ROWS (10,000): Virtuoso cuts a larger result silently at this many rows
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


@dataclass
class Virtuoso:
    folder: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen | None
    user: str = WRITER
    password: str = ""

    @property
    def url(self) -> str:
        """The SPARQL endpoint (reads, anonymous)."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def credentials_file(self) -> Path:
        return self.folder / "credentials"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


def available() -> bool:
    return shutil.which(VIRTUOSO) is not None and shutil.which(ISQL) is not None


def require() -> None:
    """In a test: skip where Virtuoso is not installed, or fail under CI, which must have installed it."""
    import pytest

    if not available():
        if os.environ.get("CI"):
            pytest.fail("virtuoso-t is missing: apt-get install -y virtuoso-opensource")
        pytest.skip("Virtuoso is not installed (apt-get install -y virtuoso-opensource)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_ini(folder: Path, http_port: int, sql_port: int, buffers: int = 20_000) -> Path:
    ini = folder / "virtuoso.ini"
    ini.write_text(INI.format(folder=folder, http_port=http_port, sql_port=sql_port, buffers=buffers,
                              dirty=buffers * 3 // 4), encoding="utf-8")
    return ini


def launch(instance: Virtuoso, *, detach: bool = False, seconds: float = 60) -> None:
    """Run `virtuoso-t` on the instance's folder (a new one, or the same after a stop) until it answers."""
    log = open(instance.folder / "virtuoso.out", "ab")  # noqa: SIM115 - handed to the child
    instance.process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(instance.folder / "virtuoso.ini")],
                                        cwd=instance.folder, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=detach)
    log.close()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if instance.process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited ({instance.process.returncode}); see {instance.folder}/virtuoso.log")
        try:
            with urllib.request.urlopen(instance.url + "?query=ASK%7B%7D", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    stop(instance)
    raise RuntimeError(f"Virtuoso did not answer on {instance.url} within {seconds:g} s")


def start(folder: Path, http_port: int | None = None, sql_port: int | None = None, *, buffers: int = 20_000,
          detach: bool = False) -> Virtuoso:
    """A fresh database in `folder`, started, with its passwords set and the writer's credentials file."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = http_port or free_port(), sql_port or free_port()
    write_ini(folder, http_port, sql_port, buffers)
    instance = Virtuoso(folder, http_port, sql_port, None, password=secrets.token_urlsafe(16))
    launch(instance, detach=detach)
    _set_passwords(instance, secrets.token_urlsafe(16))
    path = instance.credentials_file
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(f"user={instance.user}\npassword={instance.password}\n", encoding="utf-8")
    return instance


def _set_passwords(instance: Virtuoso, dba_password: str) -> None:
    """The writer with SPARQL_UPDATE (Graph Store and update endpoints), then dba's default password changed.
    The statements go on isql's stdin, not its command line, where `ps` would show them."""
    script = (f"DB.DBA.USER_CREATE('{instance.user}', '{instance.password}');\n"
              f"GRANT SPARQL_UPDATE TO \"{instance.user}\";\n"
              f"DB.DBA.USER_SET_OPTION('{instance.user}', 'DISABLED', 0);\n"
              f"user_set_password('dba', '{dba_password}');\n")
    done = subprocess.run([ISQL, f"127.0.0.1:{instance.sql_port}", "dba", "dba"], input=script.encode(),
                          capture_output=True, timeout=60)
    if done.returncode != 0 or b"Error" in done.stdout + done.stderr:
        raise RuntimeError(f"isql could not set up the users: {(done.stdout + done.stderr).decode()[-500:]}")


def stop(instance: Virtuoso, sig: int = signal.SIGTERM) -> None:
    """Stop the server (SIGTERM: it checkpoints; SIGKILL: it replays its log on the next start)."""
    process = instance.process
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--port", type=int, help="HTTP port (default: a free one)")
    parser.add_argument("--sql-port", type=int)
    parser.add_argument("--buffers", type=int, default=20_000, help="8 KB pages of cache (20,000: 160 MB)")
    args = parser.parse_args(argv)
    if not available():
        print("virtuoso-t / isql-vt not found: apt-get install -y virtuoso-opensource", file=sys.stderr)
        return 2
    instance = start(args.folder, args.port, args.sql_port, buffers=args.buffers, detach=True)
    print(instance.url, instance.credentials_file, instance.pid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
