"""The system-tray icon: logging on/off and the contract at a glance, On/Off and Open.

pystray opens the X display when imported, so it is imported only here, only when a
display exists, and only if the desktop has a tray (on X11: an owner of the
_NET_SYSTEM_TRAY selection). Everything the menu does goes through callbacks.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def x11_has_tray(display_name: str | None = None) -> bool:
    """True when some program owns the system tray selection of screen 0."""
    try:
        from Xlib import display as xdisplay
    except ImportError:
        return False
    try:
        d = xdisplay.Display(display_name)
    except Exception:  # no X server
        return False
    try:
        atom = d.intern_atom(f"_NET_SYSTEM_TRAY_S{d.get_default_screen()}")
        return d.get_selection_owner(atom) != 0
    finally:
        d.close()


def tray_available(environ=os.environ, platform: str = sys.platform) -> str | None:
    """None when a tray icon can be shown, else why not (shown in diagnostics)."""
    if platform in ("win32", "darwin"):
        return None
    if environ.get("WAYLAND_DISPLAY") and not environ.get("DISPLAY"):
        return "no system tray on this Wayland session"
    if not environ.get("DISPLAY"):
        return "no display"
    if not x11_has_tray(environ.get("DISPLAY")):
        return "this desktop has no system tray"
    return None


class Tray:
    """Runs the pystray icon on its own thread (``run_detached``)."""

    def __init__(
        self,
        icon_path: Path,
        is_logging: Callable[[], bool],
        contract_title: Callable[[], str | None],
        toggle: Callable[[], None],
        open_window: Callable[[], None],
    ):
        self._icon_path = icon_path
        self._is_logging = is_logging
        self._contract_title = contract_title
        self._toggle = toggle
        self._open = open_window
        self._icon = None
        self._shown: str | None = None  # the tooltip shown (the menu follows the same state)

    def title(self, logging_on: bool | None = None) -> str:
        contract = self._contract_title()
        logging_on = self._is_logging() if logging_on is None else logging_on
        state = "Logging" if logging_on else "Not logging"
        return f"Team: {state}" + (f" on {contract}" if contract else "")

    def start(self) -> None:
        if sys.platform.startswith("linux"):
            os.environ.setdefault("PYSTRAY_BACKEND", "xorg")
        import pystray
        from PIL import Image

        image = Image.open(self._icon_path).convert("RGBA").resize((64, 64))
        menu = pystray.Menu(
            pystray.MenuItem(
                lambda item: "Switch logging off" if self._is_logging() else "Switch logging on",
                lambda icon, item: self._toggle(),
                default=False,
            ),
            pystray.MenuItem("Open Team", lambda icon, item: self._open(), default=True),
        )
        self._shown = self.title()
        icon = pystray.Icon("team", image, self._shown, menu)
        self._icon = icon
        # Our own daemon thread running icon.run (pystray's run_detached leaves a setup thread
        # waiting forever on X11, which then delays stop()).
        threading.Thread(target=icon.run, name="tray", daemon=True).start()

    def refresh(self, logging_on: bool | None = None) -> None:
        """Update the tooltip and menu after logging changed (``logging_on`` when the caller knows
        it better than the loop's thread state, e.g. while the loop is still stopping)."""
        if self._icon is None:
            return
        try:
            title = self.title(logging_on)
            if title == self._shown:  # called after every loop event (each logged minute): no X
                return  # request, no wake-up of the tray's thread or the panel, when nothing changed
            self._shown = title
            self._icon.title = title
            # pystray's X backend renames its window on its own thread but leaves the request in
            # the connection's buffer; without a flush the last rename can wait there forever.
            display = getattr(self._icon, "_display", None)
            if display is not None:
                display.flush()
            self._icon.update_menu()
        except Exception:  # the tray went away; the window still works
            log.debug("tray update failed", exc_info=True)

    def stop(self) -> None:
        if self._icon is not None:
            try:
                self._icon.stop()
            except Exception:
                log.debug("tray stop failed", exc_info=True)
            self._icon = None


def start_tray_for(controller, notifier, url: str) -> Tray | None:
    """The tray icon where the desktop has a tray; None (and a log line) elsewhere."""
    from desktop import window
    from desktop.notify import Notice
    from desktop.refusals import StartRefused
    from models.local import Contract, local_db
    from sync import contracts as contracts_sync
    from ui import ICON_PNG

    reason = tray_available()
    if reason:
        log.info("no tray icon: %s", reason)
        return None

    def contract_title() -> str | None:
        def read() -> str | None:
            cid = contracts_sync.selected_contract_id()
            contract = Contract.get_or_none(Contract.id == cid) if cid else None
            return contract.title if contract else None

        if not local_db.is_closed():  # called on the UI worker, which holds a connection
            return read()
        with local_db.connection_context():
            return read()

    def toggle() -> None:
        with local_db.connection_context():
            if controller.logging:
                controller.stop()
            else:
                try:
                    controller.start(contracts_sync.selected_contract_id())
                except StartRefused as exc:
                    notifier.send(Notice("Logging did not start", str(exc)))
        tray.refresh()

    def open_window() -> None:
        if not window.show_native_window():
            window.open_in_browser(url)

    tray = Tray(ICON_PNG, lambda: controller.logging, contract_title, toggle, open_window)
    try:
        tray.start()
    except Exception as exc:  # a tray that will not start must not stop the app
        log.warning("tray icon unavailable: %s", exc)
        return None
    controller.watchers.append(tray.refresh)  # after the controller handled each loop event
    return tray
