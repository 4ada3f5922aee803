"""The native window's opening size fits the screen (issue "Day two", item 12)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from desktop.window import DEFAULT_WINDOW, MIN_WINDOW, screen_size, window_size


@pytest.mark.parametrize(
    ("screen", "expected"),
    [
        ((1920, 1080), (1180, 720)),  # a big screen: the default
        ((2560, 1440), DEFAULT_WINDOW),  # never larger than the default
        ((1366, 768), (1180, 691)),  # a laptop: 90% of the height leaves room for the title bar and panels
        ((1366, 728), (1180, 655)),  # its available height, less a 40 px taskbar
        ((1280, 800), (1180, 720)),
        ((1024, 600), (972, 560)),  # a netbook: 95% of the width, and the minimum height
        ((800, 480), (760, 560)),  # smaller than the minimum: the minimum
        ((400, 300), MIN_WINDOW),
    ],
)
def test_the_window_fits_the_screen(screen, expected):
    assert window_size(*screen) == expected


@pytest.mark.parametrize("screen", [(None, None), (0, 0), (1920, None), (-1, 768)])
def test_an_unknown_screen_counts_as_a_768_px_laptop(screen):
    width, height = window_size(*screen)
    assert (width, height) == window_size(1366, 768)
    assert height <= 768 * 0.9


def test_the_window_is_never_below_its_minimum_size():
    for w in range(100, 3000, 97):
        for h in range(100, 2000, 89):
            width, height = window_size(w, h)
            assert width >= MIN_WINDOW[0] and height >= MIN_WINDOW[1]
            assert width <= DEFAULT_WINDOW[0] and height <= DEFAULT_WINDOW[1]


class _Geometry:
    def __init__(self, w, h):
        self._w, self._h = w, h

    def width(self):
        return self._w

    def height(self):
        return self._h


def test_screen_size_prefers_the_available_geometry_of_a_qt_screen():
    qscreen = SimpleNamespace(availableGeometry=lambda: _Geometry(1366, 728))
    webview = SimpleNamespace(screens=[SimpleNamespace(width=1366, height=768, frame=qscreen)])
    assert screen_size(webview) == (1366, 728)


def test_screen_size_falls_back_to_the_screen_and_to_none():
    assert screen_size(SimpleNamespace(screens=[SimpleNamespace(width=1600, height=900, frame=None)])) == (1600, 900)
    assert screen_size(SimpleNamespace(screens=[])) is None

    class Broken:
        @property
        def screens(self):
            raise RuntimeError("no display")

    assert screen_size(Broken()) is None
