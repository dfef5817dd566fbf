"""What a store was built with, kept in a small JSON file next to it (`<DIR>.json`).

Why: every IRI in the store is minted under the base URI given to `build`; a server started with another base
would mint links that do not dereference. `build` records its base here and `serve` (and later builds into the
same store) refuse a different one. The file sits beside the store folder, not inside it, because the folder
belongs to pyoxigraph.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mapping.iris import DEFAULT_BASE, normalise_base
from senate_kg import __version__


class SettingsError(ValueError):
    """The settings file is unreadable, or a requested base URI disagrees with the one the store holds."""


def settings_path(store_dir: Path) -> Path:
    """`var/store` -> `var/store.json` (a sibling, like the dumps `var/store.dumps`)."""
    store_dir = Path(store_dir)
    return store_dir.with_name(store_dir.name + ".json")


def read_settings(store_dir: Path) -> dict:
    """The recorded settings, or {} for a store built before (or without) them."""
    path = settings_path(store_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise SettingsError(f"{path}: cannot read the store settings: {exc}") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: base_uri: expected a JSON object")
    return data


def stored_base(store_dir: Path) -> str | None:
    """The base URI the store was built with, if recorded."""
    base = read_settings(store_dir).get("base_uri")
    if base is not None and not isinstance(base, str):
        raise SettingsError(f"{settings_path(store_dir)}: base_uri: expected a string, got {base!r}")
    return base


def resolve_base(store_dir: Path | None, requested: str | None) -> str:
    """The base URI to use: the requested one, else the recorded one, else the default; a requested base that
    differs from the recorded one is refused (the store's IRIs would not match the server's)."""
    try:
        wanted = normalise_base(requested) if requested else None
    except ValueError as exc:
        raise SettingsError(f"--base-uri: {exc}") from exc
    recorded = stored_base(store_dir) if store_dir is not None else None
    if wanted and recorded and normalise_base(recorded) != wanted:
        raise SettingsError(
            f"--base-uri {wanted} differs from {recorded}, the base URI the store {store_dir} was built with "
            f"(recorded in {settings_path(store_dir)}); use --base-uri {recorded}, or build a new store")
    return wanted or (normalise_base(recorded) if recorded else DEFAULT_BASE)


def remember_base(store_dir: Path, base: str) -> None:
    """Record the base URI (atomically: a reader never sees half a file)."""
    path = settings_path(store_dir)
    data = read_settings(store_dir) | {"base_uri": normalise_base(base), "built_with": f"senate-kg {__version__}"}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)
