"""Pure rules for text coming in from people or programs: which characters are refused.

Both programs import this module (the diary server for its API bodies and forms, the Team app
for its forms), so the rule is one. PostgreSQL cannot store U+0000 and no text field of the
Work Diary has a use for other control characters, so they are refused everywhere, with the
same answer on SQLite and PostgreSQL. Tab, line feed and carriage return are allowed only in
multi-line fields (memos); no other field is multi-line.
"""

from __future__ import annotations

from collections.abc import Iterator

#: Fields whose text may contain tab and line breaks.
MULTILINE_FIELDS = frozenset({"memo"})
#: Form fields typed one item per line (each item is then checked as single-line text).
LINE_LIST_FIELDS = frozenset({"activity_labels"})
#: JSON nesting deeper than this is refused before parsing (no body of the API nests past 5).
MAX_JSON_DEPTH = 32

_MULTILINE_ALLOWED = frozenset("\t\n\r")


def bad_character(text: str, multiline: bool = False) -> str | None:
    """The first refused character of ``text`` as ``U+XXXX``, else None.

    Refused: C0 controls (except tab, LF and CR when ``multiline``), DEL, C1 controls and lone
    surrogates (which no UTF-8 database can store).
    """
    for ch in text:
        code = ord(ch)
        if code < 0x20:
            if multiline and ch in _MULTILINE_ALLOWED:
                continue
            return f"U+{code:04X}"
        if 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return f"U+{code:04X}"
    return None


def without_controls(text: str | None) -> str | None:
    """``text`` with every refused character replaced by a space: for text nobody typed and
    nobody can fix (a window title, an application name), which must not make the diary
    refuse the segment that carries it."""
    if text is None or bad_character(text) is None:
        return text
    return "".join(" " if bad_character(ch) else ch for ch in text)


def text_problem(field: str, text: str, multiline: bool | None = None) -> str | None:
    """A message naming ``field`` when ``text`` holds a refused character, else None."""
    if multiline is None:
        multiline = field.rsplit(".", 1)[-1] in MULTILINE_FIELDS
    if field in LINE_LIST_FIELDS and not multiline:
        found = next((c for line in text.splitlines() if (c := bad_character(line))), None)
    else:
        found = bad_character(text, multiline)
    if found is None:
        return None
    return f"The field '{field}' contains a control character ({found}); remove it and try again."


def walk_strings(value: object, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string (keys too) in a parsed JSON value, with a dotted path naming its field."""
    if isinstance(value, str):
        yield path or "body", value
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield name, key
            yield from walk_strings(item, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{index}]" if path else f"[{index}]")


def first_text_problem(value: object, path: str = "") -> tuple[str, str] | None:
    """The first (field, message) of a refused string in a parsed JSON value, else None."""
    for field, text in walk_strings(value, path):
        message = text_problem(_field_name(field), text)
        if message:
            return field, message
    return None


def _field_name(path: str) -> str:
    """``segments[3].memo`` -> ``segments.memo`` (the last name decides if it is multi-line)."""
    return path.split("[")[0] + (("." + path.rsplit(".", 1)[-1]) if "." in path else "")


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when the raw JSON nests arrays/objects deeper than ``limit`` (brackets inside strings
    do not count). Checked before parsing, since a deep body exhausts the parser's recursion."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False
