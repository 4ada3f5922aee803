"""Numbered migrations of the Team app's local cache (``mNNNN_name.py``, each ``apply(db)``).

Migrations are written in SQL, not from the current models, so that each one keeps meaning
what it meant when it shipped.
"""
