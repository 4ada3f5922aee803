from desktop.window import has_display, resolve_mode


def test_auto_uses_a_native_window_when_there_is_a_display():
    assert resolve_mode("auto", {"DISPLAY": ":0"}, "linux") == "native"
    assert resolve_mode("auto", {"WAYLAND_DISPLAY": "wayland-0"}, "linux") == "native"
    assert resolve_mode("auto", {}, "win32") == "native"


def test_auto_only_serves_without_a_display():
    assert not has_display({}, "linux")
    assert resolve_mode("auto", {}, "linux") == "none"


def test_explicit_modes_are_kept():
    for mode in ("native", "browser", "none"):
        assert resolve_mode(mode, {}, "linux") == mode
