"""Numbered migrations of the diary server (``mNNNN_name.py``, each ``apply(db)``).

Each migration declares frozen copies of the tables it creates, so the same migration
builds the same schema on SQLite and PostgreSQL and keeps doing so when models change.
"""
