"""Write a final visit's reports: assemble the data, build per audience, save owner-only files."""

from __future__ import annotations

import re
from pathlib import Path

from visitor import workflow
from visitor.locations import private_dir
from visitor.model import ValidationError, open_recommendations
from visitor.report.audience import LABELS, Audience
from visitor.storage import atomic_write
from visitor.store import Store


def report_data(store: Store, visit: dict):
    from visitor.report.build import ReportData

    home = store.home(visit["home_id"])
    children = store.children(home.id)
    analysis = workflow.analyse_home(store, home.id, upto=visit["date"], months=13)  # the report shows ≤ 12 visits
    fired = {f.key for f in analysis.flags}
    patterns = [{**f.to_dict(), "raised_on": visit["date"]} for f in analysis.flags]
    for stored in store.flags(home.id):
        resolved = stored.get("resolved")
        still_open = not resolved or resolved.get("on", "") > visit["date"]
        if stored["key"] not in fired and stored["raised_on"] < visit["date"] and still_open:
            patterns.append(stored)
    earlier = open_recommendations([v for v in store.visits(home.id) if v["date"] < visit["date"]])
    settings = store.settings()
    return ReportData(home=home, visit=visit, children=children, checklist=store.checklist_for(visit),
                      analysis=analysis, patterns=patterns, earlier=earlier,
                      recipients=workflow.recipients(home, children, visit["date"]),
                      marking=settings.get("protective_marking") or "OFFICIAL-SENSITIVE",
                      deadline=workflow.report_due(visit["date"], settings.get("report_deadline", "end-of-month")))


def file_name(visit: dict, home_name: str, audience: Audience) -> str:
    label = audience.authority if audience.kind == "placing-authority" else LABELS[audience.kind]
    name = f"{visit['date']} {home_name} Reg44 {label}.docx"
    return re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "-", name)


def audiences_for(data, kind: str, authority: str | None) -> list[Audience]:
    if kind == "all":
        found = [Audience("provider", children=data.children), Audience("ofsted", children=data.children)]
        for name in workflow.placing_authorities(data.children, data.visit["date"]):
            found.append(Audience("placing-authority", name, data.children))
        return found
    if kind == "placing-authority":
        known = workflow.placing_authorities(data.children, data.visit["date"])
        if authority not in known:
            raise ValidationError(f"No child at the home on {data.visit['date']} was placed by {authority!r}. "
                                  f"Placing authorities: {', '.join(known) or 'none'}.")
    return [Audience(kind, authority or "", data.children)]


def export_visit(store: Store, visit_id: str, kind: str, *, authority: str | None = None,
                 out_dir: Path) -> list[Path]:
    from visitor.report.build import build

    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("Only a finalised visit can be exported: finalise the draft first.")
    data = report_data(store, visit)
    folder = private_dir(Path(out_dir))
    paths = []
    for audience in audiences_for(data, kind, authority):
        path = folder / file_name(visit, data.home.name, audience)
        atomic_write(path, build(data, audience))
        paths.append(path)
    return paths

