"""Resolving the settings of ``settings.SETTINGS`` for one program: default < settings file
< environment < command line, each value converted to its setting's type, with a message
naming the setting when it cannot be; and the data dirs they locate (created 0700).

Kept apart from the list so that ``settings.py`` stays the one place a setting is added.
"""

from __future__ import annotations

import argparse
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from settings import BY_NAME, Setting, settings_for

SETTINGS_FILE_NAME = "settings.toml"
APP_NAME = "TeamApp"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


def default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_diary_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "diary-server"


@dataclass(frozen=True)
class Settings:
    """Resolved values; ``sources`` tells where each came from (for diagnostics)."""

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    def replace(self, **changes: Any) -> Settings:
        for name in changes:
            if name not in BY_NAME:
                raise SettingsError(f"unknown setting {name!r}")
        values = {**self.values, **{k: convert(BY_NAME[k], v) for k, v in changes.items()}}
        return Settings(values, {**self.sources, **{k: "code" for k in changes}})


def convert(setting: Setting, raw: Any) -> Any:
    """Turn a raw value (string from env/CLI, or TOML value) into the setting's type."""
    if raw is None:
        return None
    where = setting.name
    if setting.type == "int":
        if isinstance(raw, bool):
            raise SettingsError(f"{where}: expected a whole number, got {raw!r}")
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise SettingsError(f"{where}: expected a whole number, got {raw!r}") from None
    if setting.type == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise SettingsError(f"{where}: expected true or false, got {raw!r}")
    if setting.type == "path":
        return Path(str(raw)).expanduser()
    text = str(raw)
    if setting.type == "choice" and text not in setting.choices:
        raise SettingsError(f"{where}: expected one of {', '.join(setting.choices)}, got {text!r}")
    return text


def add_arguments(parser: argparse.ArgumentParser, scope: str) -> None:
    """Add one option per setting of ``scope``; values stay strings until :func:`load`."""
    for setting in settings_for(scope):
        help_text = f"{setting.help} [env {setting.env_var}; default {setting.default!r}]"
        if setting.type == "bool":
            parser.add_argument(
                setting.cli_flag,
                dest=setting.name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                setting.cli_flag,
                dest=setting.name,
                default=None,
                metavar=setting.name.upper(),
                choices=setting.choices or None,
                help=help_text,
            )


def read_settings_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    for name in data:
        if name not in BY_NAME:
            raise SettingsError(f"{path}: unknown setting {name!r}")
        if not BY_NAME[name].file_allowed:
            raise SettingsError(f"{path}: {name} cannot be set in the settings file")
    return data


def load(
    scope: str,
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting of ``scope``: default < settings file < environment < CLI."""
    cli = {k: v for k, v in (cli or {}).items() if v is not None and k in BY_NAME}
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    relevant = settings_for(scope)

    def layer(name: str) -> tuple[Any, str] | None:
        if name in cli:
            return cli[name], "command line"
        env_var = BY_NAME[name].env_var
        if env_var in environ:
            return environ[env_var], "environment"
        return None

    # The data dir locates the settings file, so it is resolved first and never from it.
    dir_setting = "diary_data_dir" if scope == "diary" else "data_dir"
    found = layer(dir_setting)
    if found:
        data_dir = convert(BY_NAME[dir_setting], found[0])
        sources[dir_setting] = found[1]
    else:
        data_dir = default_diary_data_dir() if scope == "diary" else default_data_dir()
        sources[dir_setting] = "default"
    values[dir_setting] = data_dir
    from_file = read_settings_file(Path(data_dir) / SETTINGS_FILE_NAME)

    for setting in relevant:
        if setting.name == dir_setting:
            continue
        found = layer(setting.name)
        if found:
            values[setting.name] = convert(setting, found[0])
            sources[setting.name] = found[1]
        elif setting.name in from_file:
            values[setting.name] = convert(setting, from_file[setting.name])
            sources[setting.name] = "file"
        else:
            values[setting.name] = convert(setting, setting.default)
            sources[setting.name] = "default"
    return Settings(values, sources)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700: it holds screenshots and tokens."""
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != 0o700:
            path.chmod(0o700)
    return path
