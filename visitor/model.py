"""Homes, children, visits and recommendations, with the validation a visitor would expect.

Plain data and rules only: no files, no Textual. Every record converts to and from a JSON-ready
dict, because the store, the bundle and the reports all speak dicts. Validation raises
``ValidationError`` with a message written for the visitor, not for a programmer.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from datetime import date as _date  # the field ``Visit.date`` shadows the type inside the class

SETTING_TYPES = (
    "children's home",
    "children's home (disabled children)",
    "short breaks",
    "secure children's home",
    "residential special school",
    "other",
)
COMMUNICATION = ("verbal", "limited verbal", "non-verbal")
ADVOCACY = ("none", "instructed", "non-instructed")
OPINION_ANSWERS = ("yes", "no", "with reservations")
RATINGS = ("met", "partly met", "not met", "no longer relevant")
CLOSED_RATINGS = ("met", "no longer relevant")
PEOPLE_ROLES = (
    "registered manager",
    "deputy / team leader",
    "care staff",
    "agency or bank staff",
    "parent or relative",
    "social worker",
    "advocate",
    "other professional",
)
RECORD_STATUSES = ("examined", "not made available", "not examined")
RECORD_TYPES = (
    ("restraint", "Restraint and physical intervention log (reg 35)"),
    ("medication", "Medication administration records (MAR) and PRN log"),
    ("complaints", "Complaints log (reg 39)"),
    ("notifications", "Serious-event notifications (reg 40)"),
    ("incidents", "Incident and accident log"),
    ("missing", "Missing-from-care records"),
    ("sanctions", "Sanctions and consequences"),
    ("rota", "Planned rota and rota actually worked"),
    ("supervision", "Staff supervision records"),
    ("training", "Training matrix"),
    ("daily_logs", "Daily logs"),
    ("case_records", "Children's case records (with consent)"),
    ("fire", "Fire safety records"),
    ("visitors_book", "Visitors' book"),
)
VISIT_STATUSES = ("draft", "final")
# The nine Quality Standards (regs 6-14): (key, regulation, title). Recommendations are tallied by them.
QUALITY_STANDARDS = (
    ("quality-purpose", 6, "Quality and purpose of care"),
    ("views-wishes", 7, "Children's views, wishes and feelings"),
    ("education", 8, "Education"),
    ("enjoyment", 9, "Enjoyment and achievement"),
    ("health", 10, "Health and well-being"),
    ("relationships", 11, "Positive relationships"),
    ("protection", 12, "Protection of children"),
    ("leadership", 13, "Leadership and management"),
    ("care-planning", 14, "Care planning"),
)
STANDARD_KEYS = tuple(key for key, _, _ in QUALITY_STANDARDS)
PROVIDER_RESPONSES = ("accepted", "accepted in part", "not accepted")
CORRECTION_OUTCOMES = ("accepted", "not accepted")

MAX_TEXT = 200_000
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 .\-]{0,11}$")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ValidationError(ValueError):
    """A value a visitor entered cannot be accepted; the message says why in plain words."""


def new_id(prefix: str = "") -> str:
    return prefix + secrets.token_hex(4)


def slugify(text: str) -> str:
    normal = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", normal.lower()).strip("-")[:48].strip("-")
    return slug or new_id("home-")


def today() -> date:
    return date.today()


# No record reg44 takes is older than this; a year-1 visit would also leave the calendar when the trends
# look back from it (the days before a first visit, a window of months).
EARLIEST_DATE = date(1900, 1, 1)


class EarlyDate(ValidationError):
    """A date before ``EARLIEST_DATE``: refused as input; a record already stored with one still reads (a typo
    such as 0224 for 2024 made before the rule must not lock the visitor out of the home), and `check` names it."""


def not_early(day: date, what: str) -> date:
    """Refuse ``day`` before 1900. Validators call it last, so a stored record's other faults are still found."""
    if day < EARLIEST_DATE:
        raise EarlyDate(f"The {what} {day.isoformat()} is before 1900: check the year.")
    return day


def parse_date(value: object, what: str = "date") -> date:
    """Accept a date or an ISO ``YYYY-MM-DD`` string; anything else is refused with its name."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        found = _iso_date(value) if len(value) <= 40 else None  # (a long text is no date, and never kept)
        if found is not None:
            return found
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValidationError(f"The {what} {_show(value)} does not exist: check the day and the month.")
    raise ValidationError(f"The {what} must be a date written as YYYY-MM-DD (got {_show(value)}).")


@lru_cache(maxsize=16384)
def _iso_date(text: str) -> date | None:
    """The date an ISO text names, or None (cached: a replay reads the same few hundred dates thousands of
    times, and a date is immutable)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def optional_date(value: object, what: str) -> date | None:
    if value in (None, ""):
        return None
    return parse_date(value, what)


def encodable(value: str) -> bool:
    """False for text holding lone surrogates (invalid bytes on a command line, ``\\ud800`` in JSON).

    Free text keeps them (the files store them losslessly); names refuse them, as they are printed
    and used in file names, where they cannot be written as UTF-8."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_text(value: object, what: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    """Text as typed, minus NUL; refused only if it is not text, missing when required, or huge."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"The {what} must be text (got {_show(value)}).")
    value = value.replace("\x00", "")
    if required and not value.strip():
        raise ValidationError(f"The {what} is required.")
    if len(value) > limit:
        raise ValidationError(f"The {what} is too long ({len(value):,} characters; at most {limit:,}).")
    return value


def texts_within(values: Iterable, limit: int, *, nul: bool = True) -> bool:
    """True when every value is text (``str`` itself) of at most ``limit`` characters, holding no NUL unless
    ``nul``: the many values that need no message nor change pass in one loop without a call per value;
    callers go value by value (for the message, or what ``clean_text`` does) only when this is False."""
    for value in values:
        if type(value) is not str or len(value) > limit or (not nul and "\x00" in value):
            return False
    return True


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode's control characters (category Cc), exactly


def clean_line(value: object, what: str, *, required: bool = False, limit: int = 200) -> str:
    """A name or label shown on one line: as ``clean_text``, trimmed, and refused if it holds control characters
    (a new line would break a listing; an escape sequence would drive the terminal it is printed on)."""
    raw = value if isinstance(value, str) else ""
    text = clean_text(value, what, required=required, limit=limit).strip()
    # Checked on what was typed too: clean_text drops NUL, and a name is refused rather than silently changed.
    if _CONTROL.search(text) or "\x00" in raw:
        raise ValidationError(f"The {what} cannot contain control characters (new lines, tabs or escapes).")
    return text


def clean_name(value: object, what: str, *, required: bool = False, limit: int = 200) -> str:
    """``clean_line``, and no broken characters either: a name is printed and may become part of a file name."""
    text = clean_line(value, what, required=required, limit=limit)
    if not encodable(text):
        raise ValidationError(f"The {what} holds a broken character (got {_show(text)}).")
    return text


def finite_number(value: object) -> bool:
    """A JSON number a float can hold: not a bool, NaN, an infinity or an integer beyond a float's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int of hundreds of digits
        return False


def deadline_days(rule: object) -> int | None:
    """The days a ``report_deadline`` rule gives ('days:N', N from 0 to 366), or None for 'end-of-month'."""
    if rule == "end-of-month":
        return None
    found = re.fullmatch(r"days:([0-9]{1,3})", rule) if isinstance(rule, str) else None
    if not found or int(found[1]) > 366:
        raise ValidationError(f"The report_deadline must be 'end-of-month' or 'days:N' with N from 0 to 366 "
                              f"(got {_show(rule)}).")
    return int(found[1])


def whole_number(value: object, what: str, *, minimum: int = 0, maximum: int = 100_000) -> int:
    """A non-negative count, from an int or from text a visitor typed."""
    if isinstance(value, bool):
        raise ValidationError(f"The {what} must be a whole number (got {_show(value)}).")
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValidationError(f"The {what} must be a whole number (got {_show(value)}).")
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValidationError(f"The {what} must be a whole number (got {_show(value)}).")
    if value < minimum:
        raise ValidationError(f"The {what} cannot be less than {minimum} (got {value}).")
    if value > maximum:
        raise ValidationError(f"The {what} cannot be more than {maximum:,} (got {value:,}).")
    return value


def decimal_number(value: object, what: str, *, minimum: float = 0, maximum: float = 1_000_000) -> float | int:
    if isinstance(value, bool):
        raise ValidationError(f"The {what} must be a number (got {_show(value)}).")
    if isinstance(value, str):
        text = value.strip().replace(",", "").rstrip("%").strip()
        try:
            value = float(text)
        except ValueError:
            raise ValidationError(f"The {what} must be a number (got {_show(value)}).") from None
    if not isinstance(value, (int, float)) or value != value or value in (float("inf"), float("-inf")):
        raise ValidationError(f"The {what} must be a number (got {_show(value)}).")
    if value < minimum:
        raise ValidationError(f"The {what} cannot be less than {minimum:g} (got {value:g}).")
    if value > maximum:
        raise ValidationError(f"The {what} cannot be more than {maximum:g} (got {value:g}).")
    return int(value) if float(value).is_integer() else round(float(value), 2)


def choice(value: object, options: tuple[str, ...] | list[str], what: str) -> str:
    if value not in options:
        raise ValidationError(f"The {what} must be one of: {', '.join(options)} (got {_show(value)}).")
    return value  # type: ignore[return-value]


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@dataclass
class Home:
    """A registered children's home. ``id`` is a short slug used on the command line."""

    id: str
    name: str
    urn: str = ""
    provider: str = ""
    registered_manager: str = ""
    responsible_individual: str = ""
    la_area: str = ""
    places: int = 0
    setting_type: str = "children's home"
    registered_on: str = ""
    local_authority_wants_copy: bool = False

    def validate(self) -> "Home":
        if not isinstance(self.id, str) or not _ID_RE.match(self.id):
            raise ValidationError(
                f"The home id {_show(self.id)} must be lower-case letters, digits and dashes."
            )
        self.name = clean_name(self.name, "home's name", required=True)
        self.urn = clean_text(self.urn, "Ofsted URN", limit=20).strip()
        if self.urn and not re.fullmatch(r"[A-Za-z]{0,3}\d{5,8}", self.urn):
            raise ValidationError(f"The Ofsted URN {_show(self.urn)} should look like SC123456.")
        for name in ("provider", "registered_manager", "responsible_individual", "la_area"):
            setattr(self, name, clean_name(getattr(self, name), name.replace("_", " ")))
        self.places = whole_number(self.places, "number of registered places", maximum=200)
        self.setting_type = choice(self.setting_type, SETTING_TYPES, "type of setting")
        if self.registered_on:
            registered = parse_date(self.registered_on, "registration date")
            if registered > today():
                raise ValidationError("The registration date cannot be in the future.")
            self.registered_on = registered.isoformat()
        self.local_authority_wants_copy = bool(self.local_authority_wants_copy)
        if self.registered_on:
            not_early(parse_date(self.registered_on), "registration date")
        return self

    def check_registration(self) -> "Home":
        """What a home entered by the visitor must have: reports to Ofsted name its URN, rates need its
        places, and visits cannot predate its registration. (Files written before this rule still open.)"""
        self.validate()
        if not self.urn:
            raise ValidationError(f"Enter {self.name}'s Ofsted URN (like SC123456): reports to Ofsted name it.")
        if self.places < 1:
            raise ValidationError(f"Enter how many places {self.name} is registered for (at least 1).")
        if not self.registered_on:
            raise ValidationError(f"Enter the date {self.name} was registered (YYYY-MM-DD).")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> "Home":  # anything: not a JSON object is a ValidationError
        return _from_dict(cls, data, "home").validate()


@dataclass
class Child:
    """A child placed at a home, known only by initials or a code — never a name or birth date."""

    id: str
    home_id: str
    code: str
    placing_authority: str
    communication: str = "verbal"
    advocate: str = "none"
    distance_miles: int | None = None
    admitted: str = ""
    left: str = ""
    erased: str = ""

    def validate(self) -> "Child":
        if not isinstance(self.id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", self.id):
            raise ValidationError(f"The child id {_show(self.id)} is not valid.")
        if self.erased:
            self.code = "[erased]"
        else:
            code = clean_name(self.code, "child's initials or code", required=True, limit=40)
            if not _CODE_RE.match(code):
                raise ValidationError(
                    "Use the child's initials or a short code (up to 12 letters or digits), never a full name."
                )
            if " " in code and len(code.split()) > 2:
                raise ValidationError("That looks like a name: use initials or a code instead.")
            self.code = code
        self.placing_authority = clean_name(self.placing_authority, "placing authority", required=True, limit=120)
        self.communication = choice(self.communication, COMMUNICATION, "communication")
        self.advocate = choice(self.advocate, ADVOCACY, "advocacy")
        if self.distance_miles not in (None, ""):
            self.distance_miles = whole_number(self.distance_miles, "distance from family home", maximum=2000)
        else:
            self.distance_miles = None
        admitted = parse_date(self.admitted, "admission date")
        if admitted > today():
            raise ValidationError("The admission date cannot be in the future.")
        self.admitted = admitted.isoformat()
        left = optional_date(self.left, "leaving date")
        if left is not None:
            if left < admitted:
                raise ValidationError("The leaving date cannot be before the admission date.")
            self.left = left.isoformat()
        else:
            self.left = ""
        not_early(admitted, "admission date")
        return self

    def resident_on(self, day: date | str) -> bool:
        day = parse_date(day)
        if parse_date(self.admitted) > day:
            return False
        return not self.left or parse_date(self.left) >= day

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> "Child":  # anything: not a JSON object is a ValidationError
        return _from_dict(cls, data, "child").validate()


def _opinions() -> dict:
    return {
        "safeguarded": {"answer": "", "reasons": ""},
        "wellbeing": {"answer": "", "reasons": ""},
    }


def _conflict() -> dict:
    return {"declaration": "", "discovered_after": "", "reason_not_declared": ""}


@dataclass
class Visit:
    """One monthly visit: what was asked, seen, heard and concluded; a draft until finalised.

    ``answers`` maps checklist item ids to values; ``child_answers`` maps child id → item id → value
    for the per-child questions; ``invalid`` keeps raw text that did not pass validation, so nothing a
    visitor typed is lost while they correct it.
    """

    id: str
    home_id: str
    date: str
    announced: bool = False
    visitor: dict = field(default_factory=dict)
    checklist_id: str = ""
    checklist_version: int = 0
    status: str = "draft"
    answers: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)
    flagged: list = field(default_factory=list)
    invalid: dict = field(default_factory=dict)
    child_answers: dict = field(default_factory=dict)
    people: list = field(default_factory=list)
    records: dict = field(default_factory=dict)
    earlier: dict = field(default_factory=dict)
    opinions: dict = field(default_factory=_opinions)
    recommendations: list = field(default_factory=list)
    conflict: dict = field(default_factory=_conflict)
    distribution: list = field(default_factory=list)
    addenda: list = field(default_factory=list)
    shared: dict = field(default_factory=dict)
    corrections: list = field(default_factory=list)
    responses: dict = field(default_factory=dict)
    finalised_by: dict = field(default_factory=dict)
    cursor: dict = field(default_factory=dict)
    created: str = ""
    finalised: str = ""

    @staticmethod
    def make_id(home_id: str, day: str) -> str:
        return f"{home_id}@{day}"

    def validate(self) -> "Visit":
        day = parse_date(self.date, "visit date")
        if day > today():
            raise ValidationError("A visit cannot be dated in the future.")
        self.date = day.isoformat()
        if self.id != Visit.make_id(self.home_id, self.date):
            raise ValidationError(f"The visit id {_show(self.id)} does not match its home and date.")
        self.status = choice(self.status, VISIT_STATUSES, "visit status")
        self.announced = bool(self.announced)
        for name, kind in (
            ("visitor", dict), ("answers", dict), ("notes", dict), ("flagged", list), ("invalid", dict),
            ("child_answers", dict), ("people", list), ("records", dict), ("earlier", dict),
            ("opinions", dict), ("recommendations", list), ("conflict", dict), ("distribution", list),
            ("addenda", list), ("cursor", dict), ("shared", dict), ("corrections", list), ("responses", dict),
            ("finalised_by", dict),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ValidationError(f"The visit's {name} must be a {'list' if kind is list else 'mapping'}.")
        if not texts_within(self.notes.values(), MAX_TEXT, nul=False):
            for key, text in list(self.notes.items()):  # (what ``clean_text`` would return unchanged is skipped)
                self.notes[key] = clean_text(text, "note")
        for rec in self.recommendations:
            validate_recommendation(rec)
        for person in self.people:
            if not isinstance(person, dict):
                raise ValidationError("Each person spoken to must be a mapping.")
            choice(person.get("role"), PEOPLE_ROLES, "role of a person spoken to")
        for key in ("safeguarded", "wellbeing"):
            opinion = self.opinions.setdefault(key, {"answer": "", "reasons": ""})
            if not isinstance(opinion, dict):
                raise ValidationError(f"The visit's opinion {key!r} must be a mapping.")
            if opinion.get("answer"):
                choice(opinion["answer"], OPINION_ANSWERS, "opinion")
        for rec_id, progress in self.earlier.items():
            if not isinstance(progress, dict):
                raise ValidationError("Each rating of an earlier recommendation must be a mapping.")
            if progress.get("rating"):
                choice(progress["rating"], RATINGS, "progress rating")
        not_early(day, "visit date")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> "Visit":  # anything: not a JSON object is a ValidationError
        return _from_dict(cls, data, "visit").validate()

    @property
    def day(self) -> "_date":
        return parse_date(self.date)

    @property
    def is_final(self) -> bool:
        return self.status == "final"


def validate_recommendation(rec: dict) -> dict:
    if not isinstance(rec, dict):
        raise ValidationError("Each recommendation must be a mapping.")
    rec["text"] = clean_text(rec.get("text"), "recommendation", required=True, limit=5000)
    rec["reference"] = clean_text(rec.get("reference", ""), "regulation or quality standard", limit=200)
    rec["timescale"] = clean_text(rec.get("timescale", ""), "timescale", limit=200)
    rec["response"] = clean_text(rec.get("response", ""), "manager's response", limit=20000)
    rec["standard"] = choice(rec.get("standard") or "", ("",) + STANDARD_KEYS, "quality standard")
    if not rec.get("id"):
        rec["id"] = new_id("r")
    return rec


_REG_RE = re.compile(r"\b(reg(?:ulation)?s?\.?|qs|quality standard)\s*(\d{1,2})\b", re.IGNORECASE)


def standard_of(rec: dict) -> str:
    """The recommendation's quality standard key: as chosen, else read from its reference ("Reg 12",
    "QS 7" — the standards are numbered 1-9 for regs 6-14 — or a standard's title), else ""."""
    if rec.get("standard") in STANDARD_KEYS:
        return rec["standard"]
    by_reg = {reg: key for key, reg, _ in QUALITY_STANDARDS}
    for match in _REG_RE.finditer(rec.get("reference") or ""):
        number = int(match.group(2))
        reg = number if match.group(1).lower().startswith("reg") else number + 5
        if reg in by_reg:
            return by_reg[reg]
    reference = (rec.get("reference") or "").lower()
    for key, _, title in QUALITY_STANDARDS:
        if title.lower() in reference:
            return key
    return ""


def standard_title(key: str) -> str:
    for k, reg, title in QUALITY_STANDARDS:
        if k == key:
            return f"{title} (reg {reg})"
    return "No quality standard given"


def standard_and_reference(rec: dict) -> str:
    """A recommendation's quality standard (as chosen or read from its reference) and the reference the visitor
    wrote, as a report cell: 'Protection of children (reg 12); Reg 20'."""
    standard = standard_of(rec)
    return "; ".join(x for x in (standard_title(standard) if standard else "", rec.get("reference", "")) if x)


_REQUIRED = ("id", "home_id", "name", "date", "code")  # fields a record cannot be read without
_FIELDS: dict[type, tuple[frozenset[str], tuple[str, ...]]] = {}


def _fields_of(cls) -> tuple[frozenset[str], tuple[str, ...]]:
    """A record class's field names and, in field order, its required ones: looked up once, as
    ``dataclasses.fields`` is slow per visit of a bundle, and a set, as a visit has 29 fields to search."""
    if cls not in _FIELDS:
        names = tuple(f.name for f in fields(cls))
        _FIELDS[cls] = (frozenset(names), tuple(name for name in names if name in _REQUIRED))
    return _FIELDS[cls]


def _from_dict(cls, data: object, what: str):
    if not isinstance(data, dict):
        raise ValidationError(f"A {what} must be a JSON object (got {_show(data)}).")
    names, required = _fields_of(cls)
    missing = [name for name in required if name not in data]
    if missing:
        raise ValidationError(f"A {what} is missing {', '.join(missing)}.")
    try:  # (a stored record holds only its fields: then no filtering copy)
        return cls(**(data if data.keys() <= names else {k: v for k, v in data.items() if k in names}))
    except TypeError as exc:  # pragma: no cover - defensive
        raise ValidationError(f"A {what} is not valid: {exc}") from None


def check_visit_date(home: Home, day: date, existing_dates: set[str], *, backfill: bool = False) -> None:
    """The rules for starting a visit on ``day``: not in the future, not before registration, not twice, and
    not before a visit already recorded unless the visitor says they are entering an earlier one
    (``backfill``): a visit slipped in before the latest would overlap its "since the last visit" period."""
    if day > today():
        raise ValidationError("A visit cannot be dated in the future.")
    not_early(day, "visit date")
    if home.registered_on and day < parse_date(home.registered_on):
        raise ValidationError(
            f"{home.name} was registered on {home.registered_on}; a visit cannot be dated before that."
        )
    if day.isoformat() in existing_dates:
        raise ValidationError(f"{home.name} already has a visit on {day.isoformat()}: one visit a day.")
    latest = max(existing_dates, default="")
    if not backfill and day.isoformat() < latest:
        raise ValidationError(f"{home.name} already has a visit on {latest}, after {day.isoformat()}; to enter an "
                              "earlier visit from past records, start it as a back-filled visit (--backfill).")


def open_recommendations(final_visits: list[dict]) -> list[dict]:
    """Recommendations from earlier visits not yet rated met or no longer relevant, oldest first.

    Each carries ``visit_id``, ``visit_date`` and its latest ``progress`` (or None), ``history``: the
    ratings given to it at later visits, in order, and ``provider_response`` (or None).
    """
    recs: dict[str, dict] = {}
    for visit in sorted(final_visits, key=lambda v: v["date"]):
        for rec_id, progress in visit.get("earlier", {}).items():
            if rec_id in recs and progress.get("rating"):
                recs[rec_id]["history"].append({"visit_id": visit["id"], "date": visit["date"], **progress})
                recs[rec_id]["progress"] = progress
        for rec in visit.get("recommendations", []):
            recs[rec["id"]] = {**rec, "visit_id": visit["id"], "visit_date": visit["date"], "progress": None, "history": [],
                               "provider_response": visit.get("responses", {}).get(rec["id"])}
    return [r for r in recs.values() if not (r["progress"] and r["progress"].get("rating") in CLOSED_RATINGS)]


def children_on(children: list[Child], day: date | str) -> list[Child]:
    return [c for c in children if c.resident_on(day)]
