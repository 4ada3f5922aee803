"""Reading a desktop entry the way a desktop environment does (for the tests of the entries
the app writes and ships)."""

from __future__ import annotations


def exec_argv(entry: str) -> list[str]:
    """The command a desktop environment runs for an entry's Exec key (string escapes first,
    then the Exec quoting rules, then %% -> %)."""
    value = next(line.split("=", 1)[1] for line in entry.splitlines() if line.startswith("Exec="))
    value = value.replace("\\\\", "\\")  # the string escape (the only one an Exec line needs)
    args, current, quoted, i, started = [], "", False, 0, False
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\" and value[i + 1] in '"`$\\':
            current, i = current + value[i + 1], i + 2
            continue
        if ch == '"':
            quoted, started = not quoted, True
        elif ch == " " and not quoted:
            if started:
                args.append(current)
            current, started = "", False
        else:
            current, started = current + ch, True
        i += 1
    if started:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def entry_keys(entry: str) -> dict[str, str]:
    """The keys of the [Desktop Entry] group."""
    keys: dict[str, str] = {}
    group = None
    for line in entry.splitlines():
        if line.startswith("["):
            group = line
        elif "=" in line and group == "[Desktop Entry]" and not line.startswith("#"):
            name, value = line.split("=", 1)
            keys[name.strip()] = value.strip()
    return keys
