"""The laptop's memory of its last agreement with the hub, in the data folder's ``.hub/`` folder.

``.hub/sync.json`` is small (the hub, last push and pull, which records are in conflict), so the app
shows it cheaply. It names conflicts but keeps neither version: they hold children's words, and an
erasure must leave no copy behind (``reg44 hub push --json`` and ``pull --json`` show both versions).
``.hub/base.json`` keeps, for every record, the hash both sides last agreed on (the base), and each home
file's fingerprint so that an unchanged home is not read again. When the base came from a newer reg44
with fields this one does not keep, it also keeps the hash of this folder's copy (``held``): that copy
stands for the base, so it is not pushed back over the fuller version, and a change made here is sent
with those fields carried over from the hub. Comparing the local hash and the hub's
hash with the base tells who changed a record: only here (push it), only on the hub (pull it), or on
both (a conflict, never overwritten). The files are written after the hub or the local store has
committed; if a crash falls between, the next sync finds both sides equal and records the base again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from visitor.storage import atomic_write, private_dir

FOLDER = ".hub"  # a dot-folder: not a data file, so never checked, backed up or restored as one
FILE = f"{FOLDER}/sync.json"
BASE_FILE = f"{FOLDER}/base.json"


@dataclass
class SyncState:
    root: Path
    target: str = ""
    base: dict[str, str] = field(default_factory=dict)
    conflicts: dict[str, dict] = field(default_factory=dict)
    last_push: str = ""
    last_pull: str = ""
    homes: dict[str, dict] = field(default_factory=dict)
    held: dict[str, str] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)  # conflicts settled for the hub: key -> its hash
    hub_id: str = ""  # reg44.agency.hub_id of the hub agreed with

    @classmethod
    def load(cls, root: Path, target: str | None = None, hub_id: str = "") -> SyncState:
        """The saved state; a different hub than last time starts from an empty base.

        The hub is known by its ``hub_id`` where both sides have one (the same hub at another address
        keeps what was agreed), else by its address."""
        root = Path(root)
        status, agreed = _read(root / FILE), _read(root / BASE_FILE)
        state = cls(root, status.get("target", ""), dict(agreed.get("base") or {}),
                    dict(status.get("conflicts") or {}), status.get("last_push", ""), status.get("last_pull", ""),
                    dict(agreed.get("homes") or {}), dict(agreed.get("held") or {}),
                    dict(agreed.get("chosen") or {}), str(agreed.get("hub_id") or ""))
        if agreed.get("target", "") != state.target:
            state.base, state.homes, state.held, state.chosen = {}, {}, {}, {}
        if target is not None:
            same = state.hub_id == hub_id if state.hub_id and hub_id else not state.target or state.target == target
            if not same:
                state = cls(root)
            state.target, state.hub_id = target, hub_id or state.hub_id
        return state

    def save(self) -> None:
        private_dir(self.root / FOLDER)
        agreed = {"target": self.target, "hub_id": self.hub_id, "base": self.base, "homes": self.homes,
                  "held": self.held, "chosen": self.chosen}
        atomic_write(self.root / BASE_FILE, json.dumps(agreed, separators=(",", ":")).encode("utf-8"))
        named = {key: {k: v for k, v in c.items() if k not in ("local", "hub")} for key, c in self.conflicts.items()}
        status = {"target": self.target, "last_push": self.last_push, "last_pull": self.last_pull,
                  "conflicts": named}
        atomic_write(self.root / FILE, json.dumps(status, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    def resolve(self, key: str, keep: str) -> None:
        """Settle a conflict by choosing a side; the next push (``local``) or pull (``hub``) carries it out.

        Choosing is only moving the agreed base to the other side's hash: the next sync then sees a record
        changed on one side only. If either side changes again before that, it is a conflict again.
        """
        from visitor.hub.config import HubError

        conflict = self.conflicts.get(key)
        if conflict is None:
            raise HubError(f"There is no conflict {key!r} (see `reg44 hub status`).")
        if keep not in ("local", "hub"):
            raise HubError("Keep 'local' (this laptop's version) or 'hub' (the hub's version).")
        self.agree(key, conflict["hub_hash"] if keep == "local" else conflict["local_hash"])
        if keep == "hub":  # the hub's version may replace even what this folder keeps read-only
            self.chosen[key] = conflict["hub_hash"]
        else:
            self.chosen.pop(key, None)
        del self.conflicts[key]

    def agree(self, key: str, base: str, held: str | None = None) -> None:
        """Record the hash both sides agree on; ``held`` is the hash of this folder's copy of that version
        when the folder cannot hold it whole (a newer reg44 gave it fields this one does not know)."""
        self.base[key] = base
        if held is None or held == base:
            self.held.pop(key, None)
        else:
            self.held[key] = held

    def local(self, key: str, local_hash: str | None) -> str | None:
        """The record's local hash for deciding: the base itself when the folder holds its copy of it
        unchanged, so that a copy missing a newer reg44's fields is neither sent back nor taken again."""
        if local_hash is not None and self.held.get(key) == local_hash:
            return self.base.get(key)
        return local_hash

    @staticmethod
    def now() -> str:
        return datetime.now().isoformat(timespec="seconds")


def _read(path: Path) -> dict:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}  # only a cache of agreements: an unreadable one means "agreed on nothing yet"
    return raw if isinstance(raw, dict) else {}


def decide(local: str | None, base: str | None, hub: str | None) -> str:
    """What to do with one record, from its local hash, the agreed base and the hub's hash.

    'same' (nothing to do), 'push' (new or changed only here), 'pull' (new or changed only on the hub),
    or 'conflict' (changed on both sides since they last agreed, or created on both with different content).
    """
    if local == hub:
        return "same"
    if hub is None:
        return "push"
    if local is None or hub == base:
        return "pull" if local is None else "push"
    if local == base:
        return "pull"
    return "conflict"


def same_decision(local: dict | None, hub: object) -> bool:
    """True when two versions of a pattern flag differ only in what the trends engine worked out (its
    evidence, visits, severity ...), not in the visitor's own resolution: that is no conflict to settle.

    Each laptop works the flags out again from the visits it holds, so two laptops with visits the other
    has not seen yet rewrite the same flags differently without anyone deciding anything."""
    if not isinstance(local, dict) or not isinstance(hub, dict):
        return False
    return (local.get("resolved") or None) == (hub.get("resolved") or None)


def describe(root: Path) -> str:
    """One line for the app: when this folder last pushed to the hub and how many conflicts wait.

    Empty when the folder has never been synced, so an app without a hub shows nothing about one.
    """
    status = _read(Path(root) / FILE)
    if not status:
        return ""
    last_push = status.get("last_push") or ""
    pushed = last_push.replace("T", " ")[:16] if last_push else "never"
    conflicts = len(status.get("conflicts") or {})
    return f"hub: pushed {pushed}" + (f" · {conflicts} CONFLICT{'S' if conflicts != 1 else ''}" if conflicts else "")
