import pytest

from diary_server.accounts import AccountError, hash_token, normalize_email, validate_new_account
from diary_server.pages import safe_next_path
from diary_server.passwords import PRODUCTION_HASHER, password_problem
from diary_server.throttle import MAX_DELAY_SECONDS, delay_after, wait_in_words


def test_valid_account_is_normalized():
    a = validate_new_account("  Ana@Example.COM ", "  Ana   Lopez ", "client", "quiet harbour 7")
    assert (a.email, a.name, a.role) == ("ana@example.com", "Ana Lopez", "client")


def test_email_variants_are_one_address():
    # Case, outer spaces and full-width letters (NFKC) all name the same account.
    assert normalize_email(" ＡＮＡ@Ｅxample.com\t") == normalize_email("ana@example.com") == "ana@example.com"


@pytest.mark.parametrize(
    ("email", "name", "role", "password", "field"),
    [
        ("nope", "Ana", "client", "quiet harbour 7", "email"),
        ("a@b.co", "", "client", "quiet harbour 7", "name"),
        ("a@b.co", "Ana", "admin", "quiet harbour 7", "role"),
        ("a@b.co", "Ana", "client", "short", "password"),
    ],
)
def test_invalid_account_names_the_field(email, name, role, password, field):
    with pytest.raises(AccountError) as info:
        validate_new_account(email, name, role, password)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaa", "one character repeated"),
        (" " * 10, "one character repeated"),
        ("password12", "most common passwords"),
        ("1234567890", "most common passwords"),
        ("QWERTYUIOP", "most common passwords"),
    ],
)
def test_common_and_repeated_passwords_are_refused_saying_why(password, why):
    assert why in password_problem(password)
    with pytest.raises(AccountError) as info:
        validate_new_account("a@b.co", "Ana", "client", password)
    assert info.value.field == "password" and why in info.value.message


def test_a_good_password_has_no_problem():
    assert password_problem("quiet harbour 7") is None


def test_growing_delays_after_the_free_attempts():
    assert [delay_after(n, free=5) for n in range(1, 5)] == [0, 0, 0, 0]
    assert [delay_after(n, free=5) for n in range(5, 10)] == [2, 4, 8, 16, 32]
    assert delay_after(13, free=5) == 512 and delay_after(14, free=5) == MAX_DELAY_SECONDS == 15 * 60
    assert delay_after(10_000, free=5) == MAX_DELAY_SECONDS


def test_waits_are_said_in_whole_minutes():
    assert [wait_in_words(s) for s in (1, 60, 61, 900)] == ["1 minute", "1 minute", "2 minutes", "15 minutes"]


def test_argon2_parameters_follow_owasp():
    # OWASP's Password Storage Cheat Sheet: Argon2id with 19 MiB, 2 iterations, 1 lane.
    p = PRODUCTION_HASHER
    assert (p.memory_cost, p.time_cost, p.parallelism) == (19 * 1024, 2, 1)


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        " //evil.example",
        "/\n/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
        None,
    ],
)
def test_next_must_be_a_path_on_this_site(target):
    assert safe_next_path(target) is None


def test_next_keeps_a_local_path():
    assert safe_next_path("/contracts/3/diary?week=2026-W48") == "/contracts/3/diary?week=2026-W48"


def test_token_hash_is_sha256_hex():
    assert len(hash_token("abc")) == 64 and hash_token("abc") != hash_token("abd")
