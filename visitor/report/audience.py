"""Who reads a copy, and what they may see. A placing authority sees only its own children.

Two layers protect other authorities' children in a placing authority's copy. Structurally, the report
builder leaves out their rows, views, per-child concerns and patterns, and shows them only as counts.
Then every string that enters the document passes through ``Audience.text``: it is sanitised for Word
and other children's codes and other authorities' names are redacted however they are spelled
(``visitor.matching``), because the visitor's free text may mention anyone. The reader's own authority
and own children's codes are kept intact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from visitor import matching
from visitor.model import Child
from visitor.report.text import sanitise

LABELS = {"provider": "Provider", "ofsted": "Ofsted", "placing-authority": "Placing authority"}
AUDIENCES = tuple(LABELS)
ANOTHER_CHILD = "another child"


def same_authority(a: str, b: str) -> bool:
    """Authority names compared as people read them: case and spacing do not make a new authority."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass
class Audience:
    kind: str
    authority: str = ""
    children: list[Child] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in LABELS:
            raise ValueError(f"Unknown audience {self.kind!r}: use provider, ofsted or placing-authority.")
        if self.kind == "placing-authority" and not self.authority.strip():
            raise ValueError("A placing-authority copy needs --authority NAME.")
        self._by_id = {c.id: c for c in self.children}
        self._codes: list[re.Pattern[str]] = []
        self._authorities: list[re.Pattern[str]] = []
        self._keep: list[re.Pattern[str]] = []
        if self.redacting:
            self._build_matchers()

    def _build_matchers(self) -> None:
        own = [c for c in self.children if self.may_identify(c) and not c.erased]
        others = [c for c in self.children if not self.may_identify(c) and not c.erased]
        own_keys = {matching.code_key(c.code) for c in own}
        other_codes = {matching.code_key(c.code): c.code for c in others}
        self._codes = [matching.code_pattern(code) for key, code in sorted(other_codes.items(), key=lambda kv: -len(kv[0]))
                       if key and key not in own_keys]  # longest first: "ABC" before "AB"
        names = {" ".join(c.placing_authority.split()) for c in others}
        self._authorities = [matching.authority_pattern(name, protect=[self.authority])
                             for name in sorted(names, key=len, reverse=True)]
        words = r"[ \u00a0\-]+".join(re.escape(w) for w in self.authority.split())
        self._keep = [re.compile(r"(?i:(?<!\w)" + words + r"(?!\w))")]
        if any(c.isalnum() for c in self.authority):  # the reader's own spellings too: "Northshire CC"
            self._keep.append(matching.authority_pattern(self.authority, protect=sorted(names)))
        self._keep += [matching.code_pattern(c.code) for c in own if matching.code_key(c.code)]

    @property
    def label(self) -> str:
        return self.authority if self.kind == "placing-authority" else LABELS[self.kind]

    @property
    def redacting(self) -> bool:
        return self.kind == "placing-authority"

    def may_identify(self, child: Child) -> bool:
        return not self.redacting or same_authority(child.placing_authority, self.authority)

    def identifies(self, child_id: str) -> bool:
        """Whether this copy may show the child's own data; unknown ids are treated as someone else's."""
        if not self.redacting:
            return True
        child = self._by_id.get(child_id)
        return child is not None and self.may_identify(child)

    def child_label(self, child_id: str) -> str:
        child = self._by_id.get(child_id)
        if child is None:
            return "a child"
        if child.erased:
            return "[erased]"
        return child.code if self.may_identify(child) else ANOTHER_CHILD

    def authority_of(self, child: Child) -> str:
        return child.placing_authority if self.may_identify(child) else "not shown"

    def text(self, value: object) -> str:
        """Any string bound for the document: safe for Word, with other children and authorities redacted."""
        return matching.redact(sanitise(value), self._authorities + self._codes, keep=self._keep)

    def fact(self, value: object) -> str:
        """A fact about the home (its name, area, provider): other children's codes still go, but a place
        name such as the home's local authority area is not mistaken for another child's authority."""
        return matching.redact(sanitise(value), self._codes, keep=self._keep)
