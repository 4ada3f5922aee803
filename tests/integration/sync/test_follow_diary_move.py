"""The embedded diary moved to another port: the account, its contracts, its sync cursors and
its token follow it (sync.account.follow_diary_move), and rows already under the new address
give way; anything of another diary stays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.local import Account, AppState, Contract, get_state, open_local_database, set_state
from sync.account import follow_diary_move
from sync.credentials import FileTokenStore

OLD, NEW, OTHER = "http://127.0.0.1:5001", "http://127.0.0.1:5002", "https://diary.example.com"
T = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def cache(tmp_path):
    db = open_local_database(tmp_path / "cache.sqlite3")
    yield tmp_path
    db.close()


def contract(url: str, cid: int, title: str) -> None:
    Contract.create(
        id=cid,
        diary_url=url,
        title=title,
        client_name="C",
        client_email="c@example.com",
        freelancer_name="F",
        hourly_rate="10.00",
        currency="USD",
        manual_time_allowed=False,
        status="active",
        activity_labels="[]",
        updated_at=T,
    )


def test_the_account_its_contracts_cursors_and_token_follow_the_diary(cache):
    Account.create(diary_url=OLD, user_id=7, email="f@example.com", name="F", role="freelancer", signed_in_at=T)
    contract(OLD, 1, "ours")
    contract(OLD, 2, "ours too")
    contract(NEW, 1, "stale copy under the new address")
    contract(OTHER, 1, "another diary's")
    set_state(f"sync_cursor:{OLD}", "41")
    set_state(f"sync_cursor:{NEW}", "3")  # a stale cursor under the new address gives way
    set_state(f"sync_cursor:{OTHER}", "9")
    set_state("selected_contract", "1")
    tokens = FileTokenStore(cache / "tokens.json")
    tokens.set(OLD, "secret")

    assert follow_diary_move(OLD, NEW, token_store=tokens) is True

    assert [(a.diary_url, a.user_id) for a in Account.select()] == [(NEW, 7)]
    assert sorted((c.diary_url, c.id, c.title) for c in Contract.select()) == [
        (NEW, 1, "ours"),
        (NEW, 2, "ours too"),
        (OTHER, 1, "another diary's"),
    ]
    assert get_state(f"sync_cursor:{NEW}") == "41"
    assert get_state(f"sync_cursor:{OLD}") is None
    assert get_state(f"sync_cursor:{OTHER}") == "9"
    assert get_state("selected_contract") == "1"
    assert AppState.select().count() == 3
    assert (tokens.get(NEW), tokens.get(OLD)) == ("secret", None)


def test_nothing_changes_when_the_account_is_elsewhere(cache):
    Account.create(diary_url=OTHER, user_id=7, email="f@example.com", name="F", role="freelancer", signed_in_at=T)
    contract(OLD, 1, "left alone")
    set_state(f"sync_cursor:{OLD}", "41")
    tokens = FileTokenStore(cache / "tokens.json")

    assert follow_diary_move(OLD, NEW, token_store=tokens) is False

    assert [(c.diary_url, c.id) for c in Contract.select()] == [(OLD, 1)]
    assert get_state(f"sync_cursor:{OLD}") == "41"
