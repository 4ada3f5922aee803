"""Every setting of both programs, in one documented list.

Each setting has a name, a default, a type and a help text; the same list builds the
command-line options, reads the environment (``TEAMAPP_<NAME>``) and the settings file
(``settings.toml`` in the data dir), and fills the README's table (a test checks it).
Precedence, lowest first: default < file < environment < command line.
"""

from __future__ import annotations

import argparse
import os
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "TEAMAPP_"
SETTINGS_FILE_NAME = "settings.toml"
APP_NAME = "TeamApp"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    type: str = "str"  # str | int | bool | path | choice
    choices: tuple[str, ...] = ()
    #: Which program reads it: "app" (the Team app), "diary" (the diary server) or both.
    scope: tuple[str, ...] = ("app",)
    #: Command-line spelling, when it differs from --name-with-dashes.
    flag: str | None = None
    #: Settings that locate the settings file cannot come from that file.
    file_allowed: bool = True

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def cli_flag(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")


def default_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def default_diary_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "diary-server"


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "data_dir",
        None,
        "Folder for the Team app's database, snapshots and settings.toml "
        "(default: the platform's user data dir, e.g. ~/.local/share/TeamApp). Created 0700.",
        type="path",
        file_allowed=False,
    ),
    Setting(
        "port",
        0,
        "Port of the Team app's local web server on 127.0.0.1 (0 = pick a free port).",
        type="int",
    ),
    Setting(
        "diary_url",
        "",
        "URL of the remote diary server, e.g. https://diary.example.com. Empty: start the "
        "embedded diary server in-process (127.0.0.1, free port, SQLite in the data dir).",
    ),
    Setting(
        "window",
        "auto",
        "How to show the app: native (pywebview window), browser (the default browser), none "
        "(only serve and print the URL), auto (native when there is a display, the browser if no "
        "GUI backend works; with no display at all, only serve). --no-window is short for --window none.",
        type="choice",
        choices=("auto", "native", "browser", "none"),
    ),
    Setting(
        "token_store",
        "auto",
        "Where the diary sign-in token is kept: keyring (the OS keyring), file (a 0600 file "
        "in the data dir), auto (the keyring when one exists, else the file).",
        type="choice",
        choices=("auto", "keyring", "file"),
    ),
    Setting(
        "tray",
        True,
        "Show a system-tray icon (logging on/off and the contract; On/Off and Open in its menu) "
        "where the desktop has a tray.",
        type="bool",
    ),
    Setting(
        "test_clock",
        False,
        "For automated tests only: the app's clock stands still and POST /test/clock "
        "(seconds=N) moves it forward, so tests cross segments, review windows and idle "
        "timeouts in seconds. Never on by default; the endpoint does not exist without it.",
        type="bool",
    ),
    Setting(
        "test_clock_start",
        "",
        "For automated tests only, with --test-clock: the moment the test clock starts at "
        "(ISO 8601, e.g. 2026-11-24T08:00:00+00:00), so a test can start the app again the next "
        "morning. Empty: now.",
    ),
    Setting(
        "log_level",
        "info",
        "How much the programs log to stderr.",
        type="choice",
        choices=("debug", "info", "warning", "error"),
        scope=("app", "diary"),
    ),
    Setting(
        "diary_host",
        "127.0.0.1",
        "Address the diary server listens on. Keep 127.0.0.1 unless a reverse proxy with TLS sits in front of it.",
        scope=("diary",),
        flag="--host",
    ),
    Setting(
        "diary_port",
        8470,
        "Port the diary server listens on (0 = pick a free port).",
        type="int",
        scope=("diary",),
        flag="--port",
    ),
    Setting(
        "diary_database",
        "",
        "Database of the diary server: sqlite:///PATH or postgresql://USER:PASS@HOST/DB. "
        "Empty: diary.sqlite3 in the diary server's data dir.",
        scope=("diary",),
        flag="--database",
    ),
    Setting(
        "diary_data_dir",
        None,
        "Folder for the diary server's SQLite database, uploaded files, secret key and "
        "settings.toml (default: <user data dir>/TeamApp/diary-server; the embedded server "
        "uses <data dir>/diary).",
        type="path",
        scope=("diary",),
        flag="--data-dir",
        file_allowed=False,
    ),
    Setting(
        "diary_secret_key",
        "",
        "Key that signs the diary server's web sessions and CSRF tokens. Empty: a random key "
        "kept in secret_key in its data dir. Set the same value on every machine of a team.",
        scope=("diary",),
        flag="--secret-key",
    ),
    Setting(
        "diary_demo",
        False,
        "Create a demo client and a demo freelancer on first start and print their "
        "passwords (always on for the embedded server).",
        type="bool",
        scope=("diary",),
        flag="--demo",
    ),
    Setting(
        "diary_login_attempts",
        5,
        "Failed sign-ins allowed per e-mail address from one client address (and 10x that per "
        "client address) before each further attempt waits: 2 s, then twice as long each time, "
        "up to 15 minutes (429 Too Many Requests). Forgotten an hour after the last attempt, "
        "or at a correct password.",
        type="int",
        scope=("diary",),
        flag="--login-attempts",
    ),
    Setting(
        "diary_trusted_proxies",
        0,
        "Reverse proxies in front of the diary server whose X-Forwarded-For, -Proto and -Host "
        "headers are trusted (0 = none: the connecting address is the client). Set 1 behind one "
        "proxy that sets those headers, or every user shares the proxy's address in the sign-in "
        "limit; never set it without a proxy, since clients could then pick their own address.",
        type="int",
        scope=("diary",),
        flag="--trusted-proxies",
    ),
    Setting(
        "diary_behind_tls",
        False,
        "The diary server is reached over HTTPS (TLS ends at a reverse proxy): its session cookie "
        "gets the Secure flag and every answer a Strict-Transport-Security header. Automatic per "
        "request when a trusted proxy sends X-Forwarded-Proto: https.",
        type="bool",
        scope=("diary",),
        flag="--behind-tls",
    ),
    Setting(
        "diary_hash_slots",
        0,
        "Password hashes the diary server computes at once (each takes 19 MiB of memory for a "
        "few hundredths of a second); more sign-ins wait up to 10 s, then get 503 with "
        "Retry-After. 0 = half the CPU cores, at least 1.",
        type="int",
        scope=("diary",),
        flag="--hash-slots",
    ),
    Setting(
        "diary_pool_size",
        20,
        "Database connections one diary server process keeps open and shares between its threads "
        "(per gunicorn worker: keep it at least --threads; PostgreSQL's max_connections must hold "
        "workers x this). A request that finds them all busy waits (--pool-wait-seconds).",
        type="int",
        scope=("diary",),
        flag="--pool-size",
    ),
    Setting(
        "diary_pool_stale_seconds",
        300,
        "Age in seconds after which a pooled database connection is closed and replaced at its next use (0 = never).",
        type="int",
        scope=("diary",),
        flag="--pool-stale-seconds",
    ),
    Setting(
        "diary_pool_wait_seconds",
        10,
        "Seconds a request waits for a free pooled database connection before it gets 503 with Retry-After.",
        type="int",
        scope=("diary",),
        flag="--pool-wait-seconds",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


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


def settings_for(scope: str) -> list[Setting]:
    return [s for s in SETTINGS if scope in s.scope]


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


def documentation_rows(scopes: Sequence[str] = ("app", "diary")) -> list[tuple[str, str, str, str]]:
    """(option, environment variable, default, help) for the README's table."""
    rows = []
    for setting in SETTINGS:
        if any(s in setting.scope for s in scopes):
            rows.append((setting.cli_flag, setting.env_var, repr(setting.default), setting.help))
    return rows


def markdown_table() -> str:
    """The README's settings table (``python settings.py`` prints it)."""
    lines = ["| Option | Environment | Default | What it does |", "|---|---|---|---|"]
    for s in SETTINGS:
        scope = {("app",): "Team app", ("diary",): "diary server"}.get(s.scope, "both")
        if s.default is None:
            default = "platform data dir"
        elif isinstance(s.default, bool):
            default = str(s.default).lower()
        else:
            default = "(empty)" if s.default == "" else str(s.default)
        lines.append(f"| `{s.cli_flag}` | `{s.env_var}` | {default} | ({scope}) {s.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
