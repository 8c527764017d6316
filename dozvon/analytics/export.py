"""KPI rows out: CSV, XLSX and an offline HTML chart (Plotly, with plotly.js inlined).

Works on the aggregated rows of :func:`dozvon.analytics.sql_kpi.kpi_report` — a few
thousand at most — never on events. Column titles are in the reader's language.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from dozvon.core.i18n import current_language

PERCENT = ("car", "lcr", "p_wait", "service_level", "service_level_excl_short", "service_level_of_answered", "fcr",
           "recovered", "lcr_customers", "occupancy", "csat")
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("period", "period", "период"),
    ("project", "project", "проект"),
    ("queue", "queue", "очередь"),
    ("channel", "channel", "канал"),
    ("operator", "operator", "оператор"),
    ("source", "source", "источник"),
    ("segment", "segment", "сегмент"),
    ("inbound", "inbound", "входящих"),
    ("offered", "offered", "поступило в очередь"),
    ("answered", "answered", "отвечено"),
    ("abandoned", "abandoned", "потеряно"),
    ("short_abandons", "short abandons", "короткие потери"),
    ("car", "CAR", "CAR"),
    ("lcr", "LCR", "LCR"),
    ("p_wait", "P(wait)", "P(ожидания)"),
    ("asa_s", "ASA, s", "ASA, с"),
    ("service_level", "service level", "уровень сервиса"),
    ("service_level_excl_short", "SL excl. short abandons", "SL без коротких потерь"),
    ("service_level_of_answered", "SL of answered", "SL от отвеченных"),
    ("avg_abandon_s", "avg abandon wait, s", "ср. ожидание до ухода, с"),
    ("aht_s", "AHT, s", "AHT, с"),
    ("rona", "RONA", "RONA"),
    ("occupancy", "occupancy", "загрузка"),
    ("fcr", "FCR", "FCR"),
    ("recovered", "recovered", "возвращено"),
    ("lcr_customers", "LCR of customers", "LCR по клиентам"),
    ("first_response_s", "first response, s", "первый ответ, с"),
    ("csat", "CSAT", "CSAT"),
    ("csat_answers", "survey answers", "ответов на опрос"),
)


def _columns(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    ru = current_language() == "ru"
    present = set(rows[0]) if rows else {"period"}
    return [(key, ru_title if ru else en_title) for key, en_title, ru_title in COLUMNS if key in present]


def write_csv(rows: list[dict[str, Any]], out: TextIO) -> None:
    columns = _columns(rows)
    writer = csv.writer(out)
    writer.writerow([title for _, title in columns])
    for row in rows:
        writer.writerow(["" if row.get(key) is None else row[key] for key, _ in columns])


def write_xlsx(rows: list[dict[str, Any]], path: Path, title: str = "KPI") -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = _columns(rows)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append([name for _, name in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(key) for key, _ in columns])
    for index, (key, name) in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, len(name) + 2, 26 if key == "period" else 0)
        if key in PERCENT:
            for cell in sheet[letter][1:]:
                cell.number_format = "0.0%"
        elif key.endswith("_s"):
            for cell in sheet[letter][1:]:
                cell.number_format = "0.0"
    sheet.freeze_panes = "B2"
    book.save(path)


#: Share of a period its bars fill (the rest is the gap between periods).
BAR_FILL = 0.8
#: Up to this many periods, each is named under its bar.
LABELLED_PERIODS = 12


@dataclass(frozen=True, slots=True)
class _Span:
    """A period on the chart's time axis, in local wall-clock time (Plotly's date axes have
    no time zones: a local day is 24 h there even when clocks change)."""

    start: datetime
    end: datetime

    @property
    def length_ms(self) -> float:
        return (self.end - self.start).total_seconds() * 1000

    @property
    def middle(self) -> datetime:
        return self.start + (self.end - self.start) / 2

    def label(self) -> str:
        """The period as a reader names it: 2026-01 for a month, 2026-01-05 for a day,
        2026-01-05 11:00–12:00 for an hour, otherwise from – to."""
        start, end = self.start, self.end
        if start.time() == end.time() == time(0):
            if start.day == end.day == 1 and (end.year - start.year) * 12 + end.month - start.month == 1:
                return f"{start:%Y-%m}"
            last_day = end - timedelta(days=1)
            return f"{start:%Y-%m-%d}" if last_day == start else f"{start:%Y-%m-%d} – {last_day:%Y-%m-%d}"
        if end - start <= timedelta(hours=1):
            return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def _spans(rows: list[dict[str, Any]], zone: ZoneInfo) -> dict[str, _Span]:
    """Each row's period in local wall-clock time, with its end: ``period_end`` where the
    rows carry it, else the smallest step between periods (a lone period: a day)."""

    def wall(text: str) -> datetime:
        return datetime.fromisoformat(text).astimezone(zone).replace(tzinfo=None)

    starts = sorted({wall(r["period"]) for r in rows})
    steps = [b - a for a, b in pairwise(starts)]
    step = min(steps) if steps else timedelta(days=1)
    return {r["period"]: _Span(wall(r["period"]), wall(r["period_end"]) if r.get("period_end")
                               else wall(r["period"]) + step) for r in rows}


def chart_figure(rows: list[dict[str, Any]], hourly: list[dict[str, Any]], tz: str, cut: str | None,
                 title: str) -> Any:
    """The chart as a Plotly figure: KPI trends per period (one series per cut value) and the
    hot-hours heat-map. Bars fill their period; lines and markers sit in its middle, so a
    single period reads as one bar with its name under it, not as a bar across the page."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    ru = current_language() == "ru"
    names = {
        "service_level": "SL",
        "asa_s": "ASA, s" if not ru else "ASA, с",
        "car": "CAR",
        "offered": "offered" if not ru else "поступило",
    }
    figure = make_subplots(
        rows=3,
        cols=1,
        vertical_spacing=0.08,
        subplot_titles=(
            "Service level and CAR" if not ru else "Уровень сервиса и CAR",
            "Contacts and ASA" if not ru else "Обращения и ASA",
            "Hot hours: contacts by weekday and hour" if not ru else "Горячие часы: обращения по дням недели и часам",
        ),
        specs=[[{}], [{"secondary_y": True}], [{}]],
    )
    zone = ZoneInfo(tz)
    spans = _spans(rows, zone)
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        series[str(row.get(cut)) if cut else ("all" if not ru else "все")].append(row)
    for index, (label, points) in enumerate(series.items()):
        periods = [spans[p["period"]] for p in points]
        x = [s.middle for s in periods]
        named = {"customdata": [s.label() for s in periods]}
        figure.add_trace(_line(x, points, "service_level", f"{names['service_level']} {label}", named), row=1, col=1)
        figure.add_trace(_line(x, points, "car", f"CAR {label}", {**named, "line": {"dash": "dot"}}), row=1, col=1)
        # Each series takes its slot of the period: side by side, never over each other.
        slot = [BAR_FILL * s.length_ms / len(series) for s in periods]
        offset = [-BAR_FILL * s.length_ms / 2 + index * w for s, w in zip(periods, slot, strict=True)]
        figure.add_trace(
            go.Bar(x=x, y=[p["offered"] for p in points], name=f"{names['offered']} {label}", opacity=0.5,
                   width=slot, offset=offset, hovertemplate="%{customdata}: %{y}<extra>%{fullData.name}</extra>",
                   **named),
            row=2, col=1,
        )
        figure.add_trace(_line(x, points, "asa_s", f"{names['asa_s']} {label}", named), row=2, col=1,
                         secondary_y=True)
    distinct = sorted(set(spans.values()), key=lambda s: s.start)
    if len(distinct) == 1:
        # One period: show it with room on both sides and name it, instead of letting
        # Plotly zoom into the instant of its single point (millisecond ticks).
        (only,) = distinct
        length = only.end - only.start
        for row_number in (1, 2):
            figure.update_xaxes(range=[only.start - length, only.end + length], tickvals=[only.middle],
                                ticktext=[only.label()], row=row_number, col=1)
    elif distinct:
        # A few periods: each named under its bar; many: Plotly's own date ticks.
        ticks = ({"tickvals": [s.middle for s in distinct], "ticktext": [s.label() for s in distinct]}
                 if len(distinct) <= LABELLED_PERIODS else {})
        for row_number in (1, 2):
            figure.update_xaxes(range=[distinct[0].start, distinct[-1].end], row=row_number, col=1, **ticks)
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] if not ru else ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    grid = [[0.0] * 24 for _ in range(7)]
    for row in hourly:
        start = datetime.fromisoformat(row["period"]).astimezone(zone)
        grid[start.weekday()][start.hour] += row["offered"]
    figure.add_trace(
        go.Heatmap(z=grid, x=[f"{h:02d}" for h in range(24)], y=days, colorscale="YlOrRd", showscale=False),
        row=3,
        col=1,
    )
    # Shares run from 0 to 100 %, whatever the data: an SL of 40 % must look like 40 %.
    figure.update_yaxes(range=[0, 1], tickformat=".0%", row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=2, col=1, secondary_y=False)
    figure.update_yaxes(rangemode="tozero", row=2, col=1, secondary_y=True)
    figure.update_yaxes(autorange="reversed", row=3, col=1)  # Monday on top, as in a calendar
    figure.update_layout(title=title, height=1100, template="plotly_white")
    return figure


def _line(x: list[datetime], points: list[dict[str, Any]], key: str, name: str, style: dict[str, Any]) -> Any:
    """One KPI as a line with markers (a single period is one marker, still visible)."""
    import plotly.graph_objects as go

    value = "%{y:.1%}" if key in PERCENT else "%{y:.1f}"
    return go.Scatter(x=x, y=[p[key] for p in points], name=name, mode="lines+markers", cliponaxis=False,
                      hovertemplate=f"%{{customdata}}: {value}<extra>%{{fullData.name}}</extra>", **style)


def write_chart(
    rows: list[dict[str, Any]], hourly: list[dict[str, Any]], path: Path, tz: str, cut: str | None, title: str
) -> None:
    """KPI trends per period (one line per cut value) and the hot-hours heat-map, as one
    self-contained HTML file (plotly.js inlined: no network needed to open it)."""
    figure = chart_figure(rows, hourly, tz, cut, title)
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")
