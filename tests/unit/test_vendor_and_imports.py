import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


PACKAGES = {"core", "dbkit", "desktop", "web", "tracker", "sync", "models", "diary_server", "ui"}
MODULES = {"app", "embedded_diary", "settings", "settings_load"}
OURS = PACKAGES | MODULES

#: What each of ours may import of ours: the README's Layout arrows, written out again here so
#: that loosening a rule takes two edits (a test checks that both say the same).
ALLOWED: dict[str, set[str]] = {
    "app": OURS - {"app"},
    "embedded_diary": {"diary_server", "web", "sync", "models", "dbkit", "settings_load"},
    "settings": set(),
    "settings_load": {"settings"},
    "core": set(),
    "dbkit": set(),
    "models": {"core", "dbkit"},
    "tracker": {"core", "models", "dbkit"},
    "sync": {"core", "models"},
    "ui": {"core"},
    "desktop": {"ui", "sync", "tracker", "models", "core"},
    "web": {"desktop", "ui", "sync", "tracker", "models", "dbkit", "settings_load", "core"},
    "diary_server": {"ui", "core", "dbkit", "settings_load"},
}


def _source_files(name: str, root: Path = ROOT) -> list[Path]:
    """The files of one package or top-level module; a missing one fails (never a silent pass)."""
    if name in MODULES:
        path = root / f"{name}.py"
        assert path.is_file(), f"{name}.py is gone: update this test and the README's Layout"
        return [path]
    assert (root / name / "__init__.py").is_file(), f"{name}/ is gone: update this test and the README's Layout"
    files = sorted((root / name).rglob("*.py"))
    assert len(files) > 1, f"{name}/ has no modules"
    return files


def _imports_of(name: str, root: Path = ROOT) -> set[str]:
    """Top-level names imported anywhere in ``name`` (function-local imports included).
    Relative imports stay inside their own package, so they never cross a boundary."""
    import ast

    found = set()
    for path in _source_files(name, root):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def _readme_arrows() -> dict[str, set[str]]:
    """The README's Layout block: one entry per folder or module, its arrow after ``->``
    (``everything``, ``nothing``, ``nothing of ours``, or names with optional notes in brackets)."""
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Layout\n.*?^```\n(.*?)^```", readme, re.S | re.M)
    assert match, "README.md has no Layout block"
    entries: dict[str, str] = {}
    current = None
    for line in match.group(1).splitlines():
        head = re.match(r"^([a-z_]+)(/|\.py)\s", line)
        if head:
            current = head.group(1)
            entries[current] = ""
        if current and "->" in line:
            entries[current] = line.split("->", 1)[1].strip()
    arrows: dict[str, set[str]] = {}
    for name, arrow in entries.items():
        if name not in OURS:
            continue  # tests/, bench/: not imported by the programs
        assert arrow, f"README's Layout line for {name} has no arrow"
        if arrow == "everything":
            arrows[name] = OURS - {name}
        elif arrow.startswith("nothing"):
            arrows[name] = set()
        else:
            arrows[name] = {part.split("(")[0].strip() for part in re.sub(r"\([^)]*\)", "", arrow).split(",")}
    return arrows


#: Folders with Python in them that the programs never import.
NOT_OURS = {"tests", "bench", "scripts", "docs", "test-artifacts"}


def _ours_in_the_tree(root: Path = ROOT) -> set[str]:
    """Every top-level module and every folder holding Python, whether or not a list names it."""
    found = {path.stem for path in root.glob("*.py")}
    for folder in root.iterdir():
        skipped = folder.name.startswith((".", "_")) or folder.name in NOT_OURS
        if folder.is_dir() and not skipped and any(folder.rglob("*.py")):
            found.add(folder.name)
    return found


def test_every_package_in_the_tree_has_a_rule_and_a_place_in_the_import_graph():
    """A new package or top-level module cannot slip past both import tests: it must be
    named here (and so in the README's Layout) and in the circle test's lists."""
    from tests.unit import test_import_graph

    assert _ours_in_the_tree() == OURS
    assert set(test_import_graph.PACKAGES) == PACKAGES
    assert set(test_import_graph.MODULES) == MODULES


def test_the_tree_scan_sees_a_new_folder_and_a_new_module(tmp_path):
    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "issue.py").write_text("")
    (tmp_path / "tool.py").write_text("")
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "b.py").write_text("")
    assert _ours_in_the_tree(tmp_path) == {"invoices", "tool"}


def test_the_readme_arrows_are_the_rules_tested():
    """Every package and top-level module has one Layout line, and its arrow is ALLOWED."""
    assert _readme_arrows() == ALLOWED
    assert set(ALLOWED) == OURS


def test_imports_point_one_way():
    """Each of ours imports only what its arrow allows; every one is checked, none can drop out."""
    for name in sorted(OURS):
        wrong = (_imports_of(name) & OURS) - ALLOWED[name] - {name}
        assert not wrong, f"{name} imports {sorted(wrong)}: not allowed by the README's Layout"


def test_the_rules_that_never_loosen():
    """DESIGN.md's directions, also checked on their own, so that editing the README and
    ALLOWED together cannot undo them."""
    # core/: the pure rules and value types; nothing of ours, no framework.
    assert not _imports_of("core") & ((OURS - {"core"}) | {"flask", "peewee", "httpx", "PIL"})
    # dbkit/: the database plumbing of both programs; no table, nothing of ours.
    assert not _imports_of("dbkit") & (OURS - {"dbkit"})
    # diary_server/: never the Team app: not its web layer, capture, sync, desktop or its cache.
    assert not _imports_of("diary_server") & {"web", "tracker", "sync", "desktop", "models", "embedded_diary"}
    assert not _imports_of("sync") & {"web", "tracker", "diary_server", "desktop"}
    # models/: the Team app's cache: core and dbkit only, never the capture engine, the web or sync.
    assert not _imports_of("models") & {"web", "sync", "diary_server", "tracker", "desktop", "flask"}
    assert not _imports_of("tracker") & {"web", "flask", "diary_server", "sync", "desktop"}
    # desktop/: the Team app apart from its pages; the web layer drives it, never the reverse.
    assert not _imports_of("desktop") & {"web", "flask", "diary_server"}
    # ui/ is shared by both programs (the Work Diary's blueprint and store interface): they
    # import it, never the other way round.
    assert not _imports_of("ui") & {"web", "diary_server", "sync", "tracker", "models", "desktop"}
    # settings.py is the list alone.
    assert not _imports_of("settings") & OURS


def test_the_check_sees_a_hidden_cache_import_and_a_missing_package(tmp_path):
    """A diary-server module importing the Team app's cache inside a function is seen, and a
    package that is not there fails instead of passing with no files."""
    package = tmp_path / "diary_server"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "pages.py").write_text("def f():\n    from models.local import local_db\n    return local_db\n")
    assert (_imports_of("diary_server", tmp_path) & OURS) - ALLOWED["diary_server"] == {"models"}
    with pytest.raises(AssertionError, match="web/ is gone"):
        _imports_of("web", tmp_path)
