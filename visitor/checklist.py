"""Checklist definitions: load and validate the TOML files, check answers, apply concern rules.

A checklist is data (``checklists/*.toml``, format in ``checklists/README.md``), so a visitor or
provider can sharpen it without touching code. Every error names the file and the item.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from visitor import model

KINDS = ("yesno", "count", "number", "percent", "choice", "text")
YESNO = ("yes", "no", "not known")
DEFAULT_CHECKLIST = "closed-culture"
_RULE_KEYS = {"equals", "in", "above", "below", "message"}
_WHEN_TESTS = {"equals", "in", "above", "below"}


class ChecklistError(ValueError):
    """A checklist file is not valid; the message names the file and the item."""


@dataclass(frozen=True)
class Item:
    id: str
    kind: str
    question: str
    section: str
    guidance: str = ""
    ref: str = ""
    label: str = ""
    options: tuple[str, ...] = ()
    per_child: bool = False
    metric: bool = False
    rate: bool = False
    minimum: float = 0
    maximum: float = 100_000
    concern: dict | None = None
    better: str = "lower"
    when: dict | None = None  # a follow-up: asked only when another item's answer matches (see README)

    @property
    def short(self) -> str:
        return self.label or self.question

    def validate_answer(self, value: object) -> object:
        """Return the stored form of ``value`` or raise ``ValidationError`` with a visitor's message."""
        what = f"answer to “{self.short}”"
        if self.kind == "yesno":
            text = value.strip().lower() if isinstance(value, str) else value
            aliases: dict[object, str] = {"y": "yes", "n": "no", "k": "not known", "?": "not known",
                                          "unknown": "not known"}
            if isinstance(text, str):  # (a list or an object read from a file is refused by ``choice``, below)
                text = aliases.get(text, text)
            return model.choice(text, YESNO, what)
        if self.kind == "count":
            return model.whole_number(value, what, maximum=int(self.maximum))
        if self.kind == "number":
            return model.decimal_number(value, what, minimum=self.minimum, maximum=self.maximum)
        if self.kind == "percent":
            return model.decimal_number(value, what, minimum=0, maximum=100)
        if self.kind == "choice":
            return model.choice(value, self.options, what)
        return model.clean_text(value, what)

    def raises_concern(self, value: object) -> bool:
        return matches(self.concern, value)

    @property
    def concern_message(self) -> str:
        return (self.concern or {}).get("message") or f"Concern: {self.short}"


def matches(rule: dict | None, value: object) -> bool:
    """Whether an answer meets a rule's ``equals`` / ``in`` / ``above`` / ``below`` test (concerns and
    follow-up conditions share it, so a condition reads exactly like a concern rule)."""
    if not rule or value in (None, ""):
        return False
    if "equals" in rule and value == rule["equals"]:
        return True
    if "in" in rule and value in rule["in"]:
        return True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "above" in rule and value > rule["above"]:
            return True
        if "below" in rule and value < rule["below"]:
            return True
    return False


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    guidance: str
    items: tuple[Item, ...]

    @property
    def visit_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if not i.per_child)

    @property
    def child_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.per_child)


@dataclass(frozen=True)
class Checklist:
    id: str
    version: int
    title: str
    sections: tuple[Section, ...]
    source: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def metrics(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.metric and not i.per_child)

    @property
    def child_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.per_child)

    def applies(self, item: Item, visit: dict, child_id: str | None = None) -> bool:
        """Whether ``item`` is asked in ``visit`` (for ``child_id`` if per child): an item with a ``when``
        condition applies only while the item it depends on applies and its answer matches. A hidden
        item is not asked and not counted, but an answer it already has is kept."""
        seen: set[str] = set()
        while item.when:
            if item.id in seen:  # parse() refuses cycles; stay safe on a hand-edited snapshot
                return False
            seen.add(item.id)
            try:
                parent = self.item(item.when["item"])
            except KeyError:
                return False
            if parent.per_child:
                value = visit.get("child_answers", {}).get(child_id or "", {}).get(parent.id)
            else:
                value = visit.get("answers", {}).get(parent.id)
            if not matches(item.when, value):
                return False
            item = parent
        return True

    def concerns(self, visit: dict) -> list[dict]:
        """Concerns the rules raise from a visit's answers, plus those the visitor flagged by hand.
        Items hidden by their ``when`` condition raise none (they were not asked)."""
        found: list[dict] = []
        answers = visit.get("answers", {})
        notes = visit.get("notes", {})
        flagged = set(visit.get("flagged", []))
        for item in self.items:
            if item.per_child:
                for child_id, child_answers in visit.get("child_answers", {}).items():
                    key = f"{item.id}:{child_id}"
                    if not self.applies(item, visit, child_id):
                        continue
                    if item.raises_concern(child_answers.get(item.id)) or key in flagged:
                        found.append(_concern(key, item, notes.get(key, ""), child_id, key in flagged))
                continue
            if not self.applies(item, visit):
                continue
            if item.raises_concern(answers.get(item.id)) or item.id in flagged:
                found.append(_concern(item.id, item, notes.get(item.id, ""), None, item.id in flagged))
        return found


def _concern(key: str, item: Item, note: str, child_id: str | None, manual: bool) -> dict:
    ruled = not manual or item.concern is not None
    return {
        "key": key,
        "item": item.id,
        "section": item.section,
        "message": item.concern_message if ruled and item.concern else f"Concern: {item.short}",
        "note": note,
        "child_id": child_id,
        "manual": manual,
    }


# -- loading ----------------------------------------------------------------------------------------
def parse(data: dict, source: str) -> Checklist:
    """Validate a checklist definition (from TOML or a stored JSON snapshot)."""

    def fail(where: str, message: str) -> ChecklistError:
        return ChecklistError(f"{source}: {where}: {message}")

    if not isinstance(data, dict):
        raise fail("top level", "must be a table")
    for key in ("id", "version", "title"):
        if key not in data:
            raise fail("top level", f"'{key}' is missing")
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 1_000_000:
        raise fail("top level", "'version' must be a whole number from 1")
    checklist_id = _text(data, "id", "top level", fail, required=True, what="checklist id")
    title = _text(data, "title", "top level", fail, required=True)
    sections_raw = data.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise fail("top level", "at least one [[sections]] is needed")
    seen: set[str] = set()
    sections: list[Section] = []
    for s_index, sec in enumerate(sections_raw, 1):
        where = f"section {s_index}"
        if not isinstance(sec, dict) or not sec.get("id") or not sec.get("title"):
            raise fail(where, "needs an 'id' and a 'title'")
        section_id = _text(sec, "id", where, fail, required=True)
        if any(s.id == section_id for s in sections):
            raise fail(where, f"the section id {section_id!r} is used twice")
        where = f"section '{section_id}'"
        section_title = _text(sec, "title", where, fail, required=True)
        guidance = _text(sec, "guidance", where, fail, limit=2000, prose=True)
        if not isinstance(sec.get("items", []), list):
            raise fail(where, "'items' must be a list of [[sections.items]] tables")
        items = []
        for i_index, raw in enumerate(sec.get("items", []), 1):
            items.append(_parse_item(raw, section_id, f"section '{section_id}' item {i_index}", seen, fail))
        if not items:
            raise fail(where, "has no items")
        sections.append(Section(section_id, section_title, guidance, tuple(items)))
    _check_conditions([i for s in sections for i in s.items], fail)
    return Checklist(checklist_id, version, title, tuple(sections), source, data)


_CONTROL_IN_PROSE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # control characters but new lines, tabs


def _text(raw: dict, key: str, where: str, fail, *, required: bool = False, limit: int = 200, what: str = "",
          prose: bool = False) -> str:
    """A checklist's text: one line without control characters (ids, titles, labels, options); ``prose``
    (questions, guidance, messages) may also hold new lines and tabs, as a TOML multi-line string does."""
    what = what or f"'{key}'"
    try:
        if not prose:
            return model.clean_name(raw.get(key, ""), what, required=required, limit=limit)
        text = model.clean_text(raw.get(key, ""), what, required=required, limit=limit)
        if _CONTROL_IN_PROSE.search(text):
            raise model.ValidationError(f"The {what} cannot contain control characters (escapes).")
        return text.strip()
    except model.ValidationError as exc:
        raise fail(where, str(exc).removeprefix("The ").rstrip(".")) from None


def _number(value: object, what: str, where: str, fail) -> float:
    if not model.finite_number(value):
        raise fail(where, f"{what} must be a number (got {value!r:.40})")
    return value  # type: ignore[return-value]


def _rule(rule: dict, name: str, where: str, fail) -> None:
    """The tests a concern rule or a ``when`` shares: ``in`` a list, ``above``/``below`` numbers, text ``message``."""
    if "in" in rule and not isinstance(rule["in"], list):
        raise fail(where, f"'{name}.in' must be a list")
    for key in ("above", "below"):
        if key in rule:
            _number(rule[key], f"'{name}.{key}'", where, fail)
    if "equals" in rule and not (isinstance(rule["equals"], str) or model.finite_number(rule["equals"])):
        raise fail(where, f"'{name}.equals' must be text or a number")
    if "message" in rule:
        _text(rule, "message", where, fail, limit=2000, prose=True)


def _parse_when(when: object, kind: str, where: str, fail) -> dict:
    if not isinstance(when, dict) or not isinstance(when.get("item"), str):
        raise fail(where, "'when' must name an 'item' and give 'equals', 'in', 'above' or 'below'")
    tests = set(when) & _WHEN_TESTS
    unknown = set(when) - _WHEN_TESTS - {"item"}
    if unknown:
        raise fail(where, f"'when' has unknown keys: {', '.join(sorted(unknown))}")
    if len(tests) != 1:
        raise fail(where, "'when' needs exactly one of 'equals', 'in', 'above' or 'below'")
    _rule(when, "when", where, fail)
    return dict(when)


def _check_conditions(items: list[Item], fail) -> None:
    """Every ``when`` names a known item, fits that item's kind, and no chain of conditions loops."""
    by_id = {i.id: i for i in items}
    for item in items:
        if not item.when:
            continue
        where = f"item '{item.id}'"
        parent = by_id.get(item.when["item"])
        if parent is None:
            raise fail(where, f"'when' depends on an unknown item {item.when['item']!r}")
        if parent.per_child and not item.per_child:
            raise fail(where, f"a question asked once per visit cannot depend on the per-child item '{parent.id}'")
        if parent.kind == "text":
            raise fail(where, f"'when' cannot depend on the notes item '{parent.id}'")
        allowed = YESNO if parent.kind == "yesno" else parent.options if parent.kind == "choice" else None
        if allowed is not None:
            wanted = [item.when["equals"]] if "equals" in item.when else item.when.get("in", [])
            bad = [v for v in wanted if v not in allowed]
            if bad or {"above", "below"} & set(item.when):
                raise fail(where, f"'when' on '{parent.id}' must use its answers: {', '.join(allowed)}")
        elif {"equals", "in"} & set(item.when):
            raise fail(where, f"'when' on the numeric item '{parent.id}' must use 'above' or 'below'")
    for item in items:
        chain, current = [item.id], item
        while current.when:
            current = by_id[current.when["item"]]
            if current.id in chain:
                raise fail(f"item '{item.id}'", "'when' conditions form a cycle: " + " → ".join(chain + [current.id]))
            chain.append(current.id)


def _parse_item(raw: object, section: str, where: str, seen: set[str], fail) -> Item:
    if not isinstance(raw, dict):
        raise fail(where, "must be a table")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id.replace("_", "").isalnum():
        raise fail(where, "needs an 'id' of letters, digits and underscores")
    where = f"item '{item_id}'"
    if item_id in seen:
        raise fail(where, "the id is used twice")
    seen.add(item_id)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise fail(where, f"'kind' must be one of {', '.join(KINDS)} (got {kind!r})")
    if not raw.get("question"):
        raise fail(where, "'question' is missing")
    texts = {key: _text(raw, key, where, fail, required=key == "question", limit=200 if key == "label" else 2000,
                        prose=key in ("question", "guidance")) for key in ("question", "guidance", "ref", "label")}
    options = raw.get("options", [])
    if kind == "choice" and (not isinstance(options, list) or len(options) < 2):
        raise fail(where, "a choice needs at least two 'options'")
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
        raise fail(where, "'options' must be a list of text")
    for n, option in enumerate(options):
        _text({"options": option}, "options", where, fail, required=True)
        if option in options[:n]:
            raise fail(where, f"the option {option!r} is listed twice")
    for key in ("per_child", "metric", "rate"):
        if not isinstance(raw.get(key, False), bool):
            raise fail(where, f"'{key}' must be true or false")
    minimum = _number(raw.get("min", 0), "'min'", where, fail)
    maximum = _number(raw.get("max", 100_000), "'max'", where, fail)
    if minimum > maximum:
        raise fail(where, f"'min' ({minimum}) is above 'max' ({maximum})")
    concern = raw.get("concern")
    if concern is not None:
        if not isinstance(concern, dict) or not (_RULE_KEYS & set(concern)) - {"message"}:
            raise fail(where, "'concern' must give 'equals', 'in', 'above' or 'below'")
        unknown = set(concern) - _RULE_KEYS
        if unknown:
            raise fail(where, f"'concern' has unknown keys: {', '.join(sorted(unknown))}")
        _rule(concern, "concern", where, fail)
        if kind == "yesno" and concern.get("equals", "yes") not in YESNO:
            raise fail(where, "a yes/no concern rule must use 'yes', 'no' or 'not known'")
        if kind == "choice" and "equals" in concern and concern["equals"] not in options:
            raise fail(where, f"the concern value {concern['equals']!r} is not one of the options")
    if raw.get("metric") and kind in ("text", "choice"):
        raise fail(where, "only yes/no and numeric items can be trended as metrics")
    if raw.get("better", "lower") not in ("lower", "higher"):
        raise fail(where, "'better' must be 'lower' or 'higher'")
    when = _parse_when(raw["when"], kind, where, fail) if "when" in raw else None
    known = {"id", "kind", "question", "guidance", "ref", "label", "options", "per_child", "metric", "rate",
             "min", "max", "concern", "better", "when"}
    unknown = set(raw) - known
    if unknown:
        raise fail(where, f"unknown keys: {', '.join(sorted(unknown))}")
    return Item(
        id=item_id, kind=kind, question=texts["question"], section=section, guidance=texts["guidance"],
        ref=texts["ref"], label=texts["label"], options=tuple(options),
        per_child=raw.get("per_child", False), metric=raw.get("metric", False), rate=raw.get("rate", False),
        minimum=minimum, maximum=maximum, concern=concern,
        better=raw.get("better", "lower"), when=when,
    )


def load_file(path: Path) -> Checklist:
    import tomllib  # deferred: only needed when a checklist file is read

    path = Path(path)
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ChecklistError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot be read: {exc.strerror}") from None
    return parse(data, str(path))


def shipped_folder() -> Path:
    """The checklists inside the installed wheel, else the source checkout's ``checklists/``."""
    from importlib import resources  # deferred: ~40 ms at start-up otherwise

    packaged = resources.files("visitor") / "_checklists"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "checklists"


def shipped_files() -> list[Path]:
    return sorted(shipped_folder().glob("*.toml"))


def load_shipped(checklist_id: str = DEFAULT_CHECKLIST) -> Checklist:
    for path in shipped_files():
        if path.stem == checklist_id:
            return load_file(path)
    raise ChecklistError(f"No checklist called {checklist_id!r} in {shipped_folder()}")
