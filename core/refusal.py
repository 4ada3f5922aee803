"""The one family of refusals: a request the rules (or the input) do not allow, refused with
nothing changed. Every program's refusal is a :class:`Refused`: the diary server's contract,
account and sync errors, the Team app's edit and start refusals, and the shared Work Diary's,
so a route answers any of them the same way (``status`` for HTTP, ``code`` for programs,
``message`` for people, ``field`` for forms)."""

from __future__ import annotations


class Refused(Exception):
    status: int = 409
    code: str = "refused"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.field = field
