"""Talking to the diary server: the HTTP client, sign-in credentials and (later) the sync worker."""
