def apply(db):
    # The local copy of the signed-in user's contracts, so the picker works offline.
    # id is the diary server's contract id; activity_labels is a JSON list.
    db.execute_sql(
        "CREATE TABLE contract ("
        " id INTEGER NOT NULL,"
        " diary_url TEXT NOT NULL,"
        " title TEXT NOT NULL,"
        " client_name TEXT NOT NULL,"
        " client_email TEXT NOT NULL,"
        " freelancer_name TEXT NOT NULL,"
        " hourly_rate TEXT NOT NULL,"
        " currency TEXT NOT NULL,"
        " next_hourly_rate TEXT,"
        " next_rate_from DATETIME,"
        " weekly_limit_hours INTEGER,"
        " manual_time_allowed INTEGER NOT NULL,"
        " status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'ended')),"
        " activity_labels TEXT NOT NULL,"
        " updated_at DATETIME NOT NULL,"
        " PRIMARY KEY (diary_url, id))"
    )
