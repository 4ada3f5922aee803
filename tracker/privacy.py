"""Window-title redaction: titles matching a user-editable pattern are stored as "(hidden)".

Only the title of the active window at the snapshot moment is ever stored, and it passes
through :func:`redact_title` first, so a private-browsing tab or a password manager entry
never reaches the database.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

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


def redact_title(title: str | None, patterns: Iterable[str]) -> str | None:
    """Return ``(hidden)`` if ``title`` matches any pattern (case-insensitive glob; a
    pattern without wildcards matches as a substring), else the title unchanged."""
    if not title:
        return title
    lowered = title.casefold()
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        p = pattern.casefold()
        if not any(c in p for c in "*?["):
            if p in lowered:
                return HIDDEN
        elif fnmatch.fnmatchcase(lowered, p):
            return HIDDEN
    return title
