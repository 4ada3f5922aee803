"""The tray is refreshed after every loop event (each logged minute); it talks to the X server
(and wakes its own thread and the panel) only when what it shows changed."""

from desktop.tray import Tray


class FakeIcon:
    def __init__(self):
        self.titles: list[str] = []
        self.menus = 0

    @property
    def title(self):
        return self.titles[-1] if self.titles else None

    @title.setter
    def title(self, value):
        self.titles.append(value)

    def update_menu(self):
        self.menus += 1


def test_a_refresh_that_changes_nothing_sends_nothing():
    state = {"on": False}
    tray = Tray(None, lambda: state["on"], lambda: "Website", lambda: None, lambda: None)
    icon = tray._icon = FakeIcon()
    tray._shown = tray.title()
    tray.refresh()  # nothing changed since start
    assert icon.titles == [] and icon.menus == 0
    state["on"] = True
    for _ in range(10):  # ten logged minutes
        tray.refresh()
    assert icon.titles == ["Team: Logging on Website"] and icon.menus == 1
    tray.refresh(logging_on=False)
    assert icon.titles[-1] == "Team: Not logging on Website" and icon.menus == 2
