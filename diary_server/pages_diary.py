"""The Work Diary on the diary server's own pages, for the client and the freelancer of a contract.

The routes, messages and htmx answers are :mod:`ui.diary_blueprint`'s (the Team app serves
the same ones over its local cache); the store is
:class:`diary_server.diary_store.ServerDiaryStore`. This module only finds the contract
named in the URL (``/contracts/<id>/diary/...``) for its parties, 404 for anyone else (as the
contract pages do), and serves the snapshot images from the diary's blob store.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import abort, g, redirect, request, url_for

from diary_server import contracts as contracts_svc
from diary_server.diary_store import ServerDiaryStore
from ui.diary_blueprint import make_diary_blueprint


def _store():
    """Every diary URL names a contract: load it for its parties, 404 for anyone else
    (runs after the app's hooks have found who is signed in)."""
    if g.user is None:
        return redirect(url_for("pages.signin", next=request.path))
    try:
        contract = contracts_svc.get_visible(g.user, g.contract_id)
    except contracts_svc.ContractError:
        abort(404)
    return ServerDiaryStore(g.user, contract, g.now)


# An APIBlueprint only so APIFlask can look at its before_request hook (it reads
# ``enable_openapi`` on every blueprint that has one); these HTML pages stay out of the spec.
diary_bp = make_diary_blueprint(
    _store,
    url_prefix="/contracts/<int:contract_id>/diary",
    import_name=__name__,
    blueprint_class=APIBlueprint,
    snapshots=True,
    enable_openapi=False,
)


@diary_bp.url_value_preprocessor
def _take_contract_id(endpoint, values) -> None:
    g.contract_id = values.pop("contract_id")
