"""One password operation for the diary embedded in the Team app, in a process of its own.

Run as ``python password_worker.py`` (by path, see :func:`diary_server.passwords.run_worker`)
with one JSON request on stdin; prints ``{"result": ...}``. It imports only argon2, zxcvbn
and the standard library, and exits after the one request, so the memory of an Argon2 hash
(19 MiB) and of zxcvbn's ranked lists (~14 MiB) is given back to the system at once.

Requests: ``hash`` (password, parameters) -> the hash; ``verify`` (hash or null, password,
parameters) -> true when it matches (null is checked against a dummy hash, so an unknown
e-mail costs the same time); ``is_common`` (password) -> whether it is one of the 30,000
most common passwords zxcvbn ships.
"""

from __future__ import annotations

import json
import sys


def handle(request: dict) -> object:
    op = request["op"]
    if op == "is_common":
        from zxcvbn.matching import RANKED_DICTIONARIES

        common = RANKED_DICTIONARIES["passwords"]
        password = request["password"]
        return password.lower() in common or password.strip().lower() in common
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = PasswordHasher(**request["parameters"])
    if op == "hash":
        return hasher.hash(request["password"])
    if op == "verify":
        try:
            return hasher.verify(request["hash"] or hasher.hash("not-a-real-password"), request["password"])
        except (VerificationError, InvalidHashError):
            return False
    raise ValueError(f"unknown password operation {op!r}")


def main() -> int:
    request = json.loads(sys.stdin.buffer.read())
    sys.stdout.write(json.dumps({"result": handle(request)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
