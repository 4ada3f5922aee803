def apply(db):
    # The client's time zone (an IANA name from the client's diary account), so the Work
    # Diary can show the week as the client sees it. NULL until the next contract refresh.
    db.execute_sql("ALTER TABLE contract ADD COLUMN client_timezone TEXT")
