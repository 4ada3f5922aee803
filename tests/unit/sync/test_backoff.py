"""The worker's retry delays: exponential, jittered, and short enough after an outage."""

import random

from sync.sync_state import BACKOFF_CAP, backoff_seconds


def test_backoff_doubles_with_jitter_and_is_capped_at_a_minute():
    rng = random.Random(7)
    for failures, full in [(1, 2), (2, 4), (3, 8), (4, 16), (5, 32), (6, 60), (12, 60)]:
        delays = [backoff_seconds(failures, rng) for _ in range(200)]
        assert all(full * 0.5 <= d <= full for d in delays), (failures, min(delays), max(delays))
        assert max(delays) - min(delays) > full * 0.3, "no jitter: clients would retry in lockstep"
    assert BACKOFF_CAP == 60
