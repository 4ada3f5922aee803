"""Why logging cannot start: raised by the logging controller, caught by the screens and by the
crash resume (which must not import the controller that calls it)."""

from __future__ import annotations

from core.refusal import Refused


class StartRefused(Refused):
    """Logging cannot start; the message says why, for the freelancer."""

    code = "start_refused"
