"""Every failure talking to the diary, typed: the sign-in's, and the sync endpoints' (so the
worker can tell "try again later" from "refused"). The client raises them; nothing here
imports the client."""

from __future__ import annotations


class DiaryError(Exception):
    """Something went wrong talking to the diary; ``str()`` is a user-facing message."""

    code = "diary_error"


class BadServerURL(DiaryError):
    code = "bad_url"


class DiaryUnreachable(DiaryError):
    code = "unreachable"


class InvalidCredentials(DiaryError):
    code = "invalid_credentials"


class NotSignedIn(DiaryError):
    code = "unauthorized"


class RateLimited(DiaryError):
    code = "too_many_attempts"


class ServerBusy(DiaryError):
    """429 or 5xx: the diary could not take it now; retry with backoff."""

    code = "server_busy"

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class Refused(DiaryError):
    """The diary refused the request for a reason that retrying will not fix."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message)
        self.status = status
        self.code = code


def error_for(response, base_url: str) -> DiaryError:
    try:
        body = response.json()
        message = str(body.get("message") or response.reason_phrase)
        code = str(body.get("code") or "error")
    except (ValueError, AttributeError):
        message, code = f"{base_url} answered with HTTP {response.status_code}.", "error"
    if response.status_code == 429 or response.status_code >= 500:
        return ServerBusy(message, response.status_code)
    if response.status_code == 401:
        return NotSignedIn(message)
    return Refused(message, response.status_code, code)
