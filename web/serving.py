"""A WSGI server on a background thread, with a clean stop.

Werkzeug's threaded server is enough for one local user (and flask-sock works on it);
gunicorn is for the diary server of a team.
"""

from __future__ import annotations

import socket
import threading
import time

from werkzeug.serving import make_server

#: The serving loop's select() timeout. socketserver's default (0.5 s) wakes the process twice
#: a second per server for nothing; :meth:`ServerThread.stop` wakes it with a connection.
IDLE_POLL_SECONDS = 3600.0


class ServerThread:
    def __init__(self, app, host: str, port: int, name: str):
        try:
            self._server = make_server(host, port, app, threaded=True)
        except SystemExit:  # Werkzeug prints "Address already in use" and exits; callers decide
            raise OSError(f"port {port} on {host} is in use by another program") from None
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": IDLE_POLL_SECONDS}, name=name, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting requests and wait for the serving loop to end."""
        if self._thread.is_alive():
            stopper = threading.Thread(target=self._server.shutdown, name="server-stop", daemon=True)
            stopper.start()
            deadline = time.monotonic() + timeout
            while self._thread.is_alive() and time.monotonic() < deadline:
                self._wake()  # the loop checks the stop request once select() returns
                self._thread.join(0.05)
        self._server.server_close()

    def _wake(self) -> None:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else "::1" if self.host == "::" else self.host
        try:
            with socket.create_connection((host, self.port), timeout=0.5):
                pass
        except OSError:  # already closed, or nothing to wake
            pass
