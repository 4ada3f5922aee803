"""The changes feed: what a Team app pulls, by cursor, without its own writes."""

from __future__ import annotations

from datetime import UTC, datetime

import peewee

from core import rules
from diary_server.diary_models import DiaryChange, DiarySegment, DiarySnapshot
from diary_server.models import Contract, User
from diary_server.sync_service.common import segment_json, snapshot_json

# ---- the changes feed ----------------------------------------------------------------------


def locked_before(now: datetime) -> datetime:
    """The core's :func:`~core.rules.locked_before` by this diary's clock."""
    return rules.locked_before(now)


def changes(user: User, since: int, limit: int, now: datetime | None = None, origin: int | None = None) -> dict:
    """Segments, snapshots and contracts changed after cursor ``since`` on the user's contracts
    (current state of each, once), oldest change first; ``cursor`` is where the next pull
    starts. ``locked_before`` (given ``now``) says which weeks are locked: a lock writes no
    row, so each pull carries the boundary.

    Rows written by the session ``origin`` (the caller's own pushes and uploads) are left out,
    but the cursor still moves past them: the caller has their result from its own answers,
    and a Team app that pushed 10,000 segments would otherwise pull them all straight back.
    Writes of the same account's other sessions (another computer), of the pages and of the
    other party are in the feed as before.

    The feed's newest id is read first and only rows up to it are read: ids become visible in
    order (see :func:`_record_changes`), so every row up to it is visible to the second query,
    and a page that ends with left-out rows can move the cursor to it without skipping a row
    committed in between."""
    field = Contract.client if user.role == "client" else Contract.freelancer
    mine = Contract.select(Contract.id).where(field == user.id)
    newest = DiaryChange.select(peewee.fn.MAX(DiaryChange.id)).scalar()
    if newest is None or newest <= since:
        rows, more, cursor = [], False, since
    else:
        wanted = (DiaryChange.id > since) & (DiaryChange.id <= newest) & DiaryChange.contract.in_(mine)
        if origin is not None:
            wanted &= DiaryChange.origin.is_null() | (DiaryChange.origin != origin)
        rows = list(DiaryChange.select().where(wanted).order_by(DiaryChange.id).limit(limit + 1))
        more = len(rows) > limit
        rows = rows[:limit]
        cursor = rows[-1].id if more else newest
    seg_uuids = list(dict.fromkeys(r.uuid for r in rows if r.entity == "segment"))
    snap_uuids = list(dict.fromkeys(r.uuid for r in rows if r.entity == "snapshot"))
    segments = []
    if seg_uuids:
        by_uuid = {s.uuid: s for s in DiarySegment.select().where(DiarySegment.uuid.in_(seg_uuids))}
        segments = [segment_json(by_uuid[u]) for u in seg_uuids if u in by_uuid]
    snapshots = []
    if snap_uuids:
        query = (
            DiarySnapshot.select(DiarySnapshot, DiarySegment.uuid)
            .join(DiarySegment)
            .where(DiarySnapshot.uuid.in_(snap_uuids))
        )
        found = {s.uuid: s for s in query}
        snapshots = [snapshot_json(found[u], found[u].segment.uuid) for u in snap_uuids if u in found]
    contract_ids = list(dict.fromkeys(r.contract_id for r in rows if r.entity == "contract"))
    contracts = []
    if contract_ids:
        from diary_server.contract_reads import contracts_json_by_id

        contracts = contracts_json_by_id(sorted(contract_ids), now or datetime.now(UTC))
    return {
        "cursor": cursor,
        "more": more,
        "segments": segments,
        "snapshots": snapshots,
        "contracts": contracts,
        "locked_before": locked_before(now) if now is not None else None,
    }


def parties_changed_after(after: int) -> list[tuple[int, int, int | None]]:
    """For the long-poll waiters (:mod:`diary_server.change_waiters`): who has something new
    after change ``after``, as (newest change id, user id of a party, origin) triples, one
    per contract and writing session, so a push of 10,000 segments is two rows, not 20,000.
    Opens the thread's connection if it has none (the waiters' poll thread)."""
    db = DiaryChange._meta.database
    opened = db.is_closed()
    if opened:
        db.connect()
    try:
        rows = (
            DiaryChange.select(
                peewee.fn.MAX(DiaryChange.id).alias("newest"), Contract.freelancer, Contract.client, DiaryChange.origin
            )
            .join(Contract)
            .where(DiaryChange.id > after)
            .group_by(DiaryChange.contract, Contract.freelancer, Contract.client, DiaryChange.origin)
            .tuples()
        )
        found = []
        for newest, freelancer, client, origin in rows:
            found += [(newest, freelancer, origin), (newest, client, origin)]
        return sorted(found)
    finally:
        if opened:
            db.close()
