"""The sign-in throttle's counters and server-side web sessions (issue 12).

``login_throttle`` replaces ``login_attempts``: one row per hashed key with its attempt
count, so one statement can increment and read it. ``web_sessions`` holds the SHA-256 of
each browser session's random id; the cookie used to carry a raw API token labelled "web",
so those tokens are revoked here (their browsers sign in again).
"""

import peewee


def apply(db):
    class User(peewee.Model):
        class Meta:
            database = db
            table_name = "users"

    class WebSession(peewee.Model):
        user = peewee.ForeignKeyField(User, on_delete="CASCADE")
        id_hash = peewee.CharField(max_length=64, unique=True)
        created_at = peewee.DateTimeField()
        last_used_at = peewee.DateTimeField()

        class Meta:
            database = db
            table_name = "web_sessions"

    db.execute_sql(
        "CREATE TABLE login_throttle (key_hash VARCHAR(64) NOT NULL PRIMARY KEY, attempts INTEGER NOT NULL, "
        "blocked_until BIGINT NOT NULL, last_at BIGINT NOT NULL)"
    )
    db.create_tables([WebSession])
    db.execute_sql("DROP TABLE login_attempts")
    db.execute_sql("DELETE FROM api_tokens WHERE label = 'web'")
