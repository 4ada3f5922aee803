def apply(db):
    db.execute_sql(
        "CREATE TABLE account ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " diary_url TEXT NOT NULL,"
        " user_id INTEGER NOT NULL,"
        " email TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " role TEXT NOT NULL CHECK (role IN ('client', 'freelancer')),"
        " signed_in_at DATETIME NOT NULL)"
    )
