"""What the help page links to: the software licence and the third-party licences (from the
installed packages' metadata), the privacy statement and the supported systems."""

import html
from importlib import metadata
from pathlib import Path

from web import licenses

REPO = Path(__file__).resolve().parents[2]


def _text(r) -> str:
    return html.unescape(r.get_data(as_text=True))


def test_the_project_has_an_mit_license_shown_in_the_app(team):
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License") and "Permission is hereby granted" in license_text
    r = team.get("/help/licenses")
    assert r.status_code == 200
    assert license_text.splitlines()[2] in _text(r)  # the copyright line


def test_third_party_licences_come_from_installed_metadata(team):
    page = _text(team.get("/help/licenses"))
    names = {c.name for c in licenses.components()}
    # Every runtime requirement of this OS is listed, and what they pull in too.
    for req in licenses.root_requirements():
        assert req.name.lower().replace("_", "-") in names, req.name
    assert {"werkzeug", "jinja2", "markupsafe", "htmx", "htmx-ext-ws"} <= names
    assert "pytest" not in names and "ruff" not in names  # dev tools are not shipped
    flask = metadata.distribution("flask")
    assert f"{flask.version}" in page and (flask.metadata["License-Expression"] or "BSD") in page
    r = team.get("/help/licenses/flask")
    assert r.status_code == 200 and "Redistribution and use in source and binary forms" in _text(r)
    assert team.get("/help/licenses/htmx").status_code == 200
    assert team.get("/help/licenses/not-a-component").status_code == 404


def test_licence_names_from_metadata_fall_back_sensibly():
    class Meta(dict):
        def get_all(self, key):
            return self.get(key + "s")

    assert licenses.license_of(Meta({"License-Expression": "MIT"})) == "MIT"
    assert licenses.license_of(Meta({"License": "LGPLv3"})) == "LGPLv3"
    classified = Meta(
        {"License": "Copyright 2010 WTForms\n...", "Classifiers": ["License :: OSI Approved :: BSD License"]}
    )
    assert licenses.license_of(classified) == "BSD License"
    assert licenses.license_of(Meta({"License": "Permission is hereby granted, free of charge, " * 3})).startswith(
        "MIT"
    )
    assert licenses.license_of(Meta({})) == "see its licence text"


def test_privacy_statement_answers_the_five_questions(team, diary_account):
    page = _text(team.get("/help/privacy"))
    for heading in ("What is recorded", "Where it is kept, and what is uploaded", "Who sees it"):
        assert heading in page
    assert "How long it is kept" in page and "How to delete it" in page
    assert "never which keys" in page and "no analytics" in page


def test_supported_systems_and_the_links_before_and_after_sign_in(team, diary_account):
    page = _text(team.get("/help/systems"))
    assert "Linux" in page and "Windows 10 or 11" in page and "macOS 12" in page and "Hardware" in page
    signin = _text(team.get("/signin"))
    for link in ("/help/privacy", "/help/licenses", "/help/systems"):
        assert link in signin
    r = team.post("/signin", data={"email": "felix@example.com", "password": "correct horse 1"})
    assert r.status_code == 303
    help_page = _text(team.get("/help"))
    assert "Privacy statement" in help_page and "Licences" in help_page and "Supported systems" in help_page
