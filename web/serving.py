"""A WSGI server on a background thread, with a clean stop.

Werkzeug's threaded server is enough for one local user (and flask-sock works on it);
gunicorn is for the diary server of a team.
"""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class ServerThread:
    def __init__(self, app, host: str, port: int, name: str):
        try:
            self._server = make_server(host, port, app, threaded=True)
        except SystemExit:  # Werkzeug prints "Address already in use" and exits; callers decide
            raise OSError(f"port {port} on {host} is in use by another program") from None
        self._server.daemon_threads = True
        self.host, self.port = self._server.server_address[:2]
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting requests and wait for the serving loop to end."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout)
        self._server.server_close()
