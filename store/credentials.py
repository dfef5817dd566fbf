"""Credentials for writing to a remote store: from the environment or from a file only its owner can read.

Why these two sources and no option: a password on the command line is visible to every user of the machine
(`ps`, /proc/PID/cmdline) and stays in shell histories. A file readable by anyone but its owner is refused for
the same reason. The password is never part of a repr, a log line or an error message; only the user name is.
`senate-kg serve` is read-only: it removes these variables from its environment before it starts, so neither
its configuration nor its worker processes hold them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from store import StoreError

ENV_USER = "SENATE_KG_REMOTE_USER"
ENV_PASSWORD = "SENATE_KG_REMOTE_PASSWORD"


class CredentialsError(ValueError):
    """The credentials cannot be used (missing half, unsafe file); the message never holds the password."""


class StoreAuthError(StoreError):
    """The store refused the credentials (or asked for some and none were given)."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=<hidden>)"


def from_environment(env: MutableMapping[str, str] | None = None) -> Credentials | None:
    """SENATE_KG_REMOTE_USER and SENATE_KG_REMOTE_PASSWORD, both or neither."""
    env = os.environ if env is None else env
    user, password = env.get(ENV_USER), env.get(ENV_PASSWORD)
    if not user and not password:
        return None
    if not user or not password:
        missing = ENV_USER if not user else ENV_PASSWORD
        raise CredentialsError(f"{missing} is not set (set both {ENV_USER} and {ENV_PASSWORD}, or neither)")
    return Credentials(user, password)


def forget_environment(env: MutableMapping[str, str] | None = None) -> bool:
    """Remove the write credentials from the environment (a read-only server must not hold them)."""
    env = os.environ if env is None else env
    found = [env.pop(name, None) for name in (ENV_USER, ENV_PASSWORD)]
    return any(found)


def from_file(path: Path) -> Credentials:
    """`user=NAME` and `password=SECRET` lines (blank lines and `#` comments allowed). The file must be a regular
    file of the current user, neither readable nor writable by group or others (chmod 600)."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise CredentialsError(f"{path}: cannot read the credentials file: {exc.strerror or exc}") from exc
    _check_private(path, info)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"{path}: cannot read the credentials file: {getattr(exc, 'strerror', None) or exc}"
                               ) from exc
    values = _key_values(path, text)
    if not values.get("user") or not values.get("password"):
        raise CredentialsError(f"{path}: the credentials file needs a `user=` and a `password=` line")
    return Credentials(values["user"], values["password"])


def _check_private(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise CredentialsError(f"{path}: the credentials file is not a regular file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise CredentialsError(f"{path}: the credentials file belongs to another user (uid {info.st_uid})")
    if info.st_mode & 0o077:
        raise CredentialsError(f"{path}: the credentials file can be read or written by others (mode "
                               f"{stat.S_IMODE(info.st_mode):04o}); refused: chmod 600 {path}")


def _key_values(path: Path, text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition("=")
        if not sep or key.strip() not in ("user", "password"):
            raise CredentialsError(f"{path}: line {number}: expected `user=NAME` or `password=SECRET`")
        values[key.strip()] = value.strip()
    return values
