"""Every operation is all-or-nothing: interrupted at each of its write boundaries, the folder is the before or
the after state once reopened, and ``reg44 check`` agrees.

Each operation is first run cleanly to count the boundaries it crosses and record the after state. Then,
for every N, a fresh copy is interrupted at boundary N twice: once by an ``OSError`` (disk full, I/O error:
the process lives on) and once by the process dying there (a forked child ends with ``os._exit``, as a
SIGKILL or power cut would). No timing is involved, so every interruption point is reached on every run.
"""

from __future__ import annotations

import shutil

import pytest
from crash_templates import operations, with_store
from faults import (
    EXIT_CODE,
    InjectedFault,
    fresh_copy,
    inject,
    reopen_and_judge,
    run_in_child,
)

NAMES = list(operations({}))


def _judge(templates, name, work):
    folders, bundle_data = templates
    template_name, action, copies = operations(bundle_data)[name]
    template = folders[template_name]
    before = reopen_and_judge(fresh_copy(template, work), copies=copies)
    with inject() as counter:
        with_store(fresh_copy(template, work), action)
    after = reopen_and_judge(work, copies=copies)
    assert after[0] != before[0], "the operation changes something"
    assert not after[1], f"check after a clean {name}: {after[1]}"
    return template, action, copies, before, after, counter.count


def _assert_before_or_after(name, where, got, before, after):
    state, problems = got
    assert state in (before[0], after[0]), f"{name} interrupted {where}: the folder is neither before nor after: " \
        + _difference(state, before[0], after[0])
    expected = before[1] if state == before[0] else after[1]
    assert problems == expected, f"{name} interrupted {where}: check says {problems}"


def _difference(state, before, after) -> str:
    parts = []
    for label, other in (("before", before), ("after", after)):
        changed = sorted(k for k in set(state) | set(other) if state.get(k) != other.get(k))
        parts.append(f"differs from {label} in {changed}")
    return "; ".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_an_error_at_any_write_boundary_leaves_before_or_after(templates, scratch, name):
    template, action, copies, before, after, total = _judge(templates, name, scratch / "w")
    assert total > 3, "the operation crosses several write boundaries"
    for at in range(1, total + 1):
        work = fresh_copy(template, scratch / "w")
        completed = False
        with inject(at, "raise"):
            try:
                with_store(work, action)
                completed = True
            except InjectedFault:
                pass
        got = reopen_and_judge(work, copies=copies)
        _assert_before_or_after(name, f"by an error at boundary {at}/{total}", got, before, after)
        if completed:
            assert got[0] == after[0], f"{name} reported success at boundary {at} but did not happen"


@pytest.mark.parametrize("name", NAMES)
def test_dying_at_any_write_boundary_leaves_before_or_after(templates, scratch, name):
    template, action, copies, before, after, total = _judge(templates, name, scratch / "w")
    images = scratch / "images"
    shutil.rmtree(images, ignore_errors=True)
    work = fresh_copy(template, scratch / "w")
    with inject(mode="image", root=work, images=images) as proxy:
        with_store(work, action)
    assert proxy.count == total, "the operation crosses the same boundaries every run"
    for at in range(1, total + 1):
        got = reopen_and_judge(images / str(at), copies=copies)
        _assert_before_or_after(name, f"by death at boundary {at}/{total}", got, before, after)
    assert reopen_and_judge(work, copies=copies)[0] == after[0]


def test_a_real_death_leaves_what_its_image_shows(templates, scratch):
    """The images stand for deaths: a forked child ended by ``os._exit`` at boundary N leaves image N's state."""
    template, action, copies, before, after, total = _judge(templates, "finalise", scratch / "w")
    images = scratch / "images"
    shutil.rmtree(images, ignore_errors=True)
    with inject(mode="image", root=fresh_copy(template, scratch / "w"), images=images):
        with_store(scratch / "w", action)
    for at in range(1, total + 1):
        work = fresh_copy(template, scratch / "w")
        assert run_in_child(lambda: with_store(work, action), at=at) == EXIT_CODE
        assert reopen_and_judge(work) == reopen_and_judge(images / str(at)), f"boundary {at}"
