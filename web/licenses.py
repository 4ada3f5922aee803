"""The licences of what the Team app runs on, read at run time from installed package metadata.

The runtime dependencies are the packages ``requirements.txt`` names (for this OS, by their
environment markers) and everything they require in turn, as their metadata says; each one's
licence comes from its own metadata (``License-Expression``, else ``License``, else its
classifiers) and its licence files from the files it installed. The JavaScript vendored in the
repository (htmx and its WebSocket extension) is listed from its vendored LICENSE files. Nothing
here is a hand-written list of licences, so an upgrade can never leave this page stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements.txt"
PROJECT_LICENSE = REPO / "LICENSE"
VENDORED = (
    ("htmx", REPO / "ui" / "static" / "vendor" / "htmx"),
    ("htmx-ext-ws", REPO / "web" / "static" / "vendor" / "htmx-ext-ws"),
)
_LICENSE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Component:
    name: str  # canonical name, used in the URL of its licence text
    display: str
    version: str
    license: str
    home: str | None
    vendored: bool = False


def project_license() -> str:
    try:
        return PROJECT_LICENSE.read_text(encoding="utf-8")
    except OSError:
        return "The LICENSE file is missing from this installation."


def root_requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """The requirements of this OS from ``requirements.txt`` (markers evaluated)."""
    roots = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate():
            roots.append(req)
    return roots


def _dist(name: str) -> metadata.Distribution | None:
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def runtime_distributions(roots: list[Requirement] | None = None) -> list[metadata.Distribution]:
    """The installed distributions the roots need, transitively (with the extras they ask for).
    Without a requirements file (an unusual install) every installed distribution is listed."""
    roots = root_requirements() if roots is None else roots
    if not roots:
        return sorted(metadata.distributions(), key=lambda d: canonicalize_name(d.metadata["Name"] or ""))
    found: dict[str, metadata.Distribution] = {}
    todo = [(req.name, set(req.extras)) for req in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), frozenset(extras))
        if key in seen:
            continue
        seen.add(key)
        dist = _dist(name)
        if dist is None:
            continue
        found[canonicalize_name(dist.metadata["Name"] or name)] = dist
        for raw in dist.requires or []:
            try:
                req = Requirement(raw)
            except InvalidRequirement:
                continue
            if req.marker is not None and not any(req.marker.evaluate({"extra": extra}) for extra in (extras or {""})):
                continue
            todo.append((req.name, set(req.extras)))
    return [found[name] for name in sorted(found)]


def license_of(meta) -> str:
    """A short licence name from a distribution's metadata."""
    expression = (meta.get("License-Expression") or "").strip()
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    if text and text.upper() != "UNKNOWN" and "\n" not in text and len(text) <= 60 and "copyright" not in text.lower():
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    classifiers = [c for c in classifiers if c != "OSI Approved"]
    if classifiers:
        return ", ".join(classifiers)
    return sniff(text)


#: Phrases that name a licence in its own text (for packages whose metadata does not).
_PHRASES = (
    ("Permission is hereby granted, free of charge", "MIT"),
    ("Redistribution and use in source and binary forms", "BSD"),
    ("Apache License", "Apache"),
    ("GNU LESSER GENERAL PUBLIC LICENSE", "LGPL"),
    ("GNU GENERAL PUBLIC LICENSE", "GPL"),
    ("Mozilla Public License", "MPL"),
    ("Permission to use, copy, modify, and/or distribute", "0BSD / ISC"),
)


def sniff(text: str) -> str:
    """The licence a licence text is, by its well-known wording (MIT, BSD, ...)."""
    for phrase, name in _PHRASES:
        if phrase.lower() in text.lower():
            return f"{name} (from its licence text)"
    return "see its licence text"


def _home(meta) -> str | None:
    home = meta.get("Home-page")
    if home:
        return home
    for url in meta.get_all("Project-URL") or []:
        label, _, link = url.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository", "source code"):
            return link.strip()
    return None


@lru_cache(maxsize=1)
def components() -> tuple[Component, ...]:
    """Every third-party component of the running app, with its licence (cached: installed
    packages do not change while the app runs)."""
    rows = []
    for dist in runtime_distributions():
        meta = dist.metadata
        name = meta["Name"] or "?"
        license_name = license_of(meta)
        if license_name == "see its licence text":
            license_name = sniff(" ".join(text for _file, text in _files_of(dist)))
        rows.append(Component(canonicalize_name(name), name, dist.version, license_name, _home(meta)))
    for name, folder in VENDORED:
        version_file = folder / "VERSION"
        words = version_file.read_text(encoding="utf-8").split() if version_file.exists() else []
        version = words[1] if len(words) > 1 else "?"
        first = _vendored_text(folder).strip().splitlines()
        heading = first[0].strip() if first else ""
        rows.append(Component(name, name, version, heading or "see its licence text", None, vendored=True))
    return tuple(rows)


def _vendored_text(folder: Path) -> str:
    try:
        return (folder / "LICENSE").read_text(encoding="utf-8")
    except OSError:
        return ""


def _files_of(dist: metadata.Distribution) -> list[tuple[str, str]]:
    texts = []
    for file in dist.files or []:
        if _LICENSE_FILE.search(str(file)):
            try:
                text = Path(str(file.locate())).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            texts.append((str(file).split("/")[-1], text))
    return texts


def license_texts(name: str) -> list[tuple[str, str]] | None:
    """(file name, text) of each licence file one component installed; None if it is not one
    of the app's components."""
    component = next((c for c in components() if c.name == name), None)
    if component is None:
        return None
    if component.vendored:
        folder = dict(VENDORED)[component.name]
        return [("LICENSE", _vendored_text(folder))]
    dist = _dist(component.display)
    texts = _files_of(dist) if dist is not None else []
    if not texts and dist is not None and len(dist.metadata.get("License") or "") > 60:
        texts.append(("License (from the package metadata)", dist.metadata["License"]))
    return texts
