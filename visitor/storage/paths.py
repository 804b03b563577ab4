"""Path safety: every identifier that becomes part of a file name passes one check, every path stays inside
its folder, and the folders reg44 creates are owner-only.

A bundle, a checklist or a command line can carry an id; if ids reached ``Path`` unchecked, ``../../x`` or an
absolute path would write outside the data folder. So ids are checked against one strict pattern here and
nowhere else, and ``inside`` refuses any path that resolves outside its folder.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from visitor.model import ValidationError

# Letters, digits, dot, dash and underscore; starts with a letter or digit; no "..": safe on every file system.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class UnsafeName(ValidationError):
    """An identifier that cannot be used as (part of) a file name."""


def safe_name(value: object, what: str = "identifier") -> str:
    """``value`` if it is safe as a file name; otherwise a one-line refusal naming ``what``."""
    if not isinstance(value, str):
        raise UnsafeName(f"The {what} must be text (got {type(value).__name__}).")
    if not SAFE_NAME.fullmatch(value) or ".." in value:
        shown = value.encode("unicode_escape").decode()[:60]
        raise UnsafeName(
            f"The {what} {shown!r} cannot be used: use up to 100 letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit."
        )
    return value


def inside(folder: Path, name: str, what: str = "identifier", suffix: str = "") -> Path:
    """``folder/<name><suffix>`` after checking ``name``; refuses anything that would leave ``folder``."""
    leaf = safe_name(name, what) + suffix
    # The path stays in ``folder`` exactly when ``leaf`` is one ordinary part (checked without resolving both
    # paths: the dashboard asks this for every home's draft at start-up).
    if leaf in ("", ".", "..") or os.sep in leaf or (os.altsep and os.altsep in leaf) or "\x00" in leaf:
        raise UnsafeName(f"The {what} {name!r} would leave the folder {folder}.")
    return Path(folder) / leaf


def relative_inside(root: Path, rel: str) -> Path:
    """A path given relative to ``root`` (from a journal manifest): refused if absolute or escaping."""
    if not isinstance(rel, str) or not rel or os.path.isabs(rel) or "\x00" in rel:
        raise UnsafeName(f"The path {rel!r} is not a relative path inside {root}.")
    parts = Path(rel).parts
    if any(part in ("", ".", "..") for part in parts):
        raise UnsafeName(f"The path {rel!r} leaves {root}.")
    return Path(root).joinpath(*parts)


def no_linked_folders(root: Path, folder: Path) -> Path:
    """Refuse ``folder`` (inside the data folder ``root``) if it, or a folder between it and ``root``, is a link.

    ``O_NOFOLLOW`` guards only a path's last part: a planted ``homes`` or ``backups`` link would redirect every
    write below it. ``root`` itself may be a link (the user chose where their data lives).
    """
    from visitor.storage.files import DataFileError

    try:
        rel = Path(os.path.abspath(folder)).relative_to(os.path.abspath(root))
    except ValueError:
        raise UnsafeName(f"The folder {folder} is not inside {root}.") from None
    probe = Path(root)
    for part in rel.parts:
        probe = probe / part
        try:
            mode = os.lstat(probe).st_mode
        except FileNotFoundError:
            break
        if stat.S_ISLNK(mode):
            raise DataFileError(probe, "it is a symbolic link, which reg44 never follows in its data folder",
                                "Replace it with a real folder; nothing was changed.")
        if not stat.S_ISDIR(mode):
            raise DataFileError(probe, "it is a file where reg44 keeps a folder", "Move it away; nothing was changed.")
    return Path(folder)


def inner_dir(root: Path, folder: Path) -> Path:
    """``folder`` inside the data folder, created owner-only where missing, never through a link."""
    return private_dir(no_linked_folders(root, folder))


def private_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent owner-only (0700 whatever the umask).

    Folders that already exist keep their mode: ``--out ~/Documents`` must not change the user's folder.
    """
    path = Path(path)
    missing = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue
        try:
            os.chmod(folder, 0o700)
        except OSError:  # pragma: no cover - e.g. a file system without modes
            pass
    if not path.is_dir():
        raise ValidationError(f"{path} exists but is not a folder.")
    return path


def readable_by_others(path: Path) -> bool:
    """True when a folder holding children's data can be read or entered by other users."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) and bool(mode & 0o077)
