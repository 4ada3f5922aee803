"""Bench-only: give each Python thread its name as the OS thread name (comm, 15 bytes), so
bench/overhead.py can split a process's CPU by thread from /proc/PID/task/*/stat.

Put on PYTHONPATH of the measured processes only (Python 3.11 does not set native thread
names itself). Costs one prctl() per thread start; changes nothing else.
"""

import contextlib
import ctypes
import threading

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: leave threads as they are
    _prctl = None

if _prctl is not None:
    _PR_SET_NAME = 15
    _bootstrap_inner = threading.Thread._bootstrap_inner

    def _named_bootstrap_inner(self):
        with contextlib.suppress(Exception):  # a name is only a label for the bench
            _prctl(_PR_SET_NAME, self.name.encode("utf-8", "replace")[:15], 0, 0, 0)
        _bootstrap_inner(self)

    threading.Thread._bootstrap_inner = _named_bootstrap_inner
