"""The Team app's small named values: set, replaced, removed, and nothing written when unchanged."""

from models.local import get_state, local_db, open_local_database, set_state


def test_a_value_is_set_replaced_removed_and_an_unchanged_one_writes_nothing(tmp_path):
    db = open_local_database(tmp_path / "teamapp.sqlite3")
    try:
        set_state("k", "one")
        set_state("k", "two")
        assert get_state("k") == "two"
        raw = db.connection()
        before = raw.total_changes
        set_state("k", "two")  # the sync worker does this every round
        set_state("gone", None)
        assert raw.total_changes == before  # no row touched, so no page reaches the WAL
        set_state("k", None)
        assert get_state("k") is None and get_state("k", "x") == "x"
        assert raw.total_changes == before + 1
    finally:
        db.close()
    assert local_db.is_closed()
