"""Who must receive a visit's report (reg 44(7)) and which of them have been sent the current version.

Pure functions over a home, its children and a visit dict: no files. Each required recipient has a
stable ``key`` ("ofsted", "placing-authority:Kent County Council", ...), so a copy recorded as sent is
matched to the recipient it satisfies. An addendum logged after a copy was sent makes the copies it
affects due again: a copy counts only if it was recorded after the latest addendum that affects it.
"""

from __future__ import annotations

from dataclasses import dataclass

from visitor.model import Child, Home

FIXED = (("ofsted", "Ofsted (HMCI)", "ofsted"),
         ("provider", "Registered provider", "provider"),
         ("registered-manager", "Registered manager", "registered-manager"),
         ("responsible-individual", "Responsible individual", "responsible-individual"))
PA_PREFIX = "placing-authority:"


def required(home: Home, children: list[Child], day: str) -> list[dict]:
    """The recipients a visit's report must go to, each ``{key, recipient, audience}``, in a stable order."""
    named = {"provider": home.provider, "registered-manager": home.registered_manager,
             "responsible-individual": home.responsible_individual}
    found = []
    for key, title, audience in FIXED:
        recipient = title if key == "ofsted" else f"{title}: {named[key] or 'not recorded'}"
        found.append({"key": key, "recipient": recipient, "audience": audience})
    for authority in sorted({c.placing_authority for c in children if c.resident_on(day)}):
        found.append({"key": PA_PREFIX + authority, "recipient": authority, "audience": "placing-authority"})
    if home.local_authority_wants_copy and home.la_area:
        found.append({"key": "local-authority", "recipient": f"{home.la_area} (local authority, on request)",
                      "audience": "local-authority"})
    return found


def key_of(entry: dict) -> str:
    """The recipient key a logged copy satisfies (older entries carry only recipient and audience)."""
    if entry.get("key"):
        return entry["key"]
    if entry.get("audience") == "placing-authority":
        return PA_PREFIX + entry.get("recipient", "")
    return entry.get("audience", "")


def _when(record: dict, day_key: str) -> str:
    return record.get("logged") or record.get(day_key, "")


@dataclass
class Status:
    required: list[dict]
    sent: list[dict]
    missing: list[dict]

    @property
    def complete(self) -> bool:
        return bool(self.required) and not self.missing

    @property
    def fraction(self) -> str:
        return f"{len(self.sent)}/{len(self.required)}"

    def to_json(self) -> dict:
        return {"required": self.required, "sent": self.sent, "missing": self.missing}


def status(visit: dict, needed: list[dict]) -> Status:
    """Which required copies of this version of the report are recorded as sent, and which are missing."""
    sent, missing = [], []
    for recipient in needed:
        reopened = max((_when(a, "date") for a in visit.get("addenda", [])
                        if not a.get("affects") or recipient["key"] in a["affects"]), default="")
        copies = [e for e in visit.get("distribution", [])
                  if key_of(e) == recipient["key"] and _when(e, "sent_on") >= reopened]
        if copies:
            sent.append({**recipient, "sent_on": copies[-1]["sent_on"]})
        else:
            missing.append(recipient)
    return Status(needed, sent, missing)


def match(needed: list[dict], wanted: str) -> dict | None:
    """The required recipient a visitor meant by ``wanted``: its key, its name, or an authority's name."""
    text = wanted.strip().casefold()
    for recipient in needed:
        names = {recipient["key"].casefold(), recipient["recipient"].casefold(), recipient["audience"].casefold()}
        if recipient["key"].startswith(PA_PREFIX):
            names.discard("placing-authority")
        if text in names:
            return recipient
    return None
