"""One simulated Team app of bench/team_load.py: the held changes channel, a segment pushed and
its snapshot uploaded once per (compressed) segment, now and then its client's look at the
week, each request timed into :class:`Stats`. asyncio + httpx, one keep-alive client per app."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import random
import ssl
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

HELD_WAIT = 50  # seconds a pull is held, as sync/changes_listener.py asks
PAGE_VIEW_SHARE = 0.1  # of segments after which the client looks at the week


@dataclass
class Account:
    contract_id: int
    token: str  # the freelancer's API token
    client_cookie: str  # the client's signed web-session cookie


def unique_png(png: bytes, n: int) -> bytes:
    """``png`` with a text chunk naming ``n`` before its end: the same picture, another hash
    (the diary stores blobs by SHA-256, so equal uploads would cost it one row)."""
    import struct
    import zlib

    body = b"Comment\x00" + str(n).encode()
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body + struct.pack(">I", zlib.crc32(b"tEXt" + body))
    return png[:-12] + chunk + png[-12:]


def snapshot_png(target_bytes: int = 75_000) -> bytes:
    """A real PNG of about ``target_bytes`` (noise does not compress: size = pixels x 3)."""
    from PIL import Image

    side = int((target_bytes / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), random.Random(7).randbytes(side * side * 3))
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


@dataclass
class Stats:
    measure_from: float = 0.0
    measure_to: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)  # (kind, status or exception name)
    held_opened: int = 0
    held_answered: int = 0
    held_failed: int = 0
    held_now: int = 0  # pulls being held at this moment
    held_most: int = 0

    def record(self, kind: str, started: float, ended: float, status: int | str) -> None:
        if not (self.measure_from <= started < self.measure_to):
            return
        self.latencies[kind].append(ended - started)
        if not isinstance(status, int) or status >= 300:  # a redirect to sign-in is a failure too
            self.errors[(kind, status)] += 1


TLS = ssl.create_default_context()  # one for every client: httpx would build one each


async def timed(stats: Stats, kind: str, call) -> httpx.Response | None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        response = await call
    except httpx.HTTPError as exc:
        stats.record(kind, started, loop.time(), type(exc).__name__)
        return None
    stats.record(kind, started, loop.time(), response.status_code)
    return response


async def listen(http: httpx.AsyncClient, stats: Stats, cursor: int) -> None:
    """The changes channel: one held pull after another, as the real listener holds them."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        counted = stats.measure_from <= started < stats.measure_to
        stats.held_opened += counted
        stats.held_now += 1
        stats.held_most = max(stats.held_most, stats.held_now)
        try:
            r = await http.get("/api/v1/sync/changes", params={"since": cursor, "wait": HELD_WAIT})
        except httpx.HTTPError as exc:
            stats.held_now -= 1
            stats.held_failed += counted
            stats.errors[("held pull", type(exc).__name__)] += counted
            await asyncio.sleep(2)
            continue
        stats.held_now -= 1
        if r.status_code != 200:
            stats.held_failed += counted
            stats.errors[("held pull", r.status_code)] += counted
            await asyncio.sleep(2)
            continue
        stats.held_answered += counted
        cursor = r.json()["cursor"]


async def team_app(
    n: int, account: Account, base_url: str, stats: Stats, png: bytes, segment_seconds: float, stop_at: float
) -> None:
    rng = random.Random(n)
    loop = asyncio.get_running_loop()
    auth = {"Authorization": f"Bearer {account.token}"}
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with httpx.AsyncClient(base_url=base_url, headers=auth, timeout=90, verify=TLS, limits=limits) as http:
        await asyncio.sleep(rng.uniform(0, segment_seconds))  # apps are switched on at different moments
        first = await timed(stats, "first pull", http.get("/api/v1/sync/changes", params={"since": 0}))
        cursor = first.json()["cursor"] if first is not None and first.status_code == 200 else 0
        listener = asyncio.create_task(listen(http, stats, cursor))
        # Segments of the past hours, newest first: each app logs its own contract, so they
        # never collide, and none lies in the future or in a locked week.
        now = datetime.now(UTC)
        newest = now.replace(minute=now.minute - now.minute % 10, second=0, microsecond=0) - timedelta(minutes=10)
        k = 0
        try:
            while loop.time() < stop_at:
                tick = loop.time()
                start = newest - timedelta(minutes=10 * k)
                segment = str(uuid.uuid4())
                push = {
                    "segments": [
                        {
                            "uuid": segment,
                            "contract_id": account.contract_id,
                            "start": start.isoformat(),
                            "version": 1,
                            "logged_seconds": 600.0,
                            "minutes": [
                                [rng.randint(0, 90), rng.randint(0, 20), rng.randint(0, 10)] for _ in range(10)
                            ],
                            "app_name": "Code",
                            "window_title": f"team_load.py - segment {k}",
                            "memo": "Load test",
                        }
                    ]
                }
                answer = await timed(stats, "push", http.post("/api/v1/sync/push", json=push))
                if answer is not None and answer.status_code == 200:
                    for item in answer.json()["results"]:
                        if item["status"] != "ok":
                            stats.errors[("push refused", item.get("code") or item["status"])] += 1
                shot = unique_png(png, n * 100_000 + k)
                body = {
                    "segment_uuid": segment,
                    "kind": "screen",
                    "taken_at": (start + timedelta(minutes=rng.uniform(0, 10))).isoformat(),
                    "mime": "image/png",
                    "sha256": hashlib.sha256(shot).hexdigest(),
                    "data": base64.b64encode(shot).decode("ascii"),
                }
                await timed(stats, "snapshot upload", http.put(f"/api/v1/snapshots/{uuid.uuid4()}", json=body))
                if rng.random() < PAGE_VIEW_SHARE:
                    page = http.get(
                        f"/contracts/{account.contract_id}/diary/week",
                        headers={"Cookie": f"diary_session={account.client_cookie}", "Authorization": ""},
                    )
                    await timed(stats, "diary page view", page)
                k += 1
                # (never past the end of the run: the last app would keep it waiting a segment)
                await asyncio.sleep(max(0.0, min(tick + segment_seconds, stop_at) - loop.time()))
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener


async def simulate(accounts: list[Account], base_url: str, png: bytes, args) -> Stats:
    loop = asyncio.get_running_loop()
    stats = Stats()
    now = loop.time()
    # Every app has started (and pulled once) within the first segment: measure after it.
    stats.measure_from = now + args.segment_seconds + 1
    stats.measure_to = stats.measure_from + args.seconds
    stop_at = stats.measure_to
    tasks = [
        asyncio.create_task(team_app(n, a, base_url, stats, png, args.segment_seconds, stop_at))
        for n, a in enumerate(accounts)
    ]
    await asyncio.gather(*tasks)
    return stats
