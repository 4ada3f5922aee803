"""Desktop notifications over a real D-Bus session bus, to a fake notification server."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_snapshot_notification_reaches_the_desktop_with_delete_and_keep():
    if shutil.which("dbus-run-session") is None:
        pytest.fail("dbus-run-session is missing: `make test` installs Debian's dbus package")
    r = subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(ROOT / "tests" / "support" / "notification_probe.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["received"], result
    note = result["received"][0]
    assert note["app"] == "Team" and note["summary"] == "Snapshot taken" and "notes.txt" in note["body"]
    assert "Delete" in note["actions"] and "Keep" in note["actions"]
