"""HTTP client of the diary server's JSON API.

Every failure becomes a :class:`DiaryError` subclass whose message can be shown to the
user as it is; callers never see raw httpx exceptions.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from core import text_rules
from sync.sync_errors import (
    BadServerURL,
    DiaryError,
    DiaryUnreachable,
    InvalidCredentials,
    NotSignedIn,
    RateLimited,
    error_for,
)

READ_SECONDS, CONNECT_SECONDS = 10.0, 5.0
DEFAULT_TIMEOUT = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)


@dataclass(frozen=True)
class DiaryUser:
    id: int
    email: str
    name: str
    role: str

    @classmethod
    def from_json(cls, data: dict) -> DiaryUser:
        return cls(int(data["id"]), str(data["email"]), str(data["name"]), str(data["role"]))


def normalize_server_url(raw: str) -> str:
    """Validate a diary server URL typed by a person; return it without a trailing slash.

    Accepts http(s)://host[:port][/path]. Raises BadServerURL saying what is wrong.
    """
    text = (raw or "").strip()
    if not text:
        raise BadServerURL("Enter the diary server's address, like https://diary.example.com.")
    if "://" not in text:
        raise BadServerURL(
            f"“{text}” is not a web address: it should start with https:// (or http:// on this computer)."
        )
    if text_rules.bad_character(text):
        raise BadServerURL("The address contains a control character; type it again, like https://diary.example.com.")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise BadServerURL(f"“{text}” uses {parts.scheme}://; the diary server is reached with https:// or http://.")
    try:
        port = parts.port
    except ValueError:
        raise BadServerURL(f"“{text}” has an invalid port number.") from None
    if not parts.hostname or " " in text or parts.query or parts.fragment:
        raise BadServerURL(f"“{text}” is not a valid server address, e.g. https://diary.example.com.")
    if port == 0:
        raise BadServerURL(f"“{text}” has an invalid port number.")
    return text.rstrip("/")


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every client of this process. Building one loads the CA bundle
    (about 30 ms of CPU); a new client per sync round and per contract poll used to do that
    every time, which was most of the app's CPU with logging off."""
    return httpx.create_ssl_context()


class DiaryClient:
    """A thin, typed wrapper over the diary API; one instance per server URL."""

    def __init__(self, base_url: str, token: str | None = None, transport: httpx.BaseTransport | None = None):
        self.base_url = normalize_server_url(base_url)
        self.token = token
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=DEFAULT_TIMEOUT,
            transport=transport,
            verify=shared_ssl_context(),
            headers={"User-Agent": "TeamApp/0.1", "Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> DiaryClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            return self._client.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException:
            raise DiaryUnreachable(f"The diary server at {self.base_url} did not answer in time.") from None
        except httpx.TransportError:
            raise DiaryUnreachable(
                f"Cannot reach the diary server at {self.base_url}. Check the address and your connection."
            ) from None

    def _error_from(self, response: httpx.Response) -> DiaryError:
        try:
            body = response.json()
            message = body.get("message") or response.reason_phrase
        except (ValueError, AttributeError):
            return DiaryError(
                f"{self.base_url} answered with HTTP {response.status_code}; is this a Team diary server?"
            )
        if response.status_code == 429:
            return RateLimited(message)
        if response.status_code == 401:
            return NotSignedIn(message)
        return DiaryError(message)

    def sign_in(self, email: str, password: str, device: str = "Team app") -> tuple[str, DiaryUser]:
        response = self._request(
            "POST", "/api/v1/sessions", json={"email": email, "password": password, "device": device}
        )
        if response.status_code == 401:
            try:
                message = response.json().get("message") or "Wrong e-mail or password."
            except ValueError:
                message = "Wrong e-mail or password."
            raise InvalidCredentials(message)
        if response.status_code != 201:
            raise self._error_from(response)
        try:
            data = response.json()
            return str(data["token"]), DiaryUser.from_json(data["user"])
        except (ValueError, KeyError, TypeError):
            raise DiaryError(f"{self.base_url} did not answer like a Team diary server.") from None

    def me(self) -> DiaryUser:
        response = self._request("GET", "/api/v1/me")
        if response.status_code != 200:
            raise self._error_from(response)
        return DiaryUser.from_json(response.json())

    def contracts(self) -> list[dict]:
        """The signed-in user's contracts, as the API's ContractOut objects."""
        response = self._request("GET", "/api/v1/contracts")
        if response.status_code != 200:
            raise self._error_from(response)
        try:
            return list(response.json()["contracts"])
        except (ValueError, KeyError, TypeError):
            raise DiaryError(f"{self.base_url} sent a contract list this app cannot read.") from None

    def sign_out(self) -> None:
        response = self._request("DELETE", "/api/v1/sessions/current")
        if response.status_code not in (204, 401):
            raise self._error_from(response)

    # --- sync (used by sync/worker.py) ----------------------------------------------------

    def _sync_json(self, response: httpx.Response) -> dict:
        if response.status_code != 200:
            raise error_for(response, self.base_url)
        try:
            return response.json()
        except ValueError:
            raise DiaryError(f"{self.base_url} sent an answer this app cannot read.") from None

    def sync_push(self, segments: list[dict], tombstones: Sequence[dict] = ()) -> dict:
        """Upsert segments and snapshot tombstones; one result per item (see api_sync.PushOut)."""
        body = {"segments": list(segments), "snapshot_tombstones": list(tombstones)}
        return self._sync_json(self._request("POST", "/api/v1/sync/push", json=body))

    def upload_snapshot(self, snapshot_uuid: str, body: dict) -> dict:
        """Upload one snapshot (idempotent by UUID); raises Refused with the diary's code."""
        return self._sync_json(self._request("PUT", f"/api/v1/snapshots/{snapshot_uuid}", json=body))

    def sync_changes(self, since: int, limit: int = 500, wait: int = 0) -> dict:
        """The changes feed after cursor ``since``. With ``wait`` the diary holds the answer
        until something changes on one of this account's contracts, up to that many seconds
        (a long-poll: an idle Team app sleeps in one socket read instead of polling)."""
        params = {"since": since, "limit": limit}
        extra = {}
        if wait:
            params["wait"] = wait
            extra["timeout"] = httpx.Timeout(wait + READ_SECONDS, connect=CONNECT_SECONDS)
        return self._sync_json(self._request("GET", "/api/v1/sync/changes", params=params, **extra))
