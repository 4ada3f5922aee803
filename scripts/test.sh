#!/usr/bin/env bash
# Every test layer on a virtual desktop: ruff (lint and format) and mypy (core, dbkit, desktop, tracker, sync,
# models, ui, settings), then pytest over unit, integration (SQLite and a PostgreSQL cluster the tests start),
# e2e (Playwright + Chromium against real subprocesses) and the native window, all under a
# private D-Bus session. Stops whatever it started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

export NO_AT_BRIDGE=1
export QT_ACCESSIBILITY=0
export PYTHONUNBUFFERED=1
mkdir -p test-artifacts

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# A free display number: no lock file and no socket.
display=""
for n in $(seq 90 160); do
  if [ ! -e "/tmp/.X$n-lock" ] && [ ! -e "/tmp/.X11-unix/X$n" ]; then display=":$n"; break; fi
done
[ -n "$display" ] || { echo "test.sh: no free X display number" >&2; exit 1; }
Xvfb "$display" -screen 0 1920x1080x24 -nolisten tcp >test-artifacts/xvfb.log 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do xdpyinfo -display "$display" >/dev/null 2>&1 && break; sleep 0.1; done
xdpyinfo -display "$display" >/dev/null 2>&1 || { echo "test.sh: Xvfb did not start" >&2; cat test-artifacts/xvfb.log; exit 1; }
export DISPLAY="$display"
openbox >test-artifacts/openbox.log 2>&1 &
pids+=($!)
echo "test.sh: virtual desktop on DISPLAY=$DISPLAY with openbox"

echo "test.sh: ruff"
.venv/bin/ruff check .
echo "test.sh: ruff format --check"
.venv/bin/ruff format --check .
echo "test.sh: mypy (core, dbkit, desktop, tracker, sync, models, ui, settings)"
"$PY" -m mypy core dbkit desktop tracker sync models ui settings.py settings_load.py

echo "test.sh: pytest (unit, integration, e2e, window, life)"
dbus-run-session -- "$PY" -m pytest tests/unit tests/integration tests/e2e tests/window tests/life "$@"
