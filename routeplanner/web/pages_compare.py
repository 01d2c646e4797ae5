"""Planners' page: two or more plans side by side, and on one map."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from routeplanner.compare import compare as measure
from routeplanner.travel import leg_shapes
from routeplanner.web import access, security
from routeplanner.web.maps import PLAN_COLOURS, compare_map, render_map
from routeplanner.web.pages import bad_request, get_plan, leaflet_installed, map_assets, plan_model, plan_title
from routeplanner.web.pages_scenarios import latest_plans
from routeplanner.web.pages_text import compare_metrics, moved_stops

bp = Blueprint("compare", __name__)

#: At most this many plans side by side (a wider table reads badly anyway).
MAX_PLANS = 6


def _chosen_ids() -> list[int]:
    """``?plan=3&plan=5`` (or ``?plans=3,5``) as distinct ids, oldest first."""
    raw = request.args.getlist("plan") + [x for v in request.args.getlist("plans") for x in v.split(",")]
    ids: list[int] = []
    for text in raw:
        text = text.strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit() and len(text) <= 18):  # int() would take "²" or 5,000 digits badly
            raise bad_request(_("“%(value)s” is not a plan number.", value=text))
        if int(text) not in ids:
            ids.append(int(text))
    if len(ids) > MAX_PLANS:
        raise bad_request(_("Compare at most %(n)d plans at once.", n=MAX_PLANS))
    return sorted(ids)  # the oldest plan is the one the others are measured against


def _load(ids: list[int]):
    out = []
    for plan_id in ids:
        row = get_plan(plan_id)
        access.require(access.VIEW, row.scenario_id)
        out.append((row, plan_model(row)))
    return out


@bp.get("/compare")
def compare():
    ids = _chosen_ids()
    if len(ids) < 2:
        status = 400 if ids else 200
        return render_template("compare_choose.html", plans=latest_plans(), chosen=ids, plan_title=plan_title,
                               too_few=bool(ids)), status
    loaded = _load(ids)
    plans = [p for _row, p in loaded]
    comparison = measure(plans)  # once, for the figures and the moved stops
    return render_template(
        "compare.html",
        loaded=loaded,
        ids=ids,
        titles=[plan_title(r) for r, _p in loaded],
        colours=[PLAN_COLOURS[i % len(PLAN_COLOURS)] for i in range(len(loaded))],
        metrics=compare_metrics(plans, comparison),
        moved=moved_stops(plans, comparison),
        leaflet_ok=leaflet_installed(),
        # the map draws each plan along the roads where its travel method knows them
        along_roads=all(p.travel.method == "osm" for p in plans),
    )


@bp.get("/compare/map")
def compare_map_page():
    ids = _chosen_ids()
    if len(ids) < 1:
        raise bad_request(_("Choose the plans to show."))
    loaded = _load(ids)
    labelled = [(f"{plan_title(r)} ({r.scenario.name})", p) for r, p in loaded]
    m = compare_map(labelled, map_assets(), [leg_shapes(p.travel, p.routes) for _row, p in loaded])
    return security.map_document(render_map(m, _("Plans compared")))
