"""Each account's time zone (an IANA name), for the Work Diary's "client's time zone" switch.

Existing accounts get UTC, the zone everything is stored and billed in. The same statement
runs on SQLite and PostgreSQL (a constant default needs no table rebuild on either).
"""


def apply(db):
    db.execute_sql("ALTER TABLE users ADD COLUMN timezone VARCHAR(64) NOT NULL DEFAULT 'UTC'")
