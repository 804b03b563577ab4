"""Write a visit's reports: assemble the data, build per audience, save owner-only files.

File names are kept short enough for every file system (a 200-character home name or a string of emoji
still gives a name under 255 bytes, cut between characters, never inside one), and temp files left in
the export folder by an export that was killed are swept before the next one writes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from visitor import consideration, workflow
from visitor.model import ValidationError, open_recommendations, parse_date
from visitor.report.audience import LABELS, Audience
from visitor.storage import atomic_write
from visitor.storage.files import sweep_temp_files
from visitor.store import Store


def report_data(store: Store, visit: dict):
    from visitor.report.build import ReportData

    home = store.home(visit["home_id"])
    children = store.children(home.id)
    draft = visit["status"] == "draft"
    if draft:
        analysis = workflow.analyse_home(store, home.id, draft=visit, months=13)
    else:
        analysis = workflow.analyse_home(store, home.id, upto=visit["date"], months=13)  # ≤ 12 visits shown
    fired = {f.key for f in analysis.flags}
    patterns = [{**f.to_dict(), "raised_on": visit["date"]} for f in analysis.flags]
    for stored in store.flags(home.id):
        resolved = stored.get("resolved")
        still_open = not resolved or resolved.get("on", "") > visit["date"]
        if stored["key"] not in fired and stored["raised_on"] < visit["date"] and still_open:
            patterns.append({**stored, "resolved": None})  # open as at the visit, whatever came after
    patterns = as_at_visit(store, visit, patterns)
    earlier = open_recommendations([v for v in store.visits(home.id) if v["date"] < visit["date"]])
    settings = store.settings()
    return ReportData(home=home, visit=visit, children=children, checklist=store.checklist_for(visit),
                      analysis=analysis, patterns=patterns, earlier=earlier,
                      recipients=workflow.recipients(home, children, visit["date"]),
                      marking=settings.get("protective_marking") or "OFFICIAL-SENSITIVE",
                      deadline=workflow.report_due(visit["date"], settings.get("report_deadline", "end-of-month")),
                      draft=draft, template=template_setting(settings))


def as_at_visit(store: Store, visit: dict, patterns: list[dict]) -> list[dict]:
    """Recommendation-timescale flags restated as at the visit's date: their stored evidence counts the
    days late to the day it was last checked, which would make each export of the same visit differ."""
    prefix = consideration.KEY_PREFIX
    if not any(f["key"].startswith(prefix) for f in patterns):
        return patterns
    days = consideration.response_days(store.settings())
    then = {f["key"]: f for f in consideration.flags(store.visits(visit["home_id"]), parse_date(visit["date"]), days)}
    return [{**f, "evidence": then[f["key"]]["evidence"]} if f["key"] in then else f for f in patterns]


def template_setting(settings: dict) -> str:
    """The ``report_template`` setting as a path string (anything else counts as unset)."""
    value = settings.get("report_template") or ""
    return value if isinstance(value, str) else ""


# A file name's bytes: most file systems allow 255; keep room for the temp-file prefix and suffix.
NAME_BYTES = 180
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_part(text: str, limit: int) -> str:
    """``text`` cleaned for a file name and cut to at most ``limit`` UTF-8 bytes between whole characters.

    A cut text ends with a short hash of the whole, so two long names that share a beginning stay apart.
    """
    clean = _UNSAFE.sub("-", unicodedata.normalize("NFC", text)).strip(" .")
    if len(clean.encode("utf-8")) <= limit:
        return clean
    digest = hashlib.sha1(clean.encode("utf-8")).hexdigest()[:6]
    room = limit - len(digest) - 1
    cut = clean.encode("utf-8")[:room].decode("utf-8", "ignore")
    rest = clean[len(cut):]
    if rest and _extends(rest[0]) or cut.endswith("\u200d"):
        # The cut fell inside a grapheme (an emoji with a skin tone or joined family, an accent): drop it whole.
        while cut and (_extends(cut[-1]) or cut[-2:-1] == "\u200d"):
            cut = cut[:-1]
        cut = cut[:-1]
    return f"{cut.rstrip(' .-')}~{digest}"


def file_name(visit: dict, home_name: str, audience: Audience, *, draft: bool = False) -> str:
    label = audience.authority if audience.kind == "placing-authority" else LABELS[audience.kind]
    suffix = f" Reg44 {safe_part(label, 60)}{' DRAFT for factual accuracy' if draft else ''}.docx"
    head = f"{visit['date']} "
    room = NAME_BYTES - len((head + suffix).encode("utf-8"))
    return head + safe_part(home_name, room) + suffix


def _extends(char: str) -> bool:
    """True for characters that belong to the grapheme before them."""
    return bool(unicodedata.combining(char)) or char in "\u200d\ufe0e\ufe0f" or "\U0001f3fb" <= char <= "\U0001f3ff"


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
                 out_dir: Path, problems: list[str] | None = None) -> list[Path]:
    """Write the final visit's copies for ``kind``. Problems that did not stop it (a template that
    could not be used) are appended to ``problems``."""
    visit = store.visit(visit_id)
    if visit["status"] != "final":
        raise ValidationError("Only a finalised visit can be exported: finalise the draft first "
                              "(or export the draft for factual accuracy with --draft).")
    data = report_data(store, visit)
    return _write(data, audiences_for(data, kind, authority), store.export_folder(out_dir), problems)


def export_draft(store: Store, visit: dict, out_dir: Path, problems: list[str] | None = None) -> list[Path]:
    """The provider's copy of a draft, marked for factual accuracy (see ``workflow.share_for_accuracy``)."""
    data = report_data(store, visit)
    return _write(data, [Audience("provider", children=data.children)], store.export_folder(out_dir), problems)


def _write(data, audiences: list[Audience], folder: Path, problems: list[str] | None) -> list[Path]:
    from visitor.report.build import build

    sweep_temp_files(folder)
    paths = []
    for audience in audiences:
        path = folder / file_name(data.visit, data.home.name, audience, draft=data.draft)
        atomic_write(path, build(data, audience))
        paths.append(path)
    if problems is not None:
        problems.extend(p for p in data.problems if p not in problems)
    return paths

