"""Privacy: typed text never reaches the database, the data dir or the logs.

A real logging process (real X11 sources: the libXtst RECORD counter, python-xlib for the
window, mss) runs while xdotool types a secret phrase into an xterm; afterwards every
byte the process wrote is searched for the phrase, its words and key names.
"""

import re
import signal
import sqlite3
import subprocess

from tests.integration.tracker.conftest import REPO, runner_command, runner_env, xdotool

SECRET = "zebra quantum marmalade"
KEY_NAMES = ["Key.", "KeyCode", "Button.left", "Button.right", "'z'", "marmalade", "zebra", "quantum", "Return"]


def test_typed_secret_and_key_names_are_not_stored_anywhere(xterm, tmp_path):
    data = tmp_path / "data"
    log_file = tmp_path / "capture.log"
    proc = subprocess.Popen(
        runner_command("--data-dir", str(data), "--log-file", str(log_file), "--contract", "5"),
        cwd=REPO,
        env=runner_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "logging", proc.stderr.read()
        xterm.activate()
        xdotool("mousemove", "--window", xterm.window_id, "30", "30")
        xdotool("type", "--delay", "5", SECRET)
        xdotool("key", "Return")
        xdotool("click", "1")
        xdotool("click", "4")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped")

    con = sqlite3.connect(data / "cache.sqlite3")
    keys, clicks, scrolls = con.execute("SELECT SUM(keys), SUM(clicks), SUM(scrolls) FROM capture_minute").fetchone()
    title = con.execute("SELECT window_title FROM capture_segment").fetchone()[0]
    con.close()
    # every typed character (lower case and spaces: no modifiers) and the Return, exactly
    assert (keys, clicks, scrolls) == (len(SECRET) + 1, 1, 1), "the listener must have counted the typing"
    assert title == xterm.title

    haystacks = {"stdout": out.encode(), "stderr": err.encode()}
    for path in [*data.rglob("*"), log_file]:
        if path.is_file():
            haystacks[str(path)] = path.read_bytes()
    assert any(name.endswith((".png", ".jpg")) for name in haystacks)
    for name, blob in haystacks.items():
        text = blob.decode("latin-1").lower()
        for needle in [SECRET, *KEY_NAMES]:
            assert needle.lower() not in text, f"{needle!r} found in {name}"
        # also in UTF-16 (how some stores write text)
        assert SECRET.encode("utf-16-le") not in blob
    # the log says what happened, in counts only
    log_text = log_file.read_text()
    assert re.search(r"activity \d+/10", log_text)
