"""Window-title redaction: titles matching a user-editable pattern are stored as "(hidden)".

Only the title of the active window at the snapshot moment is ever stored, and it passes
through :func:`redact_title` first, so a private-browsing tab or a password manager entry
never reaches the database.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from functools import lru_cache

HIDDEN = "(hidden)"

#: Defaults offered to the user (who may edit them). Case-insensitive shell-style globs.
DEFAULT_HIDDEN_TITLE_PATTERNS: tuple[str, ...] = (
    "*Private Browsing*",
    "*InPrivate*",
    "*Incognito*",
    "*KeePass*",
    "*1Password*",
    "*Bitwarden*",
    "*LastPass*",
    "*Password Manager*",
    "*Keychain Access*",
    "*Seahorse*",
)


#: Said once, shown on the Preferences page and in the README.
PATTERN_SYNTAX = (
    "Shell-style patterns, case-insensitive: * matches any text and ? one character; "
    "a pattern without * or ? matches anywhere in the title"
)
MAX_PATTERN_LENGTH = 200


@lru_cache(maxsize=256)
def compile_title_pattern(pattern: str) -> re.Pattern[str] | None:
    """The one reading of a hidden-title pattern, used by both the form check and the matcher.

    A case-insensitive shell-style glob (fnmatch); without any wildcard it matches as a
    substring. Returns None for a blank pattern (ignored). Any text is a valid glob (an
    unclosed ``[`` is taken literally), so a pattern stored under an older check still works.
    """
    p = pattern.strip().casefold()
    if not p:
        return None
    if not any(c in p for c in "*?["):
        p = f"*{p}*"
    return re.compile(fnmatch.translate(p))


def title_pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be used as a hidden-title pattern, or None when it can."""
    if len(pattern.strip()) > MAX_PATTERN_LENGTH:
        return f"A pattern is at most {MAX_PATTERN_LENGTH} characters."
    try:
        compile_title_pattern(pattern)
    except re.error as exc:  # not expected for globs, but say so plainly if it happens
        return f"“{pattern.strip()}” is not a valid pattern: {exc}."
    return None


def title_matches(title: str, pattern: str) -> bool:
    """Whether ``title`` matches ``pattern`` as :func:`compile_title_pattern` reads it."""
    compiled = compile_title_pattern(pattern)
    if compiled is None:
        return False
    return compiled.match(title.casefold()) is not None


def redact_title(title: str | None, patterns: Iterable[str]) -> str | None:
    """Return ``(hidden)`` if ``title`` matches any pattern (see :func:`compile_title_pattern`),
    else the title unchanged."""
    if not title:
        return title
    if any(title_matches(title, pattern) for pattern in patterns):
        return HIDDEN
    return title
