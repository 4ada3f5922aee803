def apply(db):
    db.execute_sql("CREATE TABLE app_state (key VARCHAR(200) PRIMARY KEY, value TEXT NOT NULL)")
