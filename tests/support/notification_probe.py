# ruff: noqa: F821, F722  (dbus-fast reads D-Bus signature strings from the annotations)
"""Run inside its own ``dbus-run-session``: a fake notification server records what the Team
app's DesktopNotifier sends over real D-Bus, then prints it as JSON.

Used by tests/integration/test_notifications_dbus.py; needs no X display and no dunst.
"""

import asyncio
import json
import sys
import threading
from pathlib import Path

from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, method

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


class FakeNotifications(ServiceInterface):
    def __init__(self, received: list, got: threading.Event):
        super().__init__("org.freedesktop.Notifications")
        self.received = received
        self.got = got

    @method()
    def Notify(
        self,
        app_name: "s",
        replaces_id: "u",
        app_icon: "s",
        summary: "s",
        body: "s",
        actions: "as",
        hints: "a{sv}",
        expire_timeout: "i",
    ) -> "u":
        self.received.append({"app": app_name, "summary": summary, "body": body, "actions": list(actions)})
        self.got.set()
        return len(self.received)

    @method()
    def GetCapabilities(self) -> "as":
        return ["actions", "body"]

    @method()
    def GetServerInformation(self) -> "ssss":
        return ["fake", "teamapp-tests", "1.0", "1.2"]

    @method()
    def CloseNotification(self, notification_id: "u"):
        return


def main() -> int:
    received: list = []
    got = threading.Event()
    ready = threading.Event()

    async def serve() -> None:
        bus = await MessageBus().connect()
        bus.export("/org/freedesktop/Notifications", FakeNotifications(received, got))
        await bus.request_name("org.freedesktop.Notifications")
        ready.set()
        await asyncio.get_running_loop().create_future()

    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    if not ready.wait(10):
        print(json.dumps({"error": "fake server did not start"}))
        return 1
    from desktop.notify import DesktopNotifier, Notice

    notifier = DesktopNotifier("Team")
    notifier.send(Notice("Snapshot taken", "XTerm: notes.txt", actions={"Delete": lambda: None, "Keep": lambda: None}))
    got.wait(15)
    notifier.close()
    print(json.dumps({"received": received, "status": notifier.status}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
