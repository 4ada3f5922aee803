"""The time-zone switch: the viewer's zone, the client's, and UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo


@dataclass
class ZoneChoice:
    """One entry of the time-zone switch (key in the URL, text shown, the zone)."""

    key: str
    text: str
    zone: tzinfo
    selected: bool = False


def zone_choices(local: tzinfo, client: tzinfo | None, chosen: str) -> list[ZoneChoice]:
    """local / UTC / the client's (when known and not the viewer's own zone); ``chosen``
    falls back to local, which is then the same zone anyway."""
    choices = [ZoneChoice("local", f"Mine ({zone_name(local)})", local)]
    if zone_name(local) not in ("UTC", "Etc/UTC"):  # else "Mine (UTC)" already is UTC
        choices.append(ZoneChoice("utc", "UTC", UTC))
    if client is not None and zone_name(client) != zone_name(local):  # the client's own view: "Mine" is theirs
        choices.append(ZoneChoice("client", f"Client's ({zone_name(client)})", client))
    keys = [c.key for c in choices]
    pick = chosen if chosen in keys else "local"  # "utc" when local is UTC: the same zone
    for c in choices:
        c.selected = c.key == pick
    return choices


def zone_name(zone: tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)
