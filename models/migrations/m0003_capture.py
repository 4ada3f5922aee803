def apply(db):
    # One row per contract and 10-minute UTC segment. Times are UTC, stored as
    # "YYYY-MM-DD HH:MM:SS.ffffff" so they sort as text. uuid is made by the client for
    # idempotent upload; memo/label/deleted_at are filled by later features.
    db.execute_sql(
        "CREATE TABLE capture_segment ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " uuid VARCHAR(36) NOT NULL UNIQUE,"
        " contract_id INTEGER NOT NULL,"
        " start DATETIME NOT NULL,"
        " logged_seconds REAL NOT NULL DEFAULT 0"
        "  CHECK (logged_seconds >= 0 AND logged_seconds <= 600),"
        " logged_until DATETIME NOT NULL,"
        " app_name TEXT,"
        " window_title TEXT,"
        " memo TEXT,"
        " label TEXT,"
        " manual INTEGER NOT NULL DEFAULT 0,"
        " deleted_at DATETIME,"
        " updated_at DATETIME NOT NULL,"
        " UNIQUE (contract_id, start))"
    )
    db.execute_sql("CREATE INDEX capture_segment_logged_until ON capture_segment (logged_until)")
    # Per-minute input counts: numbers only, never which key or what was clicked.
    db.execute_sql(
        "CREATE TABLE capture_minute ("
        " segment_id INTEGER NOT NULL REFERENCES capture_segment (id) ON DELETE CASCADE,"
        " minute INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 9),"
        " keys INTEGER NOT NULL DEFAULT 0 CHECK (keys >= 0),"
        " clicks INTEGER NOT NULL DEFAULT 0 CHECK (clicks >= 0),"
        " scrolls INTEGER NOT NULL DEFAULT 0 CHECK (scrolls >= 0),"
        " PRIMARY KEY (segment_id, minute))"
    )
    # The segment's screen and camera snapshot (at most one of each). A row with a NULL
    # path records a failed attempt and its status message.
    db.execute_sql(
        "CREATE TABLE capture_image ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " uuid VARCHAR(36) NOT NULL UNIQUE,"
        " segment_id INTEGER NOT NULL REFERENCES capture_segment (id) ON DELETE CASCADE,"
        " kind VARCHAR(10) NOT NULL CHECK (kind IN ('screen', 'camera')),"
        " taken_at DATETIME NOT NULL,"
        " path TEXT,"
        " thumb_path TEXT,"
        " mime VARCHAR(40),"
        " size_bytes INTEGER,"
        " width INTEGER,"
        " height INTEGER,"
        " sha256 VARCHAR(64),"
        " status TEXT NOT NULL,"
        " deleted_at DATETIME,"
        " UNIQUE (segment_id, kind))"
    )
