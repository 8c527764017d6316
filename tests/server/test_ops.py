"""Health, readiness, metrics and the OpenAPI document."""

from __future__ import annotations

from dozvon.routing.events import RoutingEvent
from dozvon.server.metrics import Metrics
from tests.server.conftest import Live


def test_health_ready_and_metrics(live: Live) -> None:
    anonymous = live.client()
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    ready = anonymous.get("/readyz")
    assert ready.status_code == 200 and ready.json()["projects"] == 2
    live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "voice", "external_id": "m-1", "queue": "sales"})
    text = anonymous.get("/metrics").text
    assert 'dozvon_contacts_waiting{project="alpha",queue="sales"} 1.0' in text
    assert 'dozvon_contacts_total{project="alpha"} 1.0' in text
    assert 'dozvon_operators{presence="offline",project="alpha"} 2.0' in text
    assert "dozvon_ingest_seconds_bucket" in text


def test_the_counters_count_every_event_of_a_commit_by_project() -> None:
    """A commit's events are counted per counter once, by how many the commit holds; the
    answer waits are observed one by one; each project keeps its own figures."""
    metrics = Metrics()

    def event(seq: int, kind: str, **data: float) -> RoutingEvent:
        return RoutingEvent(seq, kind, 0.0, contact_id=f"c{seq}", data=dict(data))

    metrics.observe("alpha", [event(1, "contact.arrived"), event(2, "contact.arrived"), event(3, "offer.created"),
                              event(4, "contact.answered", wait_s=12.0), event(5, "message.in")])
    metrics.observe("alpha", [event(6, "contact.arrived"), event(7, "contact.answered", wait_s=3.0),
                              event(8, "offer.timed_out")])
    metrics.observe("beta", [event(1, "contact.arrived"), event(2, "contact.abandoned")])
    metrics.ingest_latency_of("beta").observe(0.004)
    text = metrics.render().decode()
    for line in ['dozvon_contacts_total{project="alpha"} 3.0', 'dozvon_offers_total{project="alpha"} 1.0',
                 'dozvon_answers_total{project="alpha"} 2.0', 'dozvon_rona_total{project="alpha"} 1.0',
                 'dozvon_answer_wait_seconds_count{project="alpha"} 2.0',
                 'dozvon_answer_wait_seconds_sum{project="alpha"} 15.0',
                 'dozvon_contacts_total{project="beta"} 1.0', 'dozvon_abandons_total{project="beta"} 1.0',
                 'dozvon_ingest_seconds_bucket{le="0.005",project="beta"} 1.0']:
        assert line in text, line
    assert 'dozvon_answers_total{project="beta"}' not in text


def test_openapi_declares_a_permission_for_every_api_operation(live: Live) -> None:
    schema = live.client().get("/openapi.json").json()
    missing = [(m, p) for p, item in schema["paths"].items() if p.startswith("/api/v1")
               for m, op in item.items() if "x-permission" not in op]
    assert missing == []
    assert live.client().get("/docs").status_code == 200


def test_reports_api_serves_kpis_as_json_csv_and_xlsx(live: Live) -> None:
    live.token_client("alpha").post("/api/v1/projects/alpha/ingest/contacts", json={
        "channel": "voice", "external_id": "r-1", "queue": "sales"})
    live.token_client("alpha").post("/api/v1/projects/alpha/ingest/left", json={
        "channel": "voice", "external_id": "r-1"})
    viewer = live.client("alpha-viewer")
    report = viewer.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all", "by": "queue"})
    assert report.status_code == 200, report.text
    rows = report.json()["rows"]
    assert [(r["queue"], r["offered"], r["abandoned"]) for r in rows] == [("sales", 1, 1)]
    csv = viewer.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all", "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and len(csv.text.splitlines()) == 2
    xlsx = viewer.get("/api/v1/projects/alpha/reports/kpi", params={"period": "all", "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"
    chart = viewer.get("/api/v1/projects/alpha/reports/kpi", params={"period": "hour", "format": "html"})
    assert chart.status_code == 200 and "plotly" in chart.text.lower() and "<script src=\"http" not in chart.text
    backwards = viewer.get("/api/v1/projects/alpha/reports/kpi", params={"since": "2026-02-01", "until": "2026-01-01"})
    assert backwards.status_code == 422
