import pytest

from sync.diary_client import BadServerURL, normalize_server_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://diary.example.com/", "https://diary.example.com"),
        ("  http://127.0.0.1:8470  ", "http://127.0.0.1:8470"),
        ("https://example.com/team/", "https://example.com/team"),
    ],
)
def test_good_urls(raw, expected):
    assert normalize_server_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Enter the diary server"),
        ("not a url", "is not a web address"),
        ("diary.example.com", "should start with https://"),
        ("ftp://diary.example.com", "uses ftp://"),
        ("http://", "not a valid server address"),
        ("http://host:99999", "invalid port"),
        ("http://host:abc", "invalid port"),
        ("http://exa mple.com", "not a valid server address"),
    ],
)
def test_bad_urls_get_a_clear_message(raw, message):
    with pytest.raises(BadServerURL, match=message):
        normalize_server_url(raw)


def test_every_client_shares_one_tls_context():
    """Each sync round and contract poll makes a client; none may build its own TLS context."""
    from sync.diary_client import DiaryClient, shared_ssl_context

    clients = [DiaryClient("https://diary.example.com") for _ in range(3)]
    contexts = {id(c._client._transport._pool._ssl_context) for c in clients}
    assert contexts == {id(shared_ssl_context())}
    for c in clients:
        c.close()
