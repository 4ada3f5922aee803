"""The Work Diary in the Team app: the shared diary blueprint over the local cache.

The routes, messages and htmx answers are :mod:`ui.diary_blueprint`'s (the diary server
serves the same ones over its own tables); the store is :class:`web.diary_store.TeamDiaryStore`.
This module only finds the contract (``/diary?contract=N``, else the selected one) of the
signed-in account, 404 for any other, and adds the manual-time route the Team app has.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for

from models.local import Contract
from sync import contracts as contracts_sync
from sync.account import current_account
from ui.diary_blueprint import make_diary_blueprint
from web import preferences as prefs_mod
from web.diary_store import TeamDiaryStore
from web.services import services


def _contract(account) -> Contract:
    raw = request.args.get("contract") or request.form.get("contract")
    if raw:
        if not raw.isdigit() or len(raw) > 12:
            abort(404)
        cid = int(raw)
    else:
        cid = contracts_sync.selected_contract_id()
    contract = None
    if cid is not None:
        contract = Contract.get_or_none((Contract.diary_url == account.diary_url) & (Contract.id == cid))
    if contract is None:
        abort(404)
    return contract


def _store():
    """One contract of the signed-in account (404 if not theirs); sign in first."""
    account = current_account()
    if account is None:
        return redirect(url_for("auth.signin"))
    teamapp = services()
    return TeamDiaryStore(
        account,
        _contract(account),
        now=teamapp.clock.now,
        data_dir=teamapp.settings.data_dir,
        local_tz=prefs_mod.load().tz,
    )


bp = make_diary_blueprint(_store, url_prefix="/diary", import_name=__name__, manual=True)
