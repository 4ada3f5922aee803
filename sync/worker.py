"""The sync worker: pushes the outbox to the diary server in batches, pulls its changes by
cursor, and retries what failed, without ever dropping an item.

One round (:meth:`SyncWorker.run_once`, which tests call directly) pushes due segments in
batches, then snapshot tombstones and uploads, then pulls the changes feed. Network errors,
timeouts, 429 and 5xx end the round and the next one waits an exponential backoff with
jitter (2 s doubling to 1 minute); any other refusal parks that one item as "needs
attention" with the diary's reason. A batch the diary refuses or fails on as a whole is sent
again in halves, down to single items, so one bad item never holds back the others; an item
the diary keeps failing on (HTTP 500) while it answers everything else is parked after
:data:`CRASH_ATTEMPTS` tries. The thread waits only through the Clock port
(``clock.wait_until`` on its wake event), so a fake clock drives it in tests.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from models.capture_store import CaptureSegment
from models.local import get_state, local_db, set_state
from models.remote_segments import apply_remote_segments, parse_time
from models.segments import OUTBOX_SEGMENT, OUTBOX_SNAPSHOT
from sync import outbox
from sync.account import current_account
from sync.changes_listener import ChangesListener
from sync.contracts import store_contracts
from sync.diary_client import DiaryClient, DiaryError, DiaryUnreachable, NotSignedIn
from sync.isolation import send_isolating
from sync.payloads import segment_payloads
from sync.snapshot_push import SnapshotPush
from sync.sync_errors import Refused, ServerBusy
from sync.sync_state import (
    BATCH,
    CONTRACT_REFRESH,
    CRASH_ATTEMPTS,
    CURSOR_KEY,
    IDLE_SECONDS,
    ITEM_RETRY,
    LOCKED_KEY,
    MAX_BATCHES_PER_ROUND,
    OFFLINE_KEY,
    PROBLEM_KEY,
    PULL_LIMIT,
    RETRYABLE_CODES,
    SAFETY_NET_SECONDS,
    SERVER_ERROR_KEY,
    UPLOAD_STREAMS,
    RoundResult,
    backoff_seconds,
)

log = logging.getLogger(__name__)

_ts = CaptureSegment.start.db_value


class SyncWorker:
    def __init__(
        self,
        *,
        client_factory: Callable[..., DiaryClient],
        token_store,
        clock,
        data_dir: Path,
        rng: random.Random | None = None,
        batch_size: int = BATCH,
        idle_seconds: float = IDLE_SECONDS,
        upload_streams: int = UPLOAD_STREAMS,
        on_change: Callable[[], None] | None = None,
        refresh_contracts: Callable[[], object] | None = None,
        listen: bool = False,
    ) -> None:
        self._client_factory = client_factory
        self._tokens = token_store
        self.clock = clock
        self.data_dir = Path(data_dir)
        self._rng = rng or random.Random()
        self.batch_size = batch_size
        self.upload_streams = upload_streams
        self.idle_seconds = idle_seconds
        self._on_change = on_change or (lambda: None)
        self.failures = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one round at a time (thread and Retry button)
        self._rounds = threading.Condition()  # counts rounds, for the listener
        self._started = self._finished = 0
        self._refresh_contracts = refresh_contracts
        self._contracts_due = self.clock.now()  # the full contract list: at start, then hourly
        self._client_lock = threading.Lock()
        self._client: DiaryClient | None = None
        self._client_key: tuple[str, str] | None = None
        self.listener = (
            ChangesListener(client=self._listening_client, on_changes=self._heard, clock=clock, rng=self._rng)
            if listen
            else None
        )

    # --- thread -------------------------------------------------------------------------

    def start(self) -> SyncWorker:
        self._thread = threading.Thread(target=self._run, name="sync-worker", daemon=True)
        self._thread.start()
        if self.listener is not None:
            self.listener.start()
        return self

    def poke(self) -> None:
        """Start a round now (after Retry, sign-in, or an edit)."""
        self._wake.set()

    def stop_listening(self) -> None:
        if self.listener is not None:
            self.listener.stop(timeout=0)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self.listener is not None:
            self.listener.stop(timeout=0.5)  # a remote held pull ends by itself (daemon)
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client, self._client_key = None, None

    def _run(self) -> None:
        local_db.connect(reuse_if_open=True)  # this thread's own, kept open between rounds
        try:
            while not self._stop.is_set():
                try:
                    delay = self.run_once().delay
                except Exception:  # the worker must never die; the outbox keeps everything
                    log.exception("sync round failed")
                    self.failures += 1
                    delay = backoff_seconds(self.failures, self._rng)
                if delay > 0:
                    self.clock.wait_until(self.clock.now() + timedelta(seconds=delay), self._wake)
                if not self._stop.is_set():
                    self._wake.clear()
        finally:
            if not local_db.is_closed():
                local_db.close()

    # --- the one HTTP client ------------------------------------------------------------

    def _client_for(self, diary_url: str, token: str) -> DiaryClient:
        """One long-lived client (keep-alive, one TLS session) per diary and token, shared by
        the rounds and the listener; a new sign-in or diary gets a new one."""
        with self._client_lock:
            if self._client is None or self._client_key != (diary_url, token):
                if self._client is not None:
                    self._client.close()
                self._client = self._client_factory(diary_url, token=token)
                self._client_key = (diary_url, token)
            return self._client

    def _listening_client(self) -> tuple[str, DiaryClient] | None:
        account = current_account()
        token = self._tokens.get(account.diary_url) if account is not None else None
        if account is None or not token:
            return None
        return account.diary_url, self._client_for(account.diary_url, token)

    def _idle_seconds(self) -> float:
        """How long a round that left nothing due waits: while the listener hears the diary,
        the pull is only a safety net; without it, the worker pulls on its own."""
        if self.listener is not None and self.listener.connected:
            return max(self.idle_seconds, SAFETY_NET_SECONDS)
        return self.idle_seconds

    # --- one round ------------------------------------------------------------------------

    def run_once(self) -> RoundResult:
        with self._lock:
            with self._rounds:
                self._started += 1
            try:
                return self._round()
            finally:
                with self._rounds:
                    self._finished += 1
                    self._rounds.notify_all()

    def _heard(self) -> None:
        """The listener heard news: a round pulls it, and the listener waits for that round to
        end before holding its next pull (else it would hear the same news again)."""
        with self._rounds:
            target = self._started + 1
        self.poke()
        with self._rounds:
            self._rounds.wait_for(lambda: self._finished >= target or self._stop.is_set(), timeout=60)

    def _round(self) -> RoundResult:
        result = RoundResult()
        account = current_account()
        if account is None:
            return result
        token = self._tokens.get(account.diary_url)
        if not token:
            set_state(PROBLEM_KEY, "The sign-in token is missing on this computer. Sign out and sign in again.")
            return result
        try:
            client = self._client_for(account.diary_url, token)
            self._push_segments(client, result)
            SnapshotPush(self.clock, self.data_dir, self.batch_size, self.upload_streams).run(client, result)
            self._pull(client, account.diary_url, result)
            self._settle_crashing(result)  # the diary answered the pull: it works
        except (DiaryUnreachable, ServerBusy, NotSignedIn, DiaryError) as exc:
            self.failures += 1
            result.failure = str(exc)
            now = self.clock.now()
            with local_db.atomic():
                if isinstance(exc, NotSignedIn):
                    set_state(PROBLEM_KEY, "The Work Diary no longer accepts this sign-in. Sign out and sign in again.")
                elif isinstance(exc, ServerBusy) and exc.status >= 500:
                    # Reached, but failing: not "offline", and the user should know which.
                    set_state(OFFLINE_KEY, None)
                    set_state(SERVER_ERROR_KEY, str(exc.status))
                elif get_state(OFFLINE_KEY) is None:
                    set_state(OFFLINE_KEY, now.isoformat())
                    set_state(SERVER_ERROR_KEY, None)
            result.delay = backoff_seconds(self.failures, self._rng)
            self._on_change()
            return result
        self.failures = 0
        now = self.clock.now()
        failed_alone = result.crash_error if result.crashing and not result.pushed else None
        if failed_alone is not None:  # it answers, but failed on all we sent: say so
            result.failure = str(failed_alone)
        # (set_state writes nothing when the value is the same: a round that went well after
        # one that went well writes nothing here; no "last round" time is kept either)
        with local_db.atomic():
            set_state(OFFLINE_KEY, None)
            set_state(SERVER_ERROR_KEY, str(failed_alone.status) if failed_alone else None)
            set_state(PROBLEM_KEY, None)
        self._maybe_refresh_contracts(now)
        nxt = outbox.next_due_at(now)
        if outbox.due(OUTBOX_SEGMENT, now, 1) or outbox.due(OUTBOX_SNAPSHOT, now, 1):
            result.delay = 0.0
        else:
            idle = self._idle_seconds()
            result.delay = idle
            if nxt is not None:
                result.delay = max(0.05, min(idle, (nxt - now).total_seconds()))
        if result.pushed or result.uploaded or result.pulled or result.parked or result.contracts_changed:
            self._on_change()
        return result

    def _maybe_refresh_contracts(self, now) -> None:
        """The whole contract list, at the first round and then hourly: each change to a
        contract comes through the feed, but a rate that starts on Monday writes no row."""
        if self._refresh_contracts is None or now < self._contracts_due:
            return
        self._contracts_due = now + CONTRACT_REFRESH
        try:
            self._refresh_contracts()
        except Exception:  # the copy stays; the next hour tries again
            log.exception("refreshing the contract list failed")

    # --- segments -------------------------------------------------------------------------

    def _push_segments(self, client: DiaryClient, result: RoundResult) -> None:
        skip: set[int] = set()  # items the diary failed on alone in this round
        went_any = False
        for _ in range(MAX_BATCHES_PER_ROUND):
            due = outbox.due(OUTBOX_SEGMENT, self.clock.now(), self.batch_size + len(skip))
            items = [i for i in due if i.id not in skip][: self.batch_size]
            if not items:
                break
            payloads = segment_payloads(items)
            sendable = [i for i in items if i.local_id in payloads]
            with local_db.atomic():
                for item in items:
                    if item.local_id not in payloads:  # the row is gone: nothing left to send
                        outbox.done(item)
            if not sendable:
                continue
            went, crashing, error = send_isolating(
                sendable, self._sender(client, payloads, result), self._parker(result)
            )
            went_any = went_any or went
            skip.update(i.id for i in crashing)
            result.crashing += crashing
            result.crash_error = error or result.crash_error
        if len(result.crashing) > 1 and not went_any:
            assert result.crash_error is not None
            raise result.crash_error  # it fails on every item: the diary itself is failing

    def _sender(self, client: DiaryClient, payloads: dict[int, dict], result: RoundResult):
        def send(items) -> None:
            answer = client.sync_push([payloads[i.local_id] for i in items])
            by_uuid = {r["uuid"]: r for r in answer.get("results", [])}
            with local_db.atomic():
                self._segment_results(list(items), by_uuid, result)

        return send

    @staticmethod
    def _parker(result: RoundResult):
        def park(item: outbox.Item, exc: Refused) -> None:
            with local_db.atomic():
                outbox.park(item, exc.code, str(exc))
            result.parked += 1

        return park

    def _settle_crashing(self, result: RoundResult) -> None:
        """The diary failed on these items alone, yet answered the rest of the round (other
        items, or the pull): the item is the problem. Retry it a few times, then park it."""
        error = result.crash_error
        if not result.crashing or error is None:
            return
        with local_db.atomic():
            for item in result.crashing:
                if item.attempts + 1 >= CRASH_ATTEMPTS:
                    outbox.park(item, "server_error", f"The diary fails on this segment (HTTP {error.status}).")
                    result.parked += 1
                else:
                    reason = f"The diary failed on this segment (HTTP {error.status})."
                    outbox.retry_later(item, self.clock.now() + ITEM_RETRY, reason)

    def _segment_results(self, items: list[outbox.Item], by_uuid: dict[str, dict], result: RoundResult) -> None:
        """Apply a batch's answers in one transaction: acknowledged items leave the outbox in one
        statement, the diary's states are merged in one pass (see :func:`apply_remote_segments`)."""
        acked: list[outbox.Item] = []
        merged: list[dict] = []
        for item in items:
            answer = by_uuid.get(item.uuid.lower())
            if answer is None:
                outbox.retry_later(item, self.clock.now() + ITEM_RETRY, "The diary did not answer for this segment.")
                continue
            remote = answer.get("segment")
            if answer["status"] in ("ok", "duplicate"):
                if remote:
                    merged.append(remote)
                if answer["status"] == "duplicate":
                    result.duplicates += 1
                acked.append(item)
                result.pushed += 1
                continue
            code, message = answer.get("code") or "refused", answer.get("message") or "Refused by the diary."
            if code in RETRYABLE_CODES:
                outbox.retry_later(item, self.clock.now() + ITEM_RETRY, message)
                continue
            if code == "week_locked" and remote:
                apply_remote_segments([remote], rollback=True)
                message += " Your change was undone here."
            outbox.park(item, code, message)
            result.parked += 1
        apply_remote_segments(merged)
        outbox.done_many(acked)

    # --- pull -----------------------------------------------------------------------------

    def _pull(self, client: DiaryClient, diary_url: str, result: RoundResult) -> None:
        key = f"{CURSOR_KEY}:{diary_url}"
        cursor = int(get_state(key) or 0)
        while True:
            page = client.sync_changes(cursor, PULL_LIMIT)
            with local_db.atomic():
                result.pulled += apply_remote_segments(page.get("segments", []), import_missing=True)
                if page.get("contracts"):
                    store_contracts(diary_url, page["contracts"], complete=False)
                    result.contracts_changed = True
                if page.get("locked_before"):
                    set_state(f"{LOCKED_KEY}:{diary_url}", page["locked_before"])
                for snap in page.get("snapshots", []):
                    if snap.get("deleted_at"):
                        local_db.execute_sql(
                            "UPDATE capture_image SET deleted_at = COALESCE(deleted_at, ?) WHERE uuid = ?",
                            (_ts(parse_time(snap["deleted_at"])), snap["uuid"]),
                        )
                cursor = int(page["cursor"])
                set_state(key, str(cursor))
            if not page.get("more"):
                return
