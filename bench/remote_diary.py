"""A diary server in its own process for bench/ui.py: the Team app as users run it, with a
remote diary, so the Team app's own memory can be measured without the embedded server.

Its clock runs ``--ahead-hours`` ahead of the real one: the bench moves the Team app's test
clock through a working day, and the segments it uploads must not be "in the future" here.
Prints the demo accounts (same format as the embedded diary) and then its URL.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--ahead-hours", type=float, default=10.0)
    args = parser.parse_args()

    from werkzeug.serving import WSGIRequestHandler, make_server

    from diary_server.demo import ensure_demo_accounts, format_demo_accounts
    from diary_server.factory import create_app

    ahead = timedelta(hours=args.ahead_hours)

    def clock() -> datetime:
        return datetime.now(UTC) + ahead

    args.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app({"DATA_DIR": args.data_dir, "CLOCK": clock})
    created = ensure_demo_accounts(app.extensions["diary_db"], args.data_dir, clock())
    print(format_demo_accounts(created), flush=True)

    class Quiet(WSGIRequestHandler):
        def log_request(self, *a, **kw) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    print(f"Remote diary running at http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
