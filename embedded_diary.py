"""The Work Diary server running inside the Team app (``make run``): started on last time's
port when it is free, with demo accounts on first start, and the signed-in account kept on
it when it had to move. Part of the composition root, beside app.py."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TextIO

from settings_load import ensure_private_dir

log = logging.getLogger("teamapp")

EMBEDDED_ADDRESS_FILE = "address.json"


def start_embedded_diary(data_dir: Path, out: TextIO, clock=None):
    """The diary server in-process, with demo accounts on first start.

    It listens on the port it had last time when that port is free (the account, its token
    and its sync cursors are keyed by the diary's address); else on a free one, and the
    caller moves the account over (:func:`sync.account.follow_diary_move`). Returns the
    server, its app, the demo-accounts file and the address it had before (or None).
    ``clock`` (the test clock) is shared so the diary agrees with the app about "now"."""
    from dbkit.database import hold_open
    from diary_server.demo import DEMO_FILE_NAME, ensure_demo_accounts, format_demo_accounts
    from diary_server.factory import create_app as create_diary_app
    from diary_server.factory import utc_now
    from web.serving import ServerThread

    diary_dir = ensure_private_dir(data_dir / "diary")
    # One process writes this diary: a held pull is woken by the write itself, never by a poll.
    # Password hashes and the common-password list in a short-lived process: their memory
    # (19 MiB a hash, ~14 MiB of word lists) is not kept by the app that runs all day.
    config = {"DATA_DIR": diary_dir, "CHANGES_POLL_SECONDS": 0, "HASH_OUT_OF_PROCESS": True}
    if clock is not None:
        from datetime import UTC

        config["CLOCK"] = lambda: clock.now().astimezone(UTC)
    diary_app = create_diary_app(config)
    # Its request threads open and close connections; one held open keeps each close from
    # checkpointing and deleting the WAL (see hold_open). app.py's close_cleanly closes it.
    hold_open(diary_app.extensions["diary_db"])
    if diary_app.extensions.get("diary_damage"):
        out.write("Embedded Work Diary: " + diary_app.extensions["diary_damage"] + "\n")
    created = ensure_demo_accounts(diary_app.extensions["diary_db"], diary_dir, config.get("CLOCK", utc_now)())
    if created:
        out.write(format_demo_accounts(created, embedded=True))
        out.write(f"(saved in {diary_dir / DEMO_FILE_NAME})\n")
    previous = _read_embedded_address(diary_dir)
    server = None
    if previous is not None and _port_is_free(previous[1]):
        try:
            server = ServerThread(diary_app, "127.0.0.1", previous[1], name="embedded-diary")
        except OSError:  # taken by another program since: any free port, and the account follows
            log.info("the embedded diary's port %s is taken; using another", previous[1])
    if server is None:
        server = ServerThread(diary_app, "127.0.0.1", 0, name="embedded-diary")
    server.start()
    _write_embedded_address(diary_dir, server.base_url)
    out.write(f"Embedded Work Diary running at {server.base_url}/\n")
    return server, diary_app, diary_dir / DEMO_FILE_NAME, previous[0] if previous else None


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _read_embedded_address(diary_dir: Path) -> tuple[str, int] | None:
    import json
    from urllib.parse import urlsplit

    try:
        url = json.loads((diary_dir / EMBEDDED_ADDRESS_FILE).read_text(encoding="utf-8"))["url"]
        port = urlsplit(url).port
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return (url, port) if port else None


def _write_embedded_address(diary_dir: Path, url: str) -> None:
    import json

    path = diary_dir / EMBEDDED_ADDRESS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"url": url}), encoding="utf-8")
    os.replace(tmp, path)


def follow_embedded_diary(token_store, diary_app, previous_url: str | None, url: str, out: TextIO) -> None:
    """Keep a signed-in account on the embedded diary when it came back on another address.

    The account is on the embedded diary when its address is the one the embedded diary had
    last time, or (data dirs from before that was recorded) when it is a loopback address and
    the embedded diary knows the same user."""
    from urllib.parse import urlsplit

    from diary_server.models import User
    from models.local import local_db
    from sync.account import current_account, follow_diary_move

    with local_db.connection_context():
        account = current_account()
        if account is None or account.diary_url == url:
            return
        ours = account.diary_url == previous_url
        if not ours and urlsplit(account.diary_url).hostname in ("127.0.0.1", "localhost"):
            with diary_app.extensions["diary_db"].connection_context():
                ours = User.select().where((User.id == account.user_id) & (User.email == account.email)).exists()
        if ours and follow_diary_move(account.diary_url, url, token_store=token_store):
            out.write(f"The embedded Work Diary moved to {url}; your sign-in and uploads follow it.\n")
