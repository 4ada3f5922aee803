"""Just enough of the Chrome DevTools Protocol to look inside QtWebEngine.

Playwright cannot attach to pywebview's QtWebEngine (see PLATFORM.md), so the window tests
find the page target at ``http://HOST:PORT/json`` and send ``Runtime.evaluate`` over its
websocket with the ``websockets`` sync client.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import urllib.request

from websockets.sync.client import connect


class CDPError(AssertionError):
    pass


def page_targets(port: int) -> list[dict]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=5) as response:
        return [t for t in json.load(response) if t.get("type") == "page"]


def wait_for_page_target(port: int, url_prefix: str, timeout: float, alive=lambda: True) -> dict:
    """The page target whose URL starts with ``url_prefix``, once the debugger lists it."""
    deadline = time.monotonic() + timeout
    seen: list[dict] | str = "nothing yet"
    while time.monotonic() < deadline:
        if not alive():
            raise CDPError(f"the app exited before its page showed up on the debugger (last seen: {seen})")
        try:
            seen = page_targets(port)
        except OSError as exc:  # the debugger is not listening yet
            seen = repr(exc)
        else:
            for target in seen:
                if target.get("url", "").startswith(url_prefix) and target.get("webSocketDebuggerUrl"):
                    return target
        time.sleep(0.1)
    raise CDPError(f"no page target at {url_prefix} on the debugger port {port} within {timeout:.0f} s: {seen}")


class PageSession:
    """One websocket to one page target; ``evaluate`` returns JSON values."""

    def __init__(self, ws_url: str, timeout: float = 10.0):
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(connect(ws_url, max_size=None, open_timeout=timeout))

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> PageSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, method: str, **params) -> dict:
        call_id = next(self._ids)
        self._ws.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=self.timeout))
            if message.get("id") == call_id:  # anything else is an event
                if "error" in message:
                    raise CDPError(f"{method} failed: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CDPError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15.0, what: str = ""):
        """Evaluate ``expression`` until it is truthy (page loads and htmx swaps take a moment)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.evaluate(expression)
            except CDPError as exc:  # e.g. the context went away during a navigation
                last = str(exc)
            else:
                if last:
                    return last
            time.sleep(0.1)
        state = self.evaluate("JSON.stringify({url: location.href, title: document.title})")
        raise CDPError(f"{what or expression} did not happen within {timeout:.0f} s; last value {last!r}; page {state}")
