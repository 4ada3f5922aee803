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
