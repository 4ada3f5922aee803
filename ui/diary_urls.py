"""The URLs the shared Work Diary templates (``ui/templates/diary``) ask for.

Both programs serve the diary from a blueprint named ``diary`` with the same endpoint names;
they differ only in how the contract is named in the URL and where snapshots are served, so
each subclasses this and sets those two things.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import url_for


class DiaryUrls:
    #: The URL parameter that names the contract in this program's diary routes.
    contract_arg = "contract"
    #: Where manual time is added ("" hides the form: the diary server has none).
    manual = ""

    def __init__(self, contract_id: int):
        self.cid = contract_id

    def _url(self, endpoint: str, **values: Any) -> str:
        return url_for(f"diary.{endpoint}", **{self.contract_arg: self.cid, **values})

    def _snapshot(self, image_id, **values) -> str:
        raise NotImplementedError

    @property
    def css(self) -> str:
        return url_for("ui.static", filename="diary.css")

    @property
    def js(self) -> str:
        return url_for("ui.static", filename="diary.js")

    def day(self, day: date, tz: str) -> str:
        return self._url("day", day=day.isoformat(), tz=tz)

    def week(self, day: date, tz: str) -> str:
        return self._url("week", week=day.isoformat(), tz=tz)

    def day_tz(self, day: date):
        return lambda tz: self.day(day, tz)

    def week_tz(self, day: date):
        return lambda tz: self.week(day, tz)

    def export_csv(self, day: date, tz: str) -> str:
        return self._url("export_csv", week=day.isoformat(), tz=tz)

    def report(self, day: date, tz: str) -> str:
        return self._url("report", week=day.isoformat(), tz=tz)

    def thumb(self, image_id) -> str:
        return self._snapshot(image_id, size="thumb")

    def full(self, image_id) -> str:
        return self._snapshot(image_id)

    def viewer(self, segment_id, tz: str) -> str:
        return self._url("viewer", segment_id=segment_id, tz=tz)

    def memo_form(self, ids, tz: str, day: date) -> str:
        return self._url("memo_form", ids=",".join(map(str, ids)), tz=tz, day=day.isoformat())

    @property
    def memo(self) -> str:
        return self._url("memo")

    @property
    def delete_confirm(self) -> str:
        return self._url("delete_confirm")

    @property
    def delete(self) -> str:
        return self._url("delete")

    @property
    def camera_delete(self) -> str:
        return self._url("camera_delete")
