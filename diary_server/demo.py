"""Demo accounts, so a new user can try both sides of the product on one machine."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from diary_server.accounts import create_user
from diary_server.contracts import create_contract
from diary_server.models import User, diary_db

DEMO_FILE_NAME = "demo-accounts.txt"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    name: str
    password: str


DEMO_CONTRACT_TITLE = "Website redesign"
DEMO_LABELS = ("Design", "Development", "Meetings", "Research")

DEMO_PEOPLE = (
    ("client", "client@demo.teamapp.test", "Dana Client"),
    ("freelancer", "freelancer@demo.teamapp.test", "Felix Freelancer"),
)


def ensure_demo_accounts(db, data_dir: Path, now: datetime) -> list[DemoAccount] | None:
    """Create the demo client and freelancer, and an hourly contract between them, once.

    Returns the accounts when just created.

    Their passwords are random, printed once and kept 0600 in ``demo-accounts.txt`` of the
    diary's data dir, where the sign-in page tells people to look.
    """
    with db.connection_context():
        if User.select().where(User.email.in_([p[1] for p in DEMO_PEOPLE])).exists():
            return None
        created = []
        users = {}
        with diary_db.atomic():
            for role, email, name in DEMO_PEOPLE:
                password = secrets.token_urlsafe(9)
                users[role] = create_user(email, name, role, password, now)
                created.append(DemoAccount(role, email, name, password))
            create_contract(
                users["client"],
                freelancer_email=users["freelancer"].email,
                title=DEMO_CONTRACT_TITLE,
                hourly_rate="25.00",
                weekly_limit_hours=40,
                activity_labels=DEMO_LABELS,
                now=now,
            )
    path = data_dir / DEMO_FILE_NAME
    fd = os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(format_demo_accounts(created))
    return created


def format_demo_accounts(accounts: list[DemoAccount], embedded: bool = False) -> str:
    """What is printed (and saved) once: the standalone diary server has no "embedded" diary."""
    whose = "the embedded Work Diary" if embedded else "this Work Diary"
    lines = [f"Demo accounts of {whose} (created on first start):"]
    for a in accounts:
        lines.append(f"  {a.role:<10}  e-mail: {a.email:<32}  password: {a.password}")
    return "\n".join(lines) + "\n"
