import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "ui" / "static" / "vendor" / "htmx"


def test_vendored_htmx_is_the_pinned_file_with_its_licence():
    expected, name = (VENDOR / "SHA256SUMS").read_text().split()
    assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == expected
    assert "2.0.11" in (VENDOR / "VERSION").read_text()
    assert "Zero-Clause BSD" in (VENDOR / "LICENSE").read_text()


def test_importing_the_programs_has_no_side_effects(tmp_path):
    """No GUI toolkit, capture library or database is touched by importing our modules."""
    code = (
        "import sys, threading, app, settings, web, web.factory, diary_server, diary_server.factory, "
        "models.local, sync.diary_client, sync.credentials\n"
        "heavy = [m for m in ('webview', 'PyQt6', 'mss', 'pynput', 'Xlib', 'cv2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert threading.active_count() == 1\n"
        "from models.local import local_db\n"
        "assert local_db.obj is None\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert r.returncode == 0, r.stderr
    assert not list(tmp_path.iterdir()), "importing created files"


def test_x11_input_counter_loads_its_libraries_only_when_started():
    """The X11 counter reads input through libX11 + libXtst (ctypes) or python-xlib; none of
    them may be loaded by importing it or by building the sources, only by start()."""
    code = (
        "import sys, tracker.sources.input_x11, tracker.sources.platform\n"
        "from tracker.sources.input_x11 import X11InputCounter\n"
        "X11InputCounter()\n"
        "maps = open('/proc/self/maps').read()\n"
        "loaded = [lib for lib in ('libXtst', 'libX11') if lib in maps]\n"
        "assert not loaded, loaded\n"
        "assert 'Xlib' not in sys.modules\n"
    )
    env = {"PATH": "/usr/bin:/bin", "DISPLAY": ":0"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert r.returncode == 0, r.stderr


OURS = {"app", "settings", "core", "dbkit", "desktop", "web", "tracker", "sync", "models", "diary_server", "ui"}


def _imports_of(package: str) -> set[str]:
    import ast

    found = set()
    target = ROOT / package
    for path in [target] if target.suffix == ".py" else target.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_imports_point_one_way():
    """Every package, and none can drop out: a missing folder is a failure, not a skip."""
    for package in OURS - {"app", "settings"}:
        assert (ROOT / package / "__init__.py").exists(), f"{package}/ is gone: update this test and the README"
    # core/: the pure rules and value types; nothing of ours, no framework.
    assert not _imports_of("core") & ((OURS - {"core"}) | {"flask", "peewee", "httpx", "PIL"})
    # dbkit/: the database plumbing of both programs; no table, nothing of ours.
    assert not _imports_of("dbkit") & (OURS - {"dbkit"})
    assert not _imports_of("diary_server") & {"web", "tracker", "sync", "desktop"}
    assert not _imports_of("sync") & {"web", "tracker", "diary_server"}
    # models/: the Team app's cache and the shared database plumbing: core only, never the
    # capture engine, the web or sync.
    assert not _imports_of("models") & {"web", "sync", "diary_server", "tracker", "flask"}
    assert not _imports_of("tracker") & {"web", "flask", "diary_server", "sync", "desktop"}
    # desktop/: the Team app apart from its pages; the web layer drives it, never the reverse.
    assert not _imports_of("desktop") & {"web", "flask", "diary_server"}
    # ui/ is shared by both programs (the Work Diary's blueprint and store interface): they
    # import it, never the other way round.
    assert not _imports_of("ui") & {"web", "diary_server", "sync", "tracker"}
