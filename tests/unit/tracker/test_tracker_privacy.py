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


def test_one_pattern_reading_for_the_form_check_and_the_matcher():
    from tracker.privacy import compile_title_pattern, title_pattern_problem

    # The shipped defaults are globs; the form check accepts every one of them.
    assert all(title_pattern_problem(p) is None for p in DEFAULT_HIDDEN_TITLE_PATTERNS)
    assert title_pattern_problem("*Private Browsing*") is None
    assert "at most 200 characters" in title_pattern_problem("x" * 201)
    # Text that was a valid regular expression under the old check is still a usable pattern.
    assert title_pattern_problem("secret|private") is None and title_pattern_problem("(unclosed") is None
    assert redact_title("a (unclosed) window", ["(unclosed"]) == HIDDEN
    assert compile_title_pattern("   ") is None
    assert redact_title("Passwords — KEEPASS", ["*keepass"]) == HIDDEN
