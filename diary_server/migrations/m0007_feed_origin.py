"""The changes feed records which session wrote each row (``diary_changes.origin``), so a Team
app's pull can leave out its own writes: it already has their result from the push's answer,
and pulling 10,000 segments straight back after pushing them doubled a large sync.

``origin`` is derived from the writing API token (see ``sync_service.session_origin``); rows
written without a token (the diary's pages, the contract triggers of m0006) and every row
written before this migration stay NULL, which every reader sees. One statement that runs
unchanged on SQLite and PostgreSQL (a nullable column without a default needs no rebuild).
"""


def apply(db):
    db.execute_sql("ALTER TABLE diary_changes ADD COLUMN origin BIGINT")
