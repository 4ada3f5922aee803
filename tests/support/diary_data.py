"""Realistic Work Diary data written straight into a Team app cache (tests, e2e, bench).

A working week: segments with per-minute counts, memos and labels in runs, an app and a
window title, a screen snapshot (a small generated image and its thumbnail) and sometimes
a camera shot; a few idle segments. ``local_db`` must be bound (``open_local_database``).
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core import rules
from models.capture_store import CaptureImage, CaptureSegment
from models.local import local_db

WORK = (
    ("Checkout page: payment form validation", "Development", "code", "checkout.py — Visual Studio Code"),
    ("Checkout page: payment form validation", "Development", "firefox", "Stripe docs — Payment Intents"),
    ("Design review with Dana", "Meetings", "zoom", "Zoom Meeting"),
    ("Header and navigation mockups", "Design", "figma", "Website redesign — Figma"),
    ("Research: accessible colour palettes", "Research", "firefox", "WebAIM: Contrast Checker"),
)

_image_cache: dict[tuple[int, int, str], bytes] = {}


def _image(width: int, height: int, colour: str, fmt: str = "JPEG") -> bytes:
    key = (width, height, colour)
    if key not in _image_cache:
        from PIL import Image, ImageDraw

        img = Image.new("RGB", (width, height), "#f5f7f8")
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, width, height // 8), fill=colour)
        for i in range(6):
            y = height // 5 + i * height // 9
            draw.rectangle((width // 12, y, width * (5 + i % 4) // 10, y + height // 30), fill="#52606d")
        draw.rectangle((width * 2 // 3, height // 4, width * 11 // 12, height * 3 // 4), outline=colour, width=3)
        out = io.BytesIO()
        img.save(out, fmt, quality=70)
        _image_cache[key] = out.getvalue()
    return _image_cache[key]


@dataclass
class Made:
    segment_ids: list[int]
    image_ids: list[int]


def write_segment(
    data_dir: Path,
    contract_id: int,
    start: datetime,
    *,
    logged_seconds: float = 600,
    counts: list[tuple[int, int, int]] | None = None,
    memo: str | None = None,
    label: str | None = None,
    app: str | None = "code",
    title: str | None = "main.py",
    screen: bool = True,
    camera: bool = False,
    manual: bool = False,
    colour: str = "#0f766e",
    now: datetime | None = None,
) -> tuple[int, list[int]]:
    """One segment row with its minutes and image files; returns (segment id, image ids)."""
    start = rules.segment_start(start)
    now = now or start + rules.SEGMENT
    counts = counts if counts is not None else [(30, 4, 2)] * 10
    image_ids = []
    with local_db.atomic():
        seg = CaptureSegment.create(
            uuid=str(uuid.uuid4()),
            contract_id=contract_id,
            start=start,
            logged_seconds=logged_seconds,
            logged_until=start + timedelta(seconds=logged_seconds),
            app_name=None if manual else app,
            window_title=None if manual else title,
            memo=memo,
            label=label,
            manual=manual,
            updated_at=now,
        )
        if counts and not manual:
            local_db.cursor().executemany(
                "INSERT INTO capture_minute (segment_id, minute, keys, clicks, scrolls) VALUES (?, ?, ?, ?, ?)",
                [(seg.id, m, *c) for m, c in enumerate(counts)],
            )
        kinds = ([("screen", (1280, 720))] if screen and not manual else []) + (
            [("camera", (320, 240))] if camera and not manual else []
        )
        for kind, (w, h) in kinds:
            day_dir = data_dir / "snapshots" / f"{start:%Y-%m-%d}"
            day_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            name = uuid.uuid4().hex
            full, thumb = day_dir / f"{name}.jpg", day_dir / f"{name}.thumb.jpg"
            data = _image(w, h, colour if kind == "screen" else "#7a5af8")
            full.write_bytes(data)
            thumb.write_bytes(_image(320, 180, colour if kind == "screen" else "#7a5af8"))
            image = CaptureImage.create(
                uuid=str(uuid.uuid4()),
                segment=seg.id,
                kind=kind,
                taken_at=start + timedelta(minutes=4),
                path=str(full.relative_to(data_dir)),
                thumb_path=str(thumb.relative_to(data_dir)),
                mime="image/jpeg",
                size_bytes=len(data),
                width=w,
                height=h,
                sha256="0" * 64,
                status="OK",
            )
            image_ids.append(image.id)
    return seg.id, image_ids


@dataclass
class Planned:
    """One segment of a realistic week, before it is written anywhere."""

    start: datetime
    counts: list[tuple[int, int, int]]
    memo: str | None
    label: str
    app: str
    title: str
    camera: bool
    colour: str


def plan_week(
    monday: datetime,
    *,
    days: int = 5,
    hours: tuple[int, int] = (9, 17),
    until: datetime | None = None,
    seed: int = 7,
    camera_every: int = 0,
    full: bool = False,
) -> list[Planned]:
    """The segments of a realistic week: runs of memos, a lunch gap, some idle segments;
    stops at ``until``. ``full=True`` fills all 7 x 144 segments (the bench's worst case)."""
    rnd = random.Random(seed)
    plan: list[Planned] = []
    colours = ("#0f766e", "#175cd3", "#b54708", "#6941c6", "#067647")
    for d in range(7 if full else days):
        day = rules.week_start(monday) + timedelta(days=d)
        slots = range(144) if full else [s for s in range(hours[0] * 6, hours[1] * 6) if not 72 <= s < 78]
        work = rnd.randrange(len(WORK))
        for n, slot in enumerate(slots):
            start = day + rules.SEGMENT * slot
            if until is not None and start + rules.SEGMENT > until:
                return plan
            if n % rnd.choice((4, 6, 9)) == 0:
                work = rnd.randrange(len(WORK))
            memo, label, app, title = WORK[work]
            idle = rnd.random() < 0.05
            active = 0 if idle else rnd.randint(4, 10)
            counts = [
                (rnd.randint(5, 80), rnd.randint(0, 12), rnd.randint(0, 6)) if m < active else (0, 0, 0)
                for m in range(10)
            ]
            rnd.shuffle(counts)
            plan.append(
                Planned(
                    start,
                    counts,
                    memo if rnd.random() > 0.08 else None,
                    label,
                    app,
                    title,
                    bool(camera_every) and n % camera_every == 0,
                    colours[work % len(colours)],
                )
            )
    return plan


def work_week(data_dir: Path, contract_id: int, monday: datetime, **options) -> Made:
    """A realistic week (:func:`plan_week`'s options) written into the Team app's cache."""
    made = Made([], [])
    for p in plan_week(monday, **options):
        seg_id, images = write_segment(
            data_dir,
            contract_id,
            p.start,
            counts=p.counts,
            memo=p.memo,
            label=p.label,
            app=p.app,
            title=p.title,
            camera=p.camera,
            colour=p.colour,
        )
        made.segment_ids.append(seg_id)
        made.image_ids.extend(images)
    return made


@dataclass
class ServerMade:
    segment_uuids: list[str]
    snapshot_uuids: list[str]


def server_work_week(freelancer, contract_id: int, monday: datetime, now: datetime, **options) -> ServerMade:
    """A realistic week written into the diary server's tables through its sync protocol
    (``sync_service.push`` and ``upload_snapshot``, as a Team app's upload would), so the
    server's pages show what a real week looks like. ``now`` is aware UTC, as the server's
    clock; ``diary_db`` must be bound and connected."""
    import base64
    import hashlib

    from diary_server import sync_service

    made = ServerMade([], [])
    plan = plan_week(monday, **options)
    for i in range(0, len(plan), sync_service.MAX_BATCH):
        items = []
        for p in plan[i : i + sync_service.MAX_BATCH]:
            uid = str(uuid.uuid4())
            made.segment_uuids.append(uid)
            items.append(
                {
                    "uuid": uid,
                    "contract_id": contract_id,
                    "start": p.start,
                    "version": 1,
                    "logged_seconds": 600.0,
                    "minutes": [list(c) for c in p.counts],
                    "app_name": p.app,
                    "window_title": p.title,
                    "manual": False,
                    "memo": p.memo,
                    "memo_edited_at": p.start if p.memo else None,
                    "label": p.label,
                    "label_edited_at": p.start,
                    "deleted_at": None,
                }
            )
        result = sync_service.push(freelancer, items, [], now)
        refused = [r for r in result["results"] if r["status"] != "ok"]
        assert not refused, refused[:3]
    for uid, p in zip(made.segment_uuids, plan, strict=True):
        shots = [("screen", 1280, 720, p.colour)] + ([("camera", 320, 240, "#7a5af8")] if p.camera else [])
        for kind, w, h, colour in shots:
            data = _image(w, h, colour)
            snap_uuid = str(uuid.uuid4())
            sync_service.upload_snapshot(
                freelancer,
                snap_uuid,
                {
                    "segment_uuid": uid,
                    "kind": kind,
                    "taken_at": p.start + timedelta(minutes=4),
                    "mime": "image/jpeg",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "data": base64.b64encode(data).decode(),
                },
                now,
            )
            made.snapshot_uuids.append(snap_uuid)
    return made


def minutes_of(total: str) -> int:
    """Minutes of a total as the Work Diary shows it ("34:50")."""
    hours, minutes = total.strip().split(":")
    return int(hours) * 60 + int(minutes)
