#!/usr/bin/env bash
# Install the Debian packages that `make run` or `make test` needs (only what is missing).
# As root it installs them; otherwise it prints the apt-get command to run and, for tests,
# stops (the browser, window and PostgreSQL layers cannot run without them).
set -euo pipefail
purpose="${1:-run}"

# The native window (pywebview's Qt backend) and fonts.
RUN_PKGS=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0
          libxcb-shape0 libxcb-randr0 libxcb-xfixes0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libgl1
          libgl1-mesa-dri libnss3 libxkbfile1 libasound2 fonts-dejavu-core
          sqlite3  # .recover of a damaged database (dbkit/db_recovery.py)
          libx11-6 libxtst6)  # activity counting on X11 (tracker/sources/x11_record_xtst.py: RECORD via libXtst)
# A virtual desktop, input, a window manager, D-Bus, Chromium for Playwright, PostgreSQL.
TEST_PKGS=(xvfb xauth xdotool x11-utils openbox xterm dbus dunst libnotify-bin imagemagick chromium
           postgresql trayer)

pkgs=("${RUN_PKGS[@]}")
if [ "$purpose" = "test" ]; then pkgs+=("${TEST_PKGS[@]}"); fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-like system; install the equivalents of: ${pkgs[*]}" >&2
  exit 0
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "system-deps: these Debian packages are missing: ${missing[*]}" >&2
  echo "system-deps: install them with:  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  if [ "$purpose" = "test" ]; then exit 1; fi
  echo "system-deps: continuing; without them the app opens in your browser instead of its own window." >&2
fi
