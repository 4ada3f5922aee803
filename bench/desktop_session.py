"""The desktop that bench/overhead.py measures on: a private X display (Xvfb), a D-Bus session
bus with a notification server, openbox and one xterm; the Team apps it starts there, stopped
in reverse order whatever happens; signing an app in with its printed demo freelancer."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
URL_RE = re.compile(r"Team app running at (http://127\.0\.0\.1:\d+/t-[\w-]{22})/\?key=(\S+)")
EMBEDDED_RE = re.compile(r"Embedded Work Diary running at (\S+)")
DEMO_RE = re.compile(r"freelancer\s+e-mail:\s+(\S+)\s+password:\s+(\S+)")


@dataclass
class Child:
    label: str
    proc: subprocess.Popen
    log_path: Path

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@dataclass
class Started:
    """Everything this run started, stopped in reverse order."""

    children: list[Child] = field(default_factory=list)

    def spawn(self, label: str, args: list[str], log_path: Path, env: dict[str, str]) -> Child:
        log = open(log_path, "wb")  # noqa: SIM115 - the child holds it; closed with this process
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only this script; it stops the children itself
        )
        log.close()
        child = Child(label, proc, log_path)
        self.children.append(child)
        return child

    def stop(self, child: Child, timeout: float = 30) -> int | None:
        if child.proc.poll() is None:
            child.proc.send_signal(signal.SIGTERM)
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                print(f"  {child.label} did not stop within {timeout:.0f} s of SIGTERM; killed", file=sys.stderr)
                child.proc.kill()
                child.proc.wait(10)
        return child.proc.returncode

    def stop_all(self) -> None:
        for child in reversed(self.children):
            self.stop(child)


def wait_for(child: Child, pattern: re.Pattern, timeout: float = 90) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(child.output())
        if match:
            return match
        if child.proc.poll() is not None:
            break
        time.sleep(0.1)
    raise SystemExit(f"{child.label} did not print {pattern.pattern!r}:\n{child.output()[-4000:]}")


def free_display() -> int:
    for n in range(140, 400):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise SystemExit("no free X display number between :140 and :399")


def xdotool(display: str, *args: str) -> str:
    out = subprocess.run(
        ["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True, text=True, timeout=20
    )
    if out.returncode != 0:
        raise RuntimeError(f"xdotool {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


def start_desktop(started: Started, tmp: Path, number: int) -> tuple[str, str, str]:
    """Xvfb, a D-Bus session bus with a notification server (dunst), openbox and one xterm.
    Returns (DISPLAY, the xterm's window id, DBUS_SESSION_BUS_ADDRESS)."""
    display = f":{number}"
    bus = f"unix:path={tmp / 'bus'}"
    env = {**os.environ, "DISPLAY": display, "NO_AT_BRIDGE": "1", "DBUS_SESSION_BUS_ADDRESS": bus}
    started.spawn("dbus-daemon", ["dbus-daemon", "--session", "--nofork", f"--address={bus}"], tmp / "dbus.log", env)
    started.spawn("Xvfb", ["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"], tmp / "xvfb.log", env)
    deadline = time.monotonic() + 20
    while subprocess.run(["xdpyinfo", "-display", display], capture_output=True).returncode != 0:
        if time.monotonic() > deadline or started.children[-1].proc.poll() is not None:
            raise SystemExit(f"Xvfb {display} did not start:\n{started.children[-1].output()}")
        time.sleep(0.1)
    deadline = time.monotonic() + 20
    while not (tmp / "bus").exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"dbus-daemon did not start:\n{started.children[0].output()}")
        time.sleep(0.05)
    started.spawn("dunst", ["dunst"], tmp / "dunst.log", env)
    started.spawn("openbox", ["openbox"], tmp / "openbox.log", env)
    title = f"bench-overhead-{os.getpid()}"
    started.spawn("xterm", ["xterm", "-T", title, "-geometry", "120x40+100+100", "-e", "cat"], tmp / "xterm.log", env)
    wid = xdotool(display, "search", "--sync", "--name", title).split()[0]
    deadline = time.monotonic() + 20
    while True:  # openbox needs a moment before it manages the window
        try:
            xdotool(display, "windowactivate", "--sync", wid)
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    xdotool(display, "mousemove", "--window", wid, "300", "200")
    return display, wid, bus


def app_env(display: str, bus: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMAPP_")}
    return {
        **env,
        "DISPLAY": display,
        "DBUS_SESSION_BUS_ADDRESS": bus,
        # bench/thread_names/sitecustomize.py: Python thread names as OS thread names (comm)
        "PYTHONPATH": os.pathsep.join([str(REPO / "bench" / "thread_names"), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        ),
        "PYTHONUNBUFFERED": "1",
        "NO_AT_BRIDGE": "1",
        "TEAMAPP_TOKEN_STORE": "file",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


def sign_in(child: Child, logging_on: bool) -> None:
    base, key = wait_for(child, URL_RE).groups()
    wait_for(child, EMBEDDED_RE)
    email, password = wait_for(child, DEMO_RE).groups()
    with httpx.Client(base_url=base, cookies={"teamapp_key": key}, timeout=60) as client:
        r = client.post("/signin", data={"email": email, "password": password})
        if r.status_code != 303:
            raise SystemExit(f"{child.label}: sign-in answered {r.status_code}: {r.text[:2000]}")
        match = re.search(r'name="contract_id" value="(\d+)"', client.get("/").text)
        if not match:
            raise SystemExit(f"{child.label}: no contract to select on the main page")
        r = client.post("/contracts/select", data={"contract_id": match.group(1)})
        if r.status_code != 200:
            raise SystemExit(f"{child.label}: selecting the contract answered {r.status_code}")
        if logging_on:
            body = client.post("/logging/toggle", headers={"HX-Request": "true"}).text
            if 'aria-checked="true"' not in body:
                raise SystemExit(f"{child.label}: logging did not switch on:\n{body[:2000]}")
