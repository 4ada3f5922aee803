"""Small builders shared by the sync tests."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
from datetime import UTC, datetime

PASSWORD = "correct horse 1"


def png(width: int = 64, height: int = 40, seed: int = 0) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (width, height), ((seed * 37) % 256, (seed * 91) % 256, 120))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat() if t.tzinfo else t.isoformat()


def segment(contract_id: int, start: datetime, **extra) -> dict:
    body = {
        "uuid": str(uuid.uuid4()),
        "contract_id": contract_id,
        "start": iso(start),
        "version": 1,
        "logged_seconds": 600,
        "minutes": [[3, 1, 0]] * 10,
        "app_name": "xterm",
        "window_title": "vim",
    }
    body.update(extra)
    return body


def snapshot_body(segment_uuid: str, data: bytes, taken_at: datetime, mime: str = "image/png", **extra) -> dict:
    body = {
        "segment_uuid": segment_uuid,
        "kind": "screen",
        "taken_at": iso(taken_at),
        "mime": mime,
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": base64.b64encode(data).decode(),
    }
    body.update(extra)
    return body


def push(http, headers, segments=(), tombstones=()):
    r = http.post(
        "/api/v1/sync/push", json={"segments": list(segments), "snapshot_tombstones": list(tombstones)}, headers=headers
    )
    assert r.status_code == 200, r.json
    return r.json


def changes(http, headers, since=0, limit=500):
    r = http.get(f"/api/v1/sync/changes?since={since}&limit={limit}", headers=headers)
    assert r.status_code == 200, r.json
    return r.json
