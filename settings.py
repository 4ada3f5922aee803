"""Every setting of both programs, in one documented list.

Each setting has a name, a default, a type and a help text. To add one, append a
``Setting`` to ``SETTINGS`` (and paste ``python settings.py``'s new table into the README:
a test checks they match). The same list builds the command-line options, reads the
environment (``TEAMAPP_<NAME>``) and the settings file (``settings.toml`` in the data dir):
``settings_load`` does that, with this precedence, lowest first: default < file <
environment < command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENV_PREFIX = "TEAMAPP_"


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


def settings_for(scope: str) -> list[Setting]:
    return [s for s in SETTINGS if scope in s.scope]


def markdown_table() -> str:
    """The README's settings table (``python settings.py`` prints it)."""
    lines = ["| Option | Environment | Default | What it does |", "|---|---|---|---|"]
    programs: dict[tuple[str, ...], str] = {("app",): "Team app", ("diary",): "diary server"}
    for s in SETTINGS:
        scope = programs.get(s.scope, "both")
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
