"""The event log (filtered, paginated), the live wallboard and KPI reports."""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response

from dozvon.accounts import queries as account_queries
from dozvon.analytics.export import write_chart, write_csv, write_xlsx
from dozvon.analytics.sql_kpi import CUTS, kpi_report
from dozvon.analytics.task_kpi import CUTS as TASK_CUTS
from dozvon.analytics.task_kpi import task_report
from dozvon.core.errors import InvalidInput
from dozvon.eventlog import repository as eventlog
from dozvon.server.deps import HubDep, SessionDep, page
from dozvon.server.gate import needs

router = APIRouter(tags=["observe"])


@router.get("/projects/{project}/events", summary="The event log in order; page on with after=next_after",
            **needs("events:read"))
def list_events(project: str, session: SessionDep,
                after: Annotated[int, Query(ge=0, le=2**62)] = 0,
                limit: Annotated[int, Query(ge=1, le=5000)] = 500,
                type: Annotated[list[str] | None, Query(max_length=64)] = None,
                contact_id: Annotated[str | None, Query(max_length=128)] = None,
                since: Annotated[float | None, Query(ge=0, le=1e11)] = None,
                until: Annotated[float | None, Query(ge=0, le=1e11)] = None) -> dict[str, Any]:
    rows = eventlog.list_events(session, project, after_seq=after, limit=limit, types=type or (),
                                contact_id=contact_id,
                                since_us=eventlog.to_us(since) if since is not None else None,
                                until_us=eventlog.to_us(until) if until is not None else None)
    items = [eventlog.as_dict(r) for r in rows]
    return page(items, next_after=rows[-1].seq if rows else after)


@router.get("/projects/{project}/wallboard",
            summary="Live: waiting contacts, longest wait, operators by presence, today's KPIs",
            **needs("reports:read"))
def wallboard(project: str, hub: HubDep) -> dict[str, Any]:
    return hub.wallboard(project)


@router.get("/projects/{project}/reports/kpi",
            summary="KPIs by period and cuts (METRICS.md), as JSON, CSV or XLSX", **needs("reports:read"))
def kpi(project: str, session: SessionDep,
        since: Annotated[date | None, Query(description="first day (local time); default: 7 days ago")] = None,
        until: Annotated[date | None, Query(description="day after the last; default: tomorrow")] = None,
        period: Annotated[Literal["15min", "hour", "day", "week", "month", "all"], Query()] = "day",
        by: Annotated[list[Literal["project", "queue", "channel", "operator", "source", "segment"]] | None,
                      Query()] = None,
        format: Annotated[Literal["json", "csv", "xlsx", "html"], Query(
            description="html: an offline page with the KPI trends and the hot-hours heat-map")] = "json") -> Any:
    tz = account_queries.get_project(session, project).timezone
    zone = ZoneInfo(tz)
    today = datetime.now(zone).date()
    first = since if since is not None else today - timedelta(days=7)
    last = until if until is not None else today + timedelta(days=1)
    if last <= first or (last - first).days > 3700:
        raise InvalidInput("report.bad_range", since=first.isoformat(), until=last.isoformat())
    cuts = tuple(dict.fromkeys(by or ()))
    assert all(c in CUTS for c in cuts)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone)
    rows = kpi_report(session, [project], start, end, period=period, by=cuts, tz=tz)
    name = f"kpi-{project}-{first.isoformat()}-{last.isoformat()}"
    if format == "csv":
        out = io.StringIO()
        write_csv(rows, out)
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}.csv"'})
    if format == "html":
        hourly = rows if period == "hour" and not cuts else kpi_report(session, [project], start, end,
                                                                        period="hour", tz=tz)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name}.html"
            write_chart(rows, hourly, path, tz, cuts[0] if cuts else None, f"KPI {project}")
            page_html = path.read_text(encoding="utf-8")
        return Response(page_html, media_type="text/html; charset=utf-8")
    if format == "xlsx":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"{name}.xlsx"
            write_xlsx(rows, path, title=f"KPI {project}")
            data = path.read_bytes()
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": f'attachment; filename="{name}.xlsx"'})
    task_cuts = tuple(c for c in cuts if c in TASK_CUTS)
    return {"project": project, "timezone": tz, "since": first.isoformat(), "until": last.isoformat(),
            "period": period, "by": list(cuts), "rows": rows,
            "tasks": task_report(session, [project], start, end, period=period, by=task_cuts, tz=tz)}
