"""Who reads a copy, and what they may see. A placing authority sees only its own children.

Every string that enters a document passes through ``Audience.text``: it is sanitised for Word and,
in a placing authority's copy, other children's codes are replaced wherever they appear as words,
including in the visitor's own free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from visitor.model import Child
from visitor.report.text import sanitise

LABELS = {"provider": "Provider", "ofsted": "Ofsted", "placing-authority": "Placing authority"}
AUDIENCES = tuple(LABELS)


@dataclass
class Audience:
    kind: str
    authority: str = ""
    children: list[Child] = field(default_factory=list)

    def __post_init__(self):
        if self.kind not in LABELS:
            raise ValueError(f"Unknown audience {self.kind!r}: use provider, ofsted or placing-authority.")
        if self.kind == "placing-authority" and not self.authority.strip():
            raise ValueError("A placing-authority copy needs --authority NAME.")
        self._others = {c.id: f"Another child ({n})" for n, c in enumerate(
            [c for c in self.children if not self.may_identify(c)], 1)}
        codes = sorted({c.code for c in self.children if not self.may_identify(c) and c.code != "[erased]"},
                       key=len, reverse=True)
        authorities = sorted({c.placing_authority for c in self.children if not self.may_identify(c)}
                             - {self.authority}, key=len, reverse=True)
        words = [re.escape(w) for w in codes + authorities]
        self._pattern = re.compile(r"(?<![\w])(" + "|".join(words) + r")(?![\w])") if words else None

    @property
    def label(self) -> str:
        return self.authority if self.kind == "placing-authority" else LABELS[self.kind]

    @property
    def redacting(self) -> bool:
        return self.kind == "placing-authority"

    def may_identify(self, child: Child) -> bool:
        return not self.redacting or child.placing_authority == self.authority

    def child_label(self, child_id: str) -> str:
        for child in self.children:
            if child.id == child_id:
                if child.erased:
                    return "[erased]"
                return child.code if self.may_identify(child) else self._others[child.id]
        return "a child"

    def authority_of(self, child: Child) -> str:
        return child.placing_authority if self.may_identify(child) else "not shown"

    def text(self, value: object) -> str:
        clean = sanitise(value)
        if self._pattern is not None:
            clean = self._pattern.sub("[redacted]", clean)
        return clean
