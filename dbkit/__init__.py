"""Database plumbing both programs use: opening SQLite (WAL, private files) or PostgreSQL from a
URL, numbered migrations, and start-up recovery of a damaged SQLite file. It knows no table of
either program and imports nothing of ours but itself."""
