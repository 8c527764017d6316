"""KPI rows out: CSV, XLSX and an offline HTML chart (Plotly, with plotly.js inlined).

Works on the aggregated rows of :func:`dozvon.analytics.sql_kpi.kpi_report` — a few
thousand at most — never on events. Column titles are in the reader's language.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from dozvon.core.i18n import current_language

PERCENT = ("car", "lcr", "p_wait", "service_level", "service_level_excl_short", "service_level_of_answered", "fcr",
           "recovered", "lcr_customers", "occupancy")
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("period", "period", "период"),
    ("project", "project", "проект"),
    ("queue", "queue", "очередь"),
    ("channel", "channel", "канал"),
    ("operator", "operator", "оператор"),
    ("source", "source", "источник"),
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


def write_chart(
    rows: list[dict[str, Any]], hourly: list[dict[str, Any]], path: Path, tz: str, cut: str | None, title: str
) -> None:
    """KPI trends per period (one line per cut value) and the hot-hours heat-map."""
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
    series: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        series[str(row.get(cut)) if cut else ("all" if not ru else "все")].append(row)
    for label, points in series.items():
        x = [p["period"] for p in points]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[p["service_level"] for p in points],
                name=f"{names['service_level']} {label}",
                mode="lines+markers",
            ),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Scatter(x=x, y=[p["car"] for p in points], name=f"CAR {label}", mode="lines", line={"dash": "dot"}),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Bar(x=x, y=[p["offered"] for p in points], name=f"{names['offered']} {label}", opacity=0.5), row=2, col=1
        )
        figure.add_trace(
            go.Scatter(x=x, y=[p["asa_s"] for p in points], name=f"{names['asa_s']} {label}", mode="lines"),
            row=2,
            col=1,
            secondary_y=True,
        )
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] if not ru else ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    grid = [[0.0] * 24 for _ in range(7)]
    zone = ZoneInfo(tz)
    for row in hourly:
        start = datetime.fromisoformat(row["period"]).astimezone(zone)
        grid[start.weekday()][start.hour] += row["offered"]
    figure.add_trace(
        go.Heatmap(z=grid, x=[f"{h:02d}" for h in range(24)], y=days, colorscale="YlOrRd", showscale=False),
        row=3,
        col=1,
    )
    figure.update_yaxes(tickformat=".0%", row=1, col=1)
    figure.update_yaxes(autorange="reversed", row=3, col=1)  # Monday on top, as in a calendar
    figure.update_layout(title=title, height=1100, template="plotly_white")
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")
