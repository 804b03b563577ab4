"""The versioned JSON bundle: a whole data folder's homes, children, visits, flags and erasures in one file.

For backups and for moving work between laptops. ``load`` is all-or-nothing: each home is validated against
the model, its checklists and the data already in the folder (clashing names and codes, visits before
registration, answers of the wrong kind, absurd sizes), and written into one transaction that commits only
after the last home passed — a refusal names the fault and leaves the folder exactly as it was. Loading the
same bundle twice adds nothing (existing records win). ``dump`` and ``load`` stream home by home, so memory
stays flat at any agency size. The format is described in ``docs/bundle.schema.json``.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from visitor import __version__, fanout, workflow
from visitor import checklist as checklists
from visitor.integrity import VisitRules, _flat
from visitor.matching import code_key
from visitor.model import Child, Home, ValidationError, parse_date
from visitor.store import Store, erase_from_visit

FORMAT = "reg44-bundle"
VERSION = 2  # 2: each home entry may carry "erasures"; version 1 bundles still load
READS = (1, 2)
MAX_BYTES = 512 * 1024 * 1024
LIMITS = {"homes": 2000, "children": 1000, "visits": 5000, "flags": 20000, "checklists": 200, "erasures": 1000}


class BundleError(ValidationError):
    """The bundle is refused as a whole; nothing was changed."""


# -- dump -------------------------------------------------------------------------------------------
def _checklists_of(store: Store) -> list[dict]:
    """Every checklist version the folder holds, plus the shipped ones: each visit names one of these."""
    found: dict[tuple, dict] = {}
    folder = store.root / "checklists"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        checklist = checklists.load_file(path)
        found[(checklist.id, checklist.version)] = checklist.raw
    for path in checklists.shipped_files():
        checklist = checklists.load_file(path)
        found.setdefault((checklist.id, checklist.version), checklist.raw)
    return list(found.values())


def _home_entries(store: Store) -> Iterator[dict]:
    for home in store.homes():
        yield {"home": home.to_dict(), "children": [c.to_dict() for c in store.children(home.id)],
               "visits": store.visits(home.id), "draft": store.draft(home.id), "flags": store.flags(home.id),
               "erasures": store.erasures(home.id)}


def _header(store: Store) -> dict:
    return {"format": FORMAT, "version": VERSION, "created": datetime.now().isoformat(timespec="seconds"),
            "app": f"reg44 {__version__}", "checklists": _checklists_of(store)}


def dump(store: Store) -> dict:
    """The whole bundle in memory (small folders and tests; ``write`` streams)."""
    return {**_header(store), "homes": list(_home_entries(store))}


def stream(store: Store, out: IO[str]) -> int:
    """Write the bundle to ``out`` one home at a time (one line each); returns the number of homes."""
    # ASCII with escapes: any text the folder holds (even a lone surrogate) reads back exactly, on any terminal
    header = json.dumps(_header(store))
    out.write(header[:-1] + ',\n"homes": [')
    count = 0
    for entry in _home_entries(store):
        out.write(("\n" if count == 0 else ",\n") + json.dumps(entry))
        count += 1
    out.write("\n]}\n")
    return count


def write(store: Store, path: Path) -> Path:
    """Stream the bundle to ``path`` atomically: a temp file beside it, fsynced, then renamed over it."""
    from visitor.storage.files import atomic_text, sweep_temp_files

    path = Path(path)
    if "\x00" in str(path):
        raise BundleError(f"{_shown(path)} is not a usable file name.")
    if path.is_dir():
        raise BundleError(f"{_shown(path)} is a folder: give a file name, e.g. {_shown(path / 'reg44-bundle.json')}.")
    if not path.parent.is_dir():
        raise BundleError(f"The folder {_shown(path.parent)} does not exist; nothing was written.")
    store.outside(path, "Bundles")
    sweep_temp_files(path.parent, path.name)  # what a dump of this file killed mid-write left behind
    atomic_text(path, lambda out: stream(store, out))
    return path


# -- reading ----------------------------------------------------------------------------------------
class _Stream:
    """Reads one JSON object from a text file value by value, so a bundle's homes never sit in memory at once.

    Works on any layout of valid JSON (indented or not): the top-level object's small values are read
    whole, its ``homes`` array element by element.
    """

    CHUNK = 1 << 22

    def __init__(self, handle: IO[str], name: str):
        self.handle, self.name = handle, name
        self.buf, self.pos, self.eof = "", 0, False
        self.decoder = json.JSONDecoder()

    def _fill(self, need: int) -> None:
        while not self.eof and len(self.buf) - self.pos < need:
            try:
                chunk = self.handle.read(max(self.CHUNK, need))
            except UnicodeDecodeError:
                raise BundleError(f"{self.name}: not valid UTF-8 text.") from None
            if not chunk:
                self.eof = True
                break
            self.buf = self.buf[self.pos:] + chunk
            self.pos = 0

    def peek(self) -> str:
        while True:
            self._fill(1)
            n = len(self.buf)
            while self.pos < n and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < n or self.eof:
                return self.buf[self.pos] if self.pos < n else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise BundleError(f"{self.name}: not valid JSON (expected {char!r} at character {self.pos:,} of a block).")
        self.pos += 1

    def value(self) -> object:
        self.peek()
        need = self.CHUNK
        while True:
            self._fill(need)
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise BundleError(f"{self.name}: not valid JSON ({exc.msg}).") from None
                need = 2 * (len(self.buf) - self.pos) + 1
                continue
            except RecursionError:
                raise BundleError(f"{self.name}: nested too deeply to be a reg44 bundle.") from None
            if end >= len(self.buf) and not self.eof:  # a number cut at the buffer's end would parse short
                need = 2 * (len(self.buf) - self.pos) + 1
                continue
            self.pos = end
            return value

    def bundle(self) -> tuple[dict, Iterator[object]]:
        """The top-level values before ``homes`` and an iterator over the homes that reads the rest."""
        header: dict = {}
        self.expect("{")
        if self.peek() == "}":
            self.pos += 1
            self._end()
            return header, iter(())
        while True:
            key = self.value()
            if not isinstance(key, str):
                raise BundleError(f"{self.name}: not valid JSON (a key is not text).")
            self.expect(":")
            if key == "homes" and self.peek() == "[" and {"format", "version", "checklists"} <= set(header):
                self.pos += 1
                header["homes"] = []  # present; its entries are streamed
                return header, self._homes(header)
            header[key] = self.value()
            if not self._next_key():
                return header, iter(())

    def _next_key(self) -> bool:
        char = self.peek()
        self.pos += 1
        if char == ",":
            return True
        if char == "}":
            self._end()
            return False
        raise BundleError(f"{self.name}: not valid JSON (expected ',' or '}}').")

    def _homes(self, header: dict) -> Iterator[object]:
        if self.peek() == "]":
            self.pos += 1
        else:
            while True:
                yield self.value()
                char = self.peek()
                self.pos += 1
                if char == "]":
                    break
                if char != ",":
                    raise BundleError(f"{self.name}: not valid JSON (expected ',' or ']' between homes).")
        while self._next_key():
            key = self.value()
            self.expect(":")
            value = self.value()
            if key == "homes":
                raise BundleError(f"{self.name}: 'homes' appears twice.")
            header[key] = value

    def _end(self) -> None:
        if self.peek() != "":
            raise BundleError(f"{self.name}: not valid JSON (extra data after the bundle).")


def _shown(path: object) -> str:
    """A path as it can be printed on one line: control and invisible characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))


def _open(path: Path) -> IO[str]:
    path = Path(path)
    try:
        if path.is_dir():
            raise BundleError(f"{_shown(path)} is a folder, not a bundle file.")
        size = path.stat().st_size
        # utf-8-sig: a byte order mark (Notepad writes one) is skipped; the text is UTF-8 either way
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the caller's with
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise BundleError(f"{_shown(path)}: cannot be read ({getattr(exc, 'strerror', None) or exc}).") from None
    if size > MAX_BYTES:
        handle.close()
        raise BundleError(f"{_shown(path)}: the bundle is {size:,} bytes, larger than the {MAX_BYTES:,} allowed.")
    return handle


def read(path: Path) -> dict:
    """The whole bundle in memory (``load_file`` streams instead)."""
    with _open(path) as handle:
        header, homes = _Stream(handle, _shown(path)).bundle()
        streamed = list(homes)
        if streamed:
            header["homes"] = streamed
    return header


# -- validation and loading -------------------------------------------------------------------------
class _Loader:
    """Validates a bundle home by home against the model, its checklists and the folder, and writes it."""

    def __init__(self, store: Store | None, header: object):
        self.store = store
        self.header = _check_header(header)
        self.bundled: dict[tuple[str, int], checklists.Checklist] = {}
        for index, raw in enumerate(self.header["checklists"]):
            try:
                checklist = checklists.parse(raw, f"bundle checklist {index + 1}")
                _check_checklist_id(store, checklist)
            except (checklists.ChecklistError, ValidationError) as exc:
                raise BundleError(f"checklists[{index}]: {exc}") from None
            key = (checklist.id, checklist.version)
            if key in self.bundled and self.bundled[key].raw != raw:
                raise BundleError(f"checklists[{index}]: {checklist.id} version {checklist.version} appears twice, "
                                  "with different content.")
            self.bundled[key] = checklist
        self.rules: dict[tuple[str, int], VisitRules] = {}
        self.target = {h.id: h for h in store.homes()} if store else {}
        self.names = {h.name.lower(): h.id for h in self.target.values()}
        self.seen: set[str] = set()
        self.added = {"homes": 0, "children": 0, "visits": 0, "drafts": 0, "flags": 0, "erasures": 0}
        self.grown: list[str] = []  # homes whose history grew: refreshed once every home is in
        self.pooled: list[str] = []  # homes with visits written: their figures as peers are saved then
        self.rows: dict[str, dict | None] = {}  # and those figures
        self.kept: list[str] = []  # records the folder holds in another version: the folder's was kept

    def _writing_store(self) -> Store:
        """The folder written to: a loader made without one (``validate``) only checks."""
        assert self.store is not None, "a loader without a store only validates"
        return self.store

    def write_checklists(self) -> None:
        store = self._writing_store()
        for checklist in self.bundled.values():
            store.snapshot_checklist(checklist)

    def home(self, index: int, entry: object) -> dict:
        where = f"homes[{index}]"
        if index >= LIMITS["homes"]:
            raise BundleError(f"'homes' has more than {LIMITS['homes']:,} entries.")
        try:
            return self._check_home(entry)
        except (ValidationError, checklists.ChecklistError) as exc:
            raise BundleError(f"{where}: {exc}") from None

    def _check_home(self, entry: object) -> dict:
        if not isinstance(entry, dict):
            raise ValidationError("must be an object")
        for key in ("children", "visits", "flags", "erasures"):
            value = entry.get(key, [])
            if not isinstance(value, list):
                raise ValidationError(f"'{key}' must be a list")
            if len(value) > LIMITS[key]:
                raise ValidationError(f"'{key}' has {len(value):,} entries; at most {LIMITS[key]:,} are allowed")
        home = Home.from_dict(entry.get("home"))
        if home.id in self.seen:
            raise ValidationError(f"the home {home.id!r} appears twice")
        self.seen.add(home.id)
        existing = self.target.get(home.id)
        owner = self.names.get(home.name.lower())
        if existing is None and owner is not None and owner != home.id:
            raise ValidationError(f"the name {home.name!r} is already used by the home {owner!r}")
        if existing is None:
            self.names[home.name.lower()] = home.id
        registered = (existing or home).registered_on
        store = self.store if existing is not None else None
        held = {c.id: c for c in store.children(home.id)} if store else {}
        children = self._children(home, entry.get("children", []), held)
        erasures = self._erasures(entry.get("erasures", []), held, {c.id: c for c in children})
        erased = {c.id: c for c in [*held.values(), *children] if c.erased}
        erased.update({e["child_id"]: held.get(e["child_id"]) for e in erasures if e["child_id"] not in erased})
        child_ids = set(held) | {c.id for c in children}
        codes = {c.id: c.code for c in children if not c.erased}
        held_visits = {v["id"]: v for v in store.visits(home.id)} if store else {}
        # Existing records win; one the bundle holds in another version is named, never silently dropped.
        kept = [f"home {home.id}"] if existing is not None and existing.to_dict() != home.to_dict() else []
        kept += [f"child {c.id} of {home.id}" for c in children if c.id in held and c.to_dict() != held[c.id].to_dict()]
        visits, dates = [], set()
        for n, raw in enumerate(entry.get("visits", [])):
            visit = self._visit(f"visits[{n}]", raw, home.id, "final", registered, child_ids)
            if visit["date"] in dates:
                raise ValidationError(f"visits[{n}]: two visits share the date {visit['date']}")
            dates.add(visit["date"])
            if visit["id"] not in held_visits:
                visits.append(_scrub(visit, erased, codes))
            elif _scrub(visit, erased, codes) != held_visits[visit["id"]]:
                kept.append(f"visit {visit['id']}")
        draft = entry.get("draft")
        if draft is not None:
            draft = self._visit("draft", draft, home.id, "draft", registered, child_ids)
            if draft["date"] in dates or draft["id"] in held_visits or (store and store.has_draft(home.id)):
                if _scrub(draft, erased, codes) != (store.draft(home.id) if store else None):
                    kept.append(f"the draft {draft['id']}")
                draft = None  # the folder's own draft or final visit of that day wins
            else:
                draft = _scrub(draft, erased, codes)
        flags = self._flags(entry.get("flags", []), store.flags(home.id) if store else [])
        known = {(e.get("child_id"), e.get("on")) for e in store.erasures(home.id)} if store else set()
        return {"home": home, "new_home": existing is None, "children": [c for c in children if c.id not in held],
                "visits": visits, "draft": draft, "flags": flags, "kept": kept,
                "erasures": [e for e in erasures if (e["child_id"], e["on"]) not in known]}

    def _children(self, home: Home, raws: list, held: dict) -> list[Child]:
        children: list[Child] = []
        resident = {code_key(c.code): c.id for c in held.values() if not c.left and not c.erased}
        for n, raw in enumerate(raws):
            child = _at(f"children[{n}]", Child.from_dict, raw)
            if child.home_id != home.id:
                raise ValidationError(f"children[{n}] belongs to {child.home_id!r}, not {home.id!r}")
            if child.id in held and child.erased and not held[child.id].erased:
                raise ValidationError(f"children[{n}]: the bundle records that child {child.id!r} was erased, but this "
                                      f"folder still holds the child's details: run `reg44 erase-child {home.id} "
                                      f"{child.id}` first")
            if any(c.id == child.id for c in children):
                raise ValidationError(f"children[{n}]: two children share the id {child.id!r}")
            if child.id not in held and not child.left and not child.erased:
                other = resident.get(code_key(child.code))  # "A.B." is "AB": one code however spelled
                if other is not None and other != child.id:
                    raise ValidationError(f"children[{n}]: the code {child.code!r} is already used by a child living "
                                          "at this home; codes of children living there must be distinct")
                resident[code_key(child.code)] = child.id
            children.append(child)
        return children

    def _erasures(self, raws: list, held: dict, bundled: dict) -> list[dict]:
        found = []
        for n, raw in enumerate(raws):
            try:
                _flat(raw, "erasure record", 2000)
                if not isinstance(raw.get("child_id"), str) or not isinstance(raw.get("on"), str):
                    raise ValidationError("needs text 'child_id' and 'on'")
            except ValidationError as exc:
                raise ValidationError(f"erasures[{n}]: {exc}") from None
            carried = bundled.get(raw["child_id"])
            if carried is not None and not carried.erased:
                raise ValidationError(f"erasures[{n}]: the child {raw['child_id']!r} is recorded as erased, yet the "
                                      "bundle still holds the child's details")
            child = held.get(raw["child_id"])
            if child is not None and not child.erased:
                raise ValidationError(
                    f"erasures[{n}]: the bundle records that child {raw['child_id']!r} was erased, but this folder "
                    f"still holds the child's details: run `reg44 erase-child {child.home_id} {child.id}` first")
            found.append(raw)
        return found

    def _visit(self, where: str, raw: object, home_id: str, status: str, registered: str,
               child_ids: set[str]) -> dict:
        try:
            if not isinstance(raw, dict):
                raise ValidationError(f"must be an object (got {type(raw).__name__})")
            visit = self._rules(raw).check(raw, child_ids)
            if visit["home_id"] != home_id or visit["status"] != status:
                raise ValidationError(f"must be a {status} visit of {home_id!r}")
            if registered and parse_date(visit["date"]) < parse_date(registered):
                raise ValidationError(f"is dated {visit['date']}, before the home's registration on {registered}")
        except (ValidationError, checklists.ChecklistError) as exc:
            raise ValidationError(f"{where}: {exc}") from None
        return visit

    def _rules(self, raw: dict) -> VisitRules:
        checklist_id, version = raw.get("checklist_id"), raw.get("checklist_version")
        if not isinstance(checklist_id, str) or not isinstance(version, int) or isinstance(version, bool):
            raise ValidationError("needs a text 'checklist_id' and a whole-number 'checklist_version'")
        key = (checklist_id, version)
        if key not in self.rules:
            self.rules[key] = VisitRules(self._checklist(*key))
        return self.rules[key]

    def _checklist(self, checklist_id: str, version: int) -> checklists.Checklist:
        """The version the folder will use: its own snapshot first, else the bundle's, else a shipped one."""
        if self.store is not None:
            path = self.store.checklist_path(checklist_id, version)  # refuses unsafe ids
            if path.is_file():
                return checklists.load_file(path)
        if (checklist_id, version) in self.bundled:
            return self.bundled[(checklist_id, version)]
        for path in checklists.shipped_files():
            if path.stem == checklist_id:
                shipped = checklists.load_file(path)
                if shipped.version == version:
                    return shipped
        raise ValidationError(f"uses the checklist {str(checklist_id)[:60]!r} version {version!r}, which neither "
                              "the bundle nor this data folder holds")

    def _flags(self, raws: list, held: list[dict]) -> list[dict]:
        known = {(f["key"], f["raised_on"]) for f in held}
        extra = []
        for n, flag in enumerate(raws):
            try:
                if not isinstance(flag, dict):
                    raise ValidationError("must be an object")
                for key in ("key", "title", "evidence", "raised_on"):
                    if not isinstance(flag.get(key), str) or len(flag[key]) > 20_000:
                        raise ValidationError("needs text fields key, title, evidence and raised_on")
                parse_date(flag["raised_on"][:10], "date the pattern was raised")
                if flag.get("resolved") not in (None, ""):
                    _flat(flag["resolved"], "resolution", 20_000)
            except ValidationError as exc:
                raise ValidationError(f"flags[{n}] {exc}") from None
            if (flag["key"], flag["raised_on"]) not in known:
                known.add((flag["key"], flag["raised_on"]))
                extra.append(flag)
        return extra

    def write(self, plan: dict) -> None:
        store, home = self._writing_store(), plan["home"]
        self.kept += plan["kept"]
        if plan["new_home"]:
            store.add_home(home)
            self.added["homes"] += 1
        store.import_children(home.id, plan["children"])  # codes and ids were checked against the folder's
        store.import_visits(home.id, plan["visits"])
        if plan["draft"]:
            store.save_draft(plan["draft"])
        if plan["flags"]:
            store.save_flags(home.id, store.flags(home.id) + plan["flags"])
        if plan["erasures"]:
            store.import_erasures(home.id, plan["erasures"])
        for key in ("children", "visits", "flags", "erasures"):
            self.added[key] += len(plan[key])
        self.added["drafts"] += bool(plan["draft"])
        if plan["visits"]:
            self.pooled.append(home.id)
            self.rows[home.id] = workflow.peer_row(store, home.id)  # from the tables in hand, before spilling
        # A new home whose bundle carries open flags carries what its history raised; one that carries only
        # the visitor's resolutions (or nothing) is replayed with them, like a home whose history grew.
        computed = any(not f.get("resolved") for f in plan["flags"])
        if plan["visits"] and not (plan["new_home"] and computed):
            self.grown.append(home.id)  # its patterns are recomputed at the end, against every home loaded
        elif plan["new_home"] or plan["flags"] or plan["draft"]:
            # a whole home with the flags its own history raised: kept as they are, only the summary is new
            store.save_summary(home.id, workflow.summarise(store, home.id))
        store.spill(home.id)


def _check_header(data: object) -> dict:
    if not isinstance(data, dict):
        raise BundleError("The bundle must be a JSON object.")
    if data.get("format") != FORMAT:
        raise BundleError(f"This is not a reg44 bundle (format is {str(data.get('format'))[:40]!r}, "
                          f"expected {FORMAT!r}).")
    version = data.get("version")
    if isinstance(version, bool) or version not in READS:
        raise BundleError(f"Bundle version {str(version)[:20]} is not supported (this reg44 reads "
                          f"{', '.join(map(str, READS))}).")
    for key in ("homes", "checklists"):
        if not isinstance(data.get(key), list):
            raise BundleError(f"'{key}' must be a list.")
        if len(data[key]) > LIMITS[key]:
            raise BundleError(f"'{key}' has {len(data[key]):,} entries; at most {LIMITS[key]:,} are allowed.")
    return data


def _check_checklist_id(store: Store | None, checklist) -> None:
    from visitor.storage.paths import safe_name

    if store is not None:
        store.checklist_path(checklist.id, checklist.version)
    else:
        safe_name(checklist.id, "checklist id")


def _scrub(visit: dict, erased: dict, codes: dict) -> dict:
    """An incoming visit keeps nothing of a child erased on either side (their code, words and notes)."""
    for child_id, child in erased.items():
        code = codes.get(child_id) or (child.code if child is not None and not child.erased else "")
        erase_from_visit(visit, child_id, code)
    return visit


def _at(where: str, parse, raw):
    try:
        return parse(raw)
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None


def validate(data: object, store: Store | None = None) -> list[dict]:
    """Check every part of an in-memory bundle (against ``store``'s data when given) without writing."""
    loader = _Loader(store, data)
    return [loader.home(index, entry) for index, entry in enumerate(loader.header["homes"])]


def _run(store: Store, header: object, homes: Iterable[object], kept: list[str] | None = None) -> dict:
    """Validate and write every home inside one transaction: it commits only after the last one passed.

    ``kept`` receives the records the folder already holds in another version (the folder's are kept)."""
    loader = _Loader(store, header)
    with store.transaction():
        loader.write_checklists()
        for plan in _plans(loader, iter(homes)):
            loader.write(plan)
        workflow.refresh_homes(store, loader.grown, loader.pooled, loader.rows)
    if kept is not None:
        kept += loader.kept
    return loader.added


def _plans(loader: _Loader, homes: Iterator[object]) -> Iterator[dict]:
    """Each home entry parsed and checked into what ``write`` writes: here for the first few, then in a
    forked process that reads and checks the next home while this one writes the last (``fanout.ahead``).
    The checks read only the folder as it was and the homes before in the bundle, which the reader has."""
    entries = enumerate(homes)
    for index, entry in itertools.islice(entries, fanout.MIN_HOMES + 1):  # a reader only if more may follow
        yield loader.home(index, entry)
    yield from fanout.ahead(loader.home(index, entry) for index, entry in entries)


def load(store: Store, data: object, kept: list[str] | None = None) -> dict:
    """Merge an in-memory bundle into the store. Existing records win; returns what was added."""
    header = _check_header(data)  # the same object, now known to be a bundle's header
    return _run(store, header, list(header["homes"]), kept)


def load_file(store: Store, path: Path, kept: list[str] | None = None) -> dict:
    """Merge a bundle file into the store, streaming it home by home; all or nothing (``kept``: see ``_run``)."""
    with _open(path) as handle:
        header, homes = _Stream(handle, _shown(path)).bundle()
        if "homes" not in header:
            header["homes"] = []
        elif not isinstance(header["homes"], list):
            raise BundleError("'homes' must be a list.")
        return _run(store, header, _chain(header["homes"], homes), kept)


def _chain(first: list, rest: Iterator[object]) -> Iterator[object]:
    yield from first
    yield from rest


def write_stdout(store: Store) -> int:
    return stream(store, sys.stdout)
