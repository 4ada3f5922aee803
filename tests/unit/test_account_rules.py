import pytest

from diary_server.accounts import AccountError, blocked_for, hash_token, validate_new_account


def test_valid_account_is_normalized():
    a = validate_new_account("  Ana@Example.COM ", "  Ana   Lopez ", "client", "x" * 10)
    assert (a.email, a.name, a.role) == ("ana@example.com", "Ana Lopez", "client")


@pytest.mark.parametrize(
    ("email", "name", "role", "password", "field"),
    [
        ("nope", "Ana", "client", "x" * 10, "email"),
        ("a@b.co", "", "client", "x" * 10, "name"),
        ("a@b.co", "Ana", "admin", "x" * 10, "role"),
        ("a@b.co", "Ana", "client", "short", "password"),
    ],
)
def test_invalid_account_names_the_field(email, name, role, password, field):
    with pytest.raises(AccountError) as info:
        validate_new_account(email, name, role, password)
    assert info.value.field == field


def test_sign_in_limit_rule():
    assert not blocked_for(4, 4, limit=5)
    assert blocked_for(5, 0, limit=5)
    assert blocked_for(0, 20, limit=5)
    assert not blocked_for(0, 19, limit=5)


def test_token_hash_is_sha256_hex():
    assert len(hash_token("abc")) == 64 and hash_token("abc") != hash_token("abd")
