"""Weekly invoices (issue 15): one per contract and work week with billable time, its lines
per UTC day (logged and manual time apart), and a counter per client and year that numbers
them without gaps.

``invoice_weeks`` records every (contract, week) the issuer has settled, with or without an
invoice: its primary key is what makes issuing happen once, whoever races for it, and a week
with nothing billable is not looked at again. Money is integer minor units (cents); times are
``timestamp with time zone`` on PostgreSQL and fixed-width UTC text on SQLite (m0010's form).
"""

import peewee


def apply(db):
    pg = isinstance(db, peewee.PostgresqlDatabase)
    time = "TIMESTAMP WITH TIME ZONE" if pg else "DATETIME"
    serial = "SERIAL NOT NULL PRIMARY KEY" if pg else "INTEGER NOT NULL PRIMARY KEY"
    for statement in (
        "CREATE TABLE invoice_counters (client_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,"
        " year INTEGER NOT NULL, last_number INTEGER NOT NULL, PRIMARY KEY (client_id, year))",
        f"CREATE TABLE invoices (id {serial},"
        " contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE RESTRICT,"
        f" week_start {time} NOT NULL, number VARCHAR(40) NOT NULL UNIQUE, rate_cents INTEGER NOT NULL,"
        " currency VARCHAR(3) NOT NULL, minutes INTEGER NOT NULL, amount_cents BIGINT NOT NULL,"
        " rounding_rule TEXT NOT NULL,"
        " status VARCHAR(10) NOT NULL CHECK (status IN ('issued', 'approved', 'released')),"
        f" issued_at {time} NOT NULL, approved_at {time},"
        " approved_by_id INTEGER REFERENCES users (id) ON DELETE RESTRICT,"
        f" released_at {time}, UNIQUE (contract_id, week_start))",
        "CREATE INDEX invoices_status_week_start ON invoices (status, week_start)",
        f"CREATE TABLE invoice_lines (id {serial},"
        " invoice_id INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,"
        f" day {time} NOT NULL, kind VARCHAR(10) NOT NULL CHECK (kind IN ('logged', 'manual')),"
        " minutes INTEGER NOT NULL, amount_cents BIGINT NOT NULL, UNIQUE (invoice_id, day, kind))",
        "CREATE TABLE invoice_weeks (contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,"
        f" week_start {time} NOT NULL, invoice_id INTEGER REFERENCES invoices (id) ON DELETE RESTRICT,"
        f" settled_at {time} NOT NULL, PRIMARY KEY (contract_id, week_start))",
    ):
        db.execute_sql(statement)
