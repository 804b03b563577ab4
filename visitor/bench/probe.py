"""What the benchmark runs in a fresh interpreter, one measurement per process.

``python -m visitor.bench.probe RESULT KIND ARGS...`` writes one JSON object to the file RESULT. Every
figure comes from inside the measured process: peak memory is this process's own high-water mark
(``VmHWM``), never ``ru_maxrss``, which a child inherits from the process that started it. Only the
standard library is imported before the clock starts, so the app and its floor pay the same overhead.

Kinds:
  startup app|minimal DATA W H   fresh interpreter → idle first screen (the reg44 dashboard or one label)
  session DATA W H KEYS          dashboard → home → trends → walkthrough; keystroke-to-screen-update times
                                 in the longest walkthrough section; peak memory with the walkthrough open
  summaries DATA                 recompute every home's dashboard summary from the files on a fresh Store
  cli ARGS...                    one ``reg44`` command (``--data`` included in ARGS); its exit status
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import json  # the clock starts before any import
import sys

TYPE_CHECKING = False  # mypy reads it as True; `typing` itself is not imported into the measured process
if TYPE_CHECKING:
    from collections.abc import Callable


def peak_mb() -> float:
    """This process's peak resident memory in MB (its own address space only)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource  # not Linux: the best available, correct for a process started by exec without fork

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def startup(kind: str, data: str, width: str, height: str) -> dict:
    import asyncio
    from pathlib import Path

    from textual.app import App  # both kinds load it: the app's own import would

    app: App
    if kind == "app":
        from visitor.tui.app import Reg44App

        app = Reg44App(Path(data))
    else:
        from textual.widgets import Label

        class Minimal(App):
            def compose(self):
                yield Label("reg44")
        app = Minimal()
    result: dict = {}

    async def main() -> None:
        async with app.run_test(size=(int(width), int(height))) as pilot:
            await pilot.pause()
            if kind == "app":
                from visitor.tui.widgets.homes_table import HomesTable  # already loaded by the dashboard

                rows = app.screen.query_one("#homes", HomesTable).row_count
                if rows == 0:
                    raise SystemExit("the dashboard shows no homes")
            result["seconds"] = time.perf_counter() - _STARTED
            result["cpu_seconds"] = time.process_time()  # since the interpreter started, all threads
    asyncio.run(main())
    return result


def session(data: str, width: str, height: str, keys: str) -> dict:
    import asyncio
    import statistics
    from pathlib import Path

    from textual import events
    from textual._compositor import CompositorUpdate

    from visitor.tui.app import Reg44App
    from visitor.tui.screens.home import HomeScreen
    from visitor.tui.screens.trends import TrendsScreen
    from visitor.tui.screens.visit import VisitScreen
    from visitor.tui.widgets.fields import (
        ChoiceField,
        LineField,
        NotesField,
        NumberField,
        YesNoField,
    )

    app = Reg44App(Path(data))
    result: dict = {}
    walls: list[float] = []
    display = app._display

    def display_and_render(screen, renderable) -> None:
        """The headless driver skips turning an update into terminal bytes; a real terminal does not."""
        display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
    # a private method replaced on this one instance; setattr, as mypy refuses assigning to a method
    setattr(app, "_display", display_and_render)  # noqa: B010

    async def expect(pilot, kind, *keys_: str) -> None:
        await pilot.press(*keys_)
        await pilot.pause()
        if not isinstance(app.screen, kind):
            raise SystemExit(f"after {keys_} the screen is {type(app.screen).__name__}, not {kind.__name__}")

    async def settle() -> None:
        """Until the event loop has nothing ready to run: every handler the key set off has finished."""
        loop = asyncio.get_running_loop()

        def busy() -> bool:
            # asyncio's private queue of ready callbacks: typeshed leaves private attributes out
            return bool(getattr(loop, "_ready"))  # noqa: B009

        while True:
            await asyncio.sleep(0)
            if not busy():
                await asyncio.sleep(0)
                if not busy():
                    return

    async def keystroke(key: str, char: str | None) -> float:
        """Key event in → handlers done → the screen's update composed and rendered (twice: a refresh can
        schedule more work), as CPU time of the app's thread, so that other processes on a shared
        machine do not count (wall time is kept too). Textual's frame pacing (an update waits for the
        next 1/60 s tick) is idle time and not counted; Pilot's own waits would add ~13 ms per key."""
        start, cpu = time.perf_counter(), time.thread_time()
        app.post_message(events.Key(key, char))
        for _ in range(2):
            await settle()
            app.screen._on_timer_update()
        walls.append((time.perf_counter() - start) * 1000)
        return (time.thread_time() - cpu) * 1000

    def answer_key(widget) -> tuple[str, str | None] | None:
        if isinstance(widget, YesNoField):
            return ("y", "y")
        if isinstance(widget, (NumberField, ChoiceField)):
            return ("1", "1")
        if isinstance(widget, (NotesField, LineField)):
            return ("x", "x")
        return None

    async def main() -> None:
        async with app.run_test(size=(int(width), int(height))) as pilot:
            await pilot.pause()
            await expect(pilot, HomeScreen, "enter")
            await expect(pilot, TrendsScreen, "t")
            await pilot.press("escape", "escape")
            await pilot.pause()
            await pilot.press("v")
            await pilot.pause()
            if not isinstance(app.screen, VisitScreen):  # no draft yet: accept the start-visit form
                await expect(pilot, VisitScreen, "ctrl+s")
            screen = app.screen
            assert isinstance(screen, VisitScreen)  # checked just above, by the test or by ``expect``
            sizes: dict[str, int] = {}
            for section_id, _ in screen.sections:
                await screen.show_section(section_id)
                await pilot.pause()
                sizes[section_id] = len(screen.fields)
            longest = max(sizes, key=lambda section: sizes[section])
            await screen.show_section(longest)
            await pilot.pause()
            times: list[float] = []
            while len(times) < int(keys):
                answer = answer_key(app.focused)
                if answer:
                    times.append(await keystroke(*answer))
                times.append(await keystroke("tab", "\t"))
            await pilot.pause()
            assert screen.saver is not None  # a walkthrough opened for writing saves as it goes
            screen.saver.flush(10)
            result.update(section=longest, fields=sizes[longest], keystrokes=len(times),
                          key_p50_ms=statistics.median(times), key_p95_ms=statistics.quantiles(times, n=20)[-1],
                          key_max_ms=max(times), key_wall_p95_ms=statistics.quantiles(walls, n=20)[-1],
                          peak_mb=peak_mb())
    asyncio.run(main())
    return result


def summaries(data: str) -> dict:
    from visitor import workflow
    from visitor.store import Store

    start, cpu = time.perf_counter(), time.process_time()
    store = Store(data, readonly=True)
    count = 0
    for home in store.homes():
        workflow.summarise(store, home.id)
        count += 1
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu, "homes": count}


def cli(*argv: str) -> dict:
    """One command; its CPU time includes the worker processes it forked (``visitor.fanout``)."""
    import os
    import resource

    from visitor.cli import main

    start, before = time.perf_counter(), os.times()
    status = main(list(argv))
    after = os.times()
    own = (after.user - before.user) + (after.system - before.system)
    workers = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    workers_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # kB on Linux
    return {"seconds": time.perf_counter() - start, "cpu_seconds": own + workers, "workers_cpu_seconds": workers,
            "workers_peak_mb": workers_peak if workers else 0.0, "status": status}


KINDS: dict[str, Callable[..., dict]] = {"startup": startup, "session": session, "summaries": summaries, "cli": cli}


def run(argv: list[str]) -> None:
    target, kind, *args = argv
    result = KINDS[kind](*args)
    result.setdefault("peak_mb", peak_mb())
    with open(target, "w", encoding="utf-8") as out:
        json.dump(result, out)


if __name__ == "__main__":
    run(sys.argv[1:])
