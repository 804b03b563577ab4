"""Trends for one home: measures across visits, the patterns of concern with their evidence, and a
side-by-side comparison of any two visits."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, OptionList, Select, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from visitor.tui.widgets.key_line import KeyLine
from visitor import trends, workflow
from visitor.model import ValidationError

CELL_PADDING = 2  # a DataTable cell's padding, one each side
SCROLLBAR = 2  # room kept for the table's vertical scrollbar


def months_that_fit(width: int, fixed: list[str], fixed_rows: list[list[str]], months: list[str],
                    values: list[list[str]]) -> int:
    """How many of the latest month columns fit beside the fixed ones in ``width`` columns; at least one."""
    def column_width(cells: list[str]) -> int:
        return max(cell_len(cell) for cell in cells) + CELL_PADDING

    used = SCROLLBAR + sum(column_width([title, *(row[n] for row in fixed_rows)]) for n, title in enumerate(fixed))
    shown = 0
    for back in range(1, len(months) + 1):
        used += column_width([months[-back], *(row[-back] for row in values if len(row) >= back)])
        if used > width and shown:
            break
        shown = back
    return shown


class TrendsScreen(Screen):
    CSS_PATH = "trends.tcss"
    help_title = "Trends and patterns"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="trends.back", tooltip="Back"),
        Binding("r", "resolve", "Resolve", id="trends.resolve", tooltip="Mark the selected pattern resolved, with a reason"),
        Binding("1", "tab('measures')", "Measures", show=False, id="trends.tab1"),
        Binding("2", "tab('patterns')", "Patterns", show=False, id="trends.tab2"),
        Binding("3", "tab('compare')", "Compare", show=False, id="trends.tab3"),
    ]

    def __init__(self, home_id: str) -> None:
        super().__init__()
        self.home_id = home_id

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="measures"):
            with TabPane("1 Measures", id="measures"):
                yield DataTable(id="measures-table", zebra_stripes=True, fixed_columns=1)
                yield Static("Base: this home's usual level (median of earlier visits); for counts of events "
                             "(marked /c/30d) per child resident per 30 days.", id="measures-legend", classes="muted")
            with TabPane("2 Patterns", id="patterns"):
                with Vertical():
                    yield OptionList(id="flags")
                    yield Static("", id="evidence", markup=False)
            with TabPane("3 Compare", id="compare"):
                with Horizontal(id="pickers"):
                    yield Select([], id="visit-a", prompt="first visit")
                    yield Select([], id="visit-b", prompt="second visit")
                yield DataTable(id="compare-table", fixed_columns=1)
        yield KeyLine()

    def on_mount(self) -> None:
        store = self.app.store
        self.home = store.home(self.home_id)
        self.sub_title = f"{self.home.name} · trends"
        self.names = {c.id: c.code for c in store.children(self.home_id)}
        self.analysis = workflow.analyse_home(store, self.home_id)
        self._fill_measures()
        self._fill_flags()
        options = [(v["date"], v["id"]) for v in reversed(self.analysis.visits)]
        a, b = self.query_one("#visit-a", Select), self.query_one("#visit-b", Select)
        a.set_options(options)
        b.set_options(options)
        if len(options) >= 2:
            b.value, a.value = options[0][1], options[1][1]
        self.query_one("#measures-table").focus()

    def _fill_measures(self) -> None:
        """The latest visits that fit the width, with the latest always shown and the direction and base
        beside it: a visitor reads the last visit against the usual level first."""
        table = self.query_one("#measures-table", DataTable)
        table.clear(columns=True)
        visits = self.analysis.visits
        rows = []
        for series in self.analysis.series.values():
            base = series.baseline(self.analysis.thresholds)
            base_text = trends._num(base) + (" /c/30d" if series.measure.rate and base is not None else "")
            rows.append((Text(series.measure.label), series.sparkline()[-12:],
                         [trends._num(p.value) for p in series.points], series.direction(), base_text))
        months = [v["date"][2:7] for v in visits]
        shown = months_that_fit(self.app.size.width, ["Measure", "Trend", "±", "Base"],
                                [[r[0].plain, r[1], r[3], r[4]] for r in rows], months, [r[2] for r in rows])
        self._measures_width = self.app.size.width
        table.add_columns("Measure", "Trend", *months[len(months) - shown:], "±", "Base")
        for label, spark, values, direction, base_text in rows:
            table.add_row(label, spark, *values[len(values) - shown:], direction, base_text)

    def on_resize(self) -> None:
        if getattr(self, "_measures_width", None) not in (None, self.app.size.width):
            self._fill_measures()

    def _fill_flags(self) -> None:
        """Open patterns grouped by theme, most severe first; a theme's line carries its headline."""
        stored = self.app.store.flags(self.home_id)
        by_key = {f["key"]: f for f in trends.open_flags(stored)}
        flags = self.query_one("#flags", OptionList)
        flags.clear_options()
        self.flags = []
        for theme in trends.themes_of(stored):
            mark = "▲" if theme["severity"] == "high" else "•"
            flags.add_option(Option(Text(f"{mark} {theme['headline']}", style="bold"), disabled=True))
            for key in theme["flags"]:
                flag = by_key[key]
                state = "" if flag.get("active", True) else " (not seen at the latest visit)"
                who = ", ".join(self.names.get(c, "a child") for c in flag.get("children", []))
                who = f" — {who}" if who else ""
                flags.add_option(Option(Text(f"   {'‼' if flag.get('severity') == 'high' else '·'} {flag['title']}"
                                             f"{who}{state}"), id=f"f{len(self.flags)}"))
                self.flags.append(flag)
        if not self.flags:
            flags.add_option(Option("No open patterns of concern.", disabled=True))
        else:
            flags.highlighted = 1
            self._show_evidence(0)

    def _selected_flag(self) -> int | None:
        option_list = self.query_one("#flags", OptionList)
        if option_list.highlighted is None or not self.flags:
            return None
        option_id = option_list.get_option_at_index(option_list.highlighted).id or ""
        return int(option_id[1:]) if option_id.startswith("f") else None

    def _show_evidence(self, index: int) -> None:
        flag = self.flags[index]
        evidence = trends.render(flag["evidence"], lambda cid: self.names.get(cid, "a child"))
        self.query_one("#evidence", Static).update(
            f"{flag['title']}\n\n{evidence}\n\nRaised at the visit of {flag['raised_on']}; last seen {flag.get('last_seen', '')}."
            f" Rule: {', '.join(flag.get('rules') or [flag.get('rule', '')])}. Press r to mark it resolved.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "flags" and self.flags:
            option_id = event.option.id or ""
            if option_id.startswith("f"):
                self._show_evidence(int(option_id[1:]))

    def on_select_changed(self, event: Select.Changed) -> None:
        a, b = self.query_one("#visit-a", Select).value, self.query_one("#visit-b", Select).value
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        if a is Select.NULL or b is Select.NULL:
            return
        table.add_columns("Measure", a.split("@")[1], b.split("@")[1], "Change")
        for row in self.analysis.compare(a, b):
            change = row["change"]
            table.add_row(Text(row["label"]), trends._num(row["a"]), trends._num(row["b"]),
                          "" if change is None else f"{change:+g}")

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        target = {"measures": "#measures-table", "patterns": "#flags", "compare": "#visit-a"}[tab]
        self.query_one(target).focus()

    def action_resolve(self) -> None:
        from visitor.tui.screens.forms import prompt_form

        if not self.app.writable():
            return
        self.action_tab("patterns")
        index = self._selected_flag()
        if index is None:
            return
        flag = self.flags[index]

        def done(reason: str | None) -> None:
            if not reason:
                return
            try:
                workflow.resolve_flag(self.app.store, self.home_id, flag["key"], reason)
            except ValidationError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Resolved: {flag['title']}")
            self._fill_flags()
        self.app.push_screen(prompt_form(f"Resolve: {flag['title']}", "Why is this resolved?", multiline=True), done)
