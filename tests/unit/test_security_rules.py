import pytest

from web.security import hostname_of, is_allowed_host, is_cross_site


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1:5000", True),
        ("localhost:5000", True),
        ("LOCALHOST", True),
        ("[::1]:8080", True),
        ("evil.example:5000", False),
        ("127.0.0.1.evil.example", False),
        ("localhost.evil.example:80", False),
        ("192.168.1.5:5000", False),
        ("", False),
        (None, False),
    ],
)
def test_host_header_allow_list(host, ok):
    assert is_allowed_host(host) is ok


def test_hostname_of_strips_ports():
    assert hostname_of("[::1]:80") == "[::1]"
    assert hostname_of("127.0.0.1:1") == "127.0.0.1"


@pytest.mark.parametrize(
    ("method", "origin", "fetch_site", "cross"),
    [
        ("GET", "https://evil.example", "cross-site", False),  # reads are harmless here
        ("POST", None, None, False),  # a native window or curl
        ("POST", "http://127.0.0.1:5000", "same-origin", False),
        ("POST", "http://127.0.0.1:5000", None, False),
        ("POST", "https://evil.example", None, True),
        ("POST", None, "cross-site", True),
        ("POST", None, "same-site", True),  # another port on localhost is another app
        ("DELETE", "http://127.0.0.1:9999", None, True),
        ("POST", "null", None, True),
    ],
)
def test_cross_site_rule(method, origin, fetch_site, cross):
    assert is_cross_site(method, origin, fetch_site, "127.0.0.1:5000") is cross
