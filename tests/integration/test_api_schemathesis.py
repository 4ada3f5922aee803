"""Property-based tests of the JSON API against its own OpenAPI document (schemathesis).

Every operation of /api/v1/openapi.json is called with generated requests (valid and
invalid bodies and path parameters), signed in as a client and as a freelancer, with a
contract that exists so that /contracts/{id} also reaches real rows. Each response must not
be a server error and must match the document: status code, content type and body schema.
Runs on SQLite and on the PostgreSQL cluster of the test session. Bounded and derandomized,
so the same requests are sent on every run.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

NOW = datetime(2026, 11, 25, 10, 0, 0)
PASSWORD = "correct horse 1"
MAX_EXAMPLES = 25
SEED = 20261125
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("client", "freelancer")
#: Ids at the edges of 32- and 64-bit integers, which random integers seldom reach.
BOUNDARY_IDS = (0, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30)


class Api:
    """The app under test, its users' bearer tokens and a contract both of them are party to."""

    def __init__(self, app, tokens: dict[str, str], contract_id: int):
        self.app = app
        self.tokens = tokens
        self.contract_id = contract_id

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def throwaway_token(self, role: str) -> str:
        """A fresh token for DELETE /sessions/current, which revokes the token it is sent with."""
        from diary_server.accounts import issue_token
        from diary_server.models import User

        with self.app.extensions["diary_db"].connection_context():
            user = User.get(User.email == f"{role}@example.com")
            return issue_token(user, "fuzz", NOW)

    def reset_contract(self) -> None:
        """Undo what a previous example did to the shared contract (ended contracts refuse edits)."""
        from diary_server.models import Contract

        with self.app.extensions["diary_db"].connection_context():
            Contract.update(status="active", ended_at=None).where(Contract.id == self.contract_id).execute()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def diary_api(request, tmp_path_factory):
    from diary_server import contracts as svc
    from diary_server import create_app
    from diary_server.accounts import create_user
    from diary_server.models import User

    data_dir = tmp_path_factory.mktemp("diary-fuzz")
    if request.param == "sqlite":
        url, cluster, name = f"sqlite:///{data_dir / 'diary.sqlite3'}", None, None
    else:
        cluster = request.getfixturevalue("postgres")
        name = cluster.create_database()
        url = cluster.url(name)
    app = create_app(
        {
            "DATA_DIR": data_dir,
            "DATABASE_URL": url,
            "CLOCK": lambda: NOW,
            "TESTING": False,  # a server error must come back as a 500 response, not an exception
            # Generated sign-ins fail by the hundred; the limit itself is tested in test_diary_api.py.
            "LOGIN_ATTEMPTS": 1_000_000,
        }
    )
    db = app.extensions["diary_db"]
    with db.connection_context():
        for role in ROLES:
            create_user(f"{role}@example.com", f"Fuzz {role.title()}", role, PASSWORD, NOW)
        contract = svc.create_contract(
            User.get(User.email == "client@example.com"),
            freelancer_email="freelancer@example.com",
            title="Fuzzed contract",
            hourly_rate="25",
            activity_labels=["Design"],
            now=NOW,
        )
    http = app.test_client()
    tokens = {}
    for role in ROLES:
        r = http.post("/api/v1/sessions", json={"email": f"{role}@example.com", "password": PASSWORD})
        assert r.status_code == 201, r.text
        tokens[role] = r.json["token"]
    yield Api(app, tokens, contract.id)
    if not db.is_closed():
        db.close()
    if cluster is not None:
        cluster.drop_database(name)


def _strategies(operation, contract_id: int):
    """Positive and negative cases; for /contracts/{id} also ones aimed at the real contract."""
    from hypothesis import strategies as st

    found = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        found.append(operation.as_strategy(mode))
        if any(p.name == "contract_id" for p in operation.path_parameters):
            found.append(operation.as_strategy(mode, path_parameters={"contract_id": contract_id}))
            found.append(
                st.sampled_from(BOUNDARY_IDS).flatmap(
                    lambda i, mode=mode: operation.as_strategy(mode, path_parameters={"contract_id": i})
                )
            )
    return st.one_of(found)


def _send(case, diary_api: Api) -> None:
    operation = case.operation
    if not operation.definition.raw.get("security"):  # signing in: no token to send
        case.call_and_validate(checks=CHECKS)
        return
    for role in ROLES:
        diary_api.reset_contract()
        headers = diary_api.headers(role)
        if operation.method.upper() == "DELETE" and operation.path.endswith("/sessions/current"):
            headers = {"Authorization": f"Bearer {diary_api.throwaway_token(role)}"}
        case.call_and_validate(headers=headers, checks=CHECKS)


def test_api_conforms_to_its_openapi_document(diary_api):
    """Each generated request is sent as the client and as the freelancer; the response must be no
    server error and must match the document (status code, content type, body schema)."""
    config = schemathesis.Config.from_dict({"seed": SEED, "generation": {"deterministic": True}})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", diary_api.app, config=config)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]
    failures = []
    for operation in operations:

        @given(case=_strategies(operation, diary_api.contract_id))
        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
        )
        def run(case):
            _send(case, diary_api)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # report every operation's failure, not just the first
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}\n{notes}")
    assert not failures, "\n\n".join(failures)
