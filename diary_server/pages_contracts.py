"""Contract pages of the diary server: clients hire and manage; freelancers see theirs."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from diary_server import contracts as svc
from diary_server.models import diary_db
from diary_server.pages import login_required, pages_bp


def _contract_form(source) -> dict:
    return {
        "freelancer_email": source.get("freelancer_email", "").strip(),
        "title": source.get("title", ""),
        "hourly_rate": source.get("hourly_rate", "").strip(),
        "currency": source.get("currency", "USD"),
        "weekly_limit_hours": source.get("weekly_limit_hours", "").strip(),
        "manual_time_allowed": source.get("manual_time_allowed") == "on",
        "activity_labels": source.get("activity_labels", ""),
    }


@pages_bp.route("/contracts/new", methods=["GET", "POST"])
@login_required
def new_contract():
    if g.user.role != "client":
        return render_template(
            "error.html", title="Clients hire", message="Only client accounts can create contracts."
        ), 403
    form = {"currency": "USD", "activity_labels": "", "manual_time_allowed": False}
    error = None
    if request.method == "POST":
        form = _contract_form(request.form)
        try:
            contract = svc.create_contract(g.user, now=g.now, **form)
        except svc.ContractError as exc:
            error = exc
        else:
            return redirect(url_for("pages.contract", contract_id=contract.id, created=1))
    return render_template(
        "contract_new.html", title="New hourly contract", form=form, error=error, currencies=svc.CURRENCIES
    ), (error.status if error else 200)


@pages_bp.route("/contracts/<int:contract_id>", methods=["GET", "POST"])
@login_required
def contract(contract_id: int):
    error = None
    notice = "Contract created. Your freelancer sees it in the Team app now." if request.args.get("created") else None
    try:
        current = svc.get_visible(g.user, contract_id)
        if request.method == "POST":
            form = _contract_form(request.form)
            changes = {k: form[k] for k in ("title", "hourly_rate", "weekly_limit_hours", "activity_labels")}
            changes["manual_time_allowed"] = form["manual_time_allowed"]
            with diary_db.atomic():
                current = svc.update_contract(g.user, contract_id, changes, g.now)
            notice = "Changes saved."
    except svc.ContractError as exc:
        if exc.status == 404:
            return render_template("error.html", title="Not found", message=exc.message), 404
        error = exc
    data = svc.contract_json(current, g.now)
    return render_template(
        "contract.html",
        title=data["title"],
        c=data,
        is_client=current.client_id == g.user.id,
        error=error,
        notice=notice,
    ), (error.status if error else 200)


@pages_bp.post("/contracts/<int:contract_id>/status")
@login_required
def contract_status(contract_id: int):
    try:
        svc.change_status(g.user, contract_id, request.form.get("status", ""), g.now)
    except svc.ContractError as exc:
        if exc.status == 404:
            return render_template("error.html", title="Not found", message=exc.message), 404
        current = svc.get_visible(g.user, contract_id)
        data = svc.contract_json(current, g.now)
        return render_template(
            "contract.html", title=data["title"], c=data, is_client=True, error=exc, notice=None
        ), exc.status
    return redirect(url_for("pages.contract", contract_id=contract_id))
