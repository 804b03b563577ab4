"""The base document a report is built on: the shipped default, or the organisation's ``report_template``.

A template (.docx) lends its styles, fonts, page size and margins, and its header (a logo); its body
text is dropped. Styles the report needs but the template lacks are copied from the default, so a
plain letterhead works. A template that cannot be used is reported in one line and the default is used.
"""

from __future__ import annotations

import zipfile
from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.opc.exceptions import PackageNotFoundError

NEEDED_STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "List Bullet", "Caption",
                 "Light Grid Accent 1")
THUMBNAIL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def open_base(path: str, problems: list[str]):
    """(document, templated): the template opened and emptied, or the default with a problem noted."""
    if not path:
        return Document(), False
    try:
        doc = _open(Path(path).expanduser())
    except TemplateError as exc:
        message = f"The report template {path} cannot be used ({exc}); the standard layout was used instead."
        if message not in problems:
            problems.append(message)
        return Document(), False
    return doc, True


class TemplateError(Exception):
    pass


def _open(path: Path):
    if path.suffix.lower() != ".docx":
        raise TemplateError("it must be a Word .docx file")
    if not path.is_file():
        raise TemplateError("there is no such file")
    try:
        doc = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateError(f"it is not a readable Word document: {exc}") from None
    except OSError as exc:
        raise TemplateError(exc.strerror or str(exc)) from None
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    default = None
    for name in NEEDED_STYLES:
        try:
            doc.styles[name]
        except KeyError:
            default = default or Document()
            doc.styles.element.append(deepcopy(default.styles[name].element))
    return doc


def drop_thumbnail(doc) -> None:
    """python-docx's default package carries a blank thumbnail that file browsers show: leave it out."""
    rels = doc.part.package.rels
    for rel_id, rel in list(rels.items()):
        if rel.reltype == THUMBNAIL:
            rels.pop(rel_id)
