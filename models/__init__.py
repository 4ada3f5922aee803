"""The Team app's local cache (peewee models, migrations) and the pure domain rules.

Importing this package opens nothing: the database is bound at start by app.py.
"""
