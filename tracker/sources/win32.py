"""Active application and window title on Windows, through the Win32 API (ctypes).

Written against the same port as the X11 source but not run in this project's CI (no
Windows runner yet). ``ctypes.WinDLL`` is only touched in :meth:`start`, so importing the
module is harmless on every OS.
"""

from __future__ import annotations

import logging
from pathlib import PureWindowsPath
from typing import Any

from tracker.ports import OK, Rect, WindowInfo

log = logging.getLogger(__name__)

PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
NOT_STARTED = "the active window is not being read (logging is off)"


class Win32WindowSource:
    def __init__(self) -> None:
        # ctypes.WinDLL handles once started; their functions are looked up by attribute, untyped
        self._user32: Any = None
        self._kernel32: Any = None
        self._status = NOT_STARTED

    def start(self) -> None:
        import ctypes
        from ctypes import wintypes

        self._ctypes = ctypes
        self._wintypes = wintypes
        # typeshed declares WinDLL/windll only when checking for win32; mypy runs on Linux here
        user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        user32.GetForegroundWindow.restype = wintypes.HWND
        user32.GetWindowTextLengthW.argtypes = [wintypes.HWND]
        user32.GetWindowTextW.argtypes = [wintypes.HWND, wintypes.LPWSTR, ctypes.c_int]
        user32.GetWindowThreadProcessId.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.DWORD)]
        user32.GetWindowRect.argtypes = [wintypes.HWND, ctypes.POINTER(wintypes.RECT)]
        user32.GetCursorPos.argtypes = [ctypes.POINTER(wintypes.POINT)]
        kernel32.OpenProcess.restype = wintypes.HANDLE
        kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        kernel32.QueryFullProcessImageNameW.argtypes = [
            wintypes.HANDLE,
            wintypes.DWORD,
            wintypes.LPWSTR,
            ctypes.POINTER(wintypes.DWORD),
        ]
        kernel32.CloseHandle.argtypes = [wintypes.HANDLE]
        # Physical pixels, so window rectangles match what mss grabs on scaled displays.
        try:
            ctypes.windll.shcore.SetProcessDpiAwareness(2)  # type: ignore[attr-defined]  # as WinDLL above
        except (AttributeError, OSError):
            user32.SetProcessDPIAware()
        self._user32, self._kernel32 = user32, kernel32
        self._status = OK

    def stop(self) -> None:
        self._user32 = self._kernel32 = None
        self._status = NOT_STARTED

    def health(self) -> str:
        return self._status

    def active_window(self) -> WindowInfo | None:
        if self._user32 is None:
            return None
        ctypes, wintypes, user32 = self._ctypes, self._wintypes, self._user32
        hwnd = user32.GetForegroundWindow()
        if not hwnd:
            return None  # e.g. the lock screen or a UAC prompt
        length = user32.GetWindowTextLengthW(hwnd)
        buf = ctypes.create_unicode_buffer(length + 1)
        user32.GetWindowTextW(hwnd, buf, length + 1)
        pid = wintypes.DWORD()
        user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
        rect = wintypes.RECT()
        box = None
        if user32.GetWindowRect(hwnd, ctypes.byref(rect)):
            box = Rect(rect.left, rect.top, rect.right - rect.left, rect.bottom - rect.top)
        return WindowInfo(app=self._process_name(pid.value), title=buf.value, rect=box)

    def _process_name(self, pid: int) -> str:
        """The executable's name without ``.exe`` ("" if the process is elevated and we
        are not: Windows refuses to tell, which is fine)."""
        ctypes, wintypes, kernel32 = self._ctypes, self._wintypes, self._kernel32
        handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return ""
        try:
            size = wintypes.DWORD(1024)
            buf = ctypes.create_unicode_buffer(size.value)
            if not kernel32.QueryFullProcessImageNameW(handle, 0, buf, ctypes.byref(size)):
                return ""
            return PureWindowsPath(buf.value).stem
        finally:
            kernel32.CloseHandle(handle)

    def pointer(self) -> tuple[int, int] | None:
        if self._user32 is None:
            return None
        point = self._wintypes.POINT()
        if not self._user32.GetCursorPos(self._ctypes.byref(point)):
            return None
        return point.x, point.y
