from tracker.privacy import DEFAULT_HIDDEN_TITLE_PATTERNS, HIDDEN, redact_title


def test_matching_titles_are_hidden_case_insensitively():
    pats = DEFAULT_HIDDEN_TITLE_PATTERNS
    assert redact_title("Bank — Mozilla Firefox Private Browsing", pats) == HIDDEN
    assert redact_title("New Incognito Tab - Google Chromium", pats) == HIDDEN
    assert redact_title("Passwords.kdbx - keepassxc", pats) == HIDDEN
    assert redact_title("main.py - Visual Studio Code", pats) == "main.py - Visual Studio Code"


def test_plain_patterns_match_as_substrings_and_globs_as_globs():
    assert redact_title("my secret project", ["secret"]) == HIDDEN
    assert redact_title("report.pdf", ["*.pdf"]) == HIDDEN
    assert redact_title("report.pdf draft", ["*.pdf"]) == "report.pdf draft"
    assert redact_title("anything", ["", "  "]) == "anything"
    assert redact_title(None, ["x"]) is None
