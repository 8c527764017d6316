// The reports page: the KPI rows of /reports/kpi for the chosen days, granularity and cut,
// as a table (with the whole range's totals) and as Plotly charts — the trends of SL, CAR
// and LCR, of ASA and AHT, and the hot-hours heat-map of offered contacts by weekday and
// hour. The CSV and XLSX links ask the same API for the same rows. plotly.js is the copy
// the pinned Python package ships, served by the server at /static/vendor/plotly.min.js.
import Page from "./page.js";
import { t } from "../lib/controller.js";
import { get } from "../lib/api.js";
import { duration } from "./wallboard.js";

const PALETTE = ["#2f5bea", "#1f9d55", "#d98b06", "#c2334f", "#7a4fd6", "#0f8b8d", "#b4561f", "#5b6475"];
const HEAT_MAX_DAYS = 200;  // the API builds at most 5000 periods: 200 days of hours
const PERCENT = new Set(["service_level", "car", "lcr", "fcr", "occupancy"]);
const TIMES = new Set(["asa_s", "aht_s"]);

let plotly = null;
function loadPlotly() {
  plotly ??= new Promise((resolve, reject) => {
    if (window.Plotly) { resolve(window.Plotly); return; }
    const script = document.createElement("script");
    script.src = "/static/vendor/plotly.min.js";
    script.addEventListener("load", () => resolve(window.Plotly));
    script.addEventListener("error", () => { plotly = null; reject(new Error("plotly.min.js")); });
    document.head.append(script);
  });
  return plotly;
}

const nextDay = (day) => new Date(Date.parse(day + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);

export default class Reports extends Page {
  connect() {
    this.lang = document.documentElement.lang;
    this.zone = this.element.dataset.timezone || "UTC";
    this.percent = new Intl.NumberFormat(this.lang, { style: "percent", maximumFractionDigits: 1 });
    this.count = new Intl.NumberFormat(this.lang);
    this.load();
  }

  get choice() {
    const form = new FormData(this.target("form"));
    let since = form.get("since"), to = form.get("to");
    if (since && to && since > to) [since, to] = [to, since];
    return { project: form.get("project"), since, to, period: form.get("period"), by: form.get("by") };
  }

  submit(event) {
    event.preventDefault();
    const choice = this.choice;
    const url = `/reports?${new URLSearchParams(choice)}`;
    if (choice.project !== this.element.dataset.project) { location.assign(url); return; }  // another time zone
    history.replaceState(null, "", url);
    this.load();
  }

  query(choice, overrides = {}) {
    const params = new URLSearchParams({ since: choice.since, until: nextDay(choice.to), period: choice.period,
                                         ...overrides });
    const by = "by" in overrides ? overrides.by : choice.by;
    params.delete("by");
    if (by) params.set("by", by);
    return `/api/v1/projects/${encodeURIComponent(choice.project)}/reports/kpi?${params}`;
  }

  async load() {
    const choice = this.choice;
    if (!choice.since || !choice.to) return;
    this.target("csv").href = this.query(choice, { format: "csv" });
    this.target("xlsx").href = this.query(choice, { format: "xlsx" });
    const status = this.target("status");
    status.textContent = t("web.reports.loading");
    status.classList.remove("status-line--error");
    const whole = choice.period === "all" && !choice.by;
    const days = (Date.parse(choice.to) - Date.parse(choice.since)) / 86400000 + 1;
    const heat = days <= HEAT_MAX_DAYS;
    try {
      const [report, totals, hourly] = await Promise.all([
        get(this.query(choice)),
        whole ? null : get(this.query(choice, { period: "all", by: "" })),
        heat ? (choice.period === "hour" && !choice.by ? null : get(this.query(choice, { period: "hour", by: "" })))
          : null,
      ]);
      this.zone = report.timezone || this.zone;
      const totalRows = whole ? report.rows : totals.rows;
      this.showTable(report, totalRows);
      this.showTasks(report, whole ? report.tasks : totals.tasks);
      status.textContent = "";
      const Plotly = await loadPlotly();
      this.drawTrends(Plotly, report);
      this.target("heatNote").hidden = heat;
      this.target("heat").hidden = !heat;
      if (heat) this.drawHeat(Plotly, hourly ? hourly.rows : report.rows);
      this.showQuality(choice);  // after the KPIs' charts: it asks the server for more, and is not needed first
    } catch (error) {
      if (error.status === 401) { location.assign("/"); return; }
      status.textContent = t("web.reports.error", { message: error.message });
      status.classList.add("status-line--error");
    }
  }

  // --- evaluations next to the KPIs and CSAT, per operator (the quality section)

  async showQuality(choice) {
    const panel = this.target("qualityPanel");
    let rows;
    try {
      const params = new URLSearchParams({ since: choice.since, until: nextDay(choice.to) });
      rows = (await get(`/api/v1/projects/${encodeURIComponent(choice.project)}/quality/summary?${params}`)).items;
    } catch {
      panel.hidden = true;  // not allowed, or not there: the KPIs stand alone
      return;
    }
    const shown = rows.filter((r) => r.evaluations || r.answered || r.checked);
    panel.hidden = !shown.length;
    if (shown.some((r) => r.evaluations)) this.drawQualityTrend(choice).catch(() => {});
    const dash = "–";
    const number = (v, digits = 0) => (v === null || v === undefined ? dash : v.toFixed(digits));
    const share = (v) => (v === null || v === undefined ? dash : this.percent.format(v));
    this.target("qualityBody").replaceChildren(...shown.map((r) => {
      const tr = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = r.operator_name || r.operator_id;
      const cells = [r.evaluations ?? 0, number(r.score), r.failed_critical ?? dash, r.disputed ?? dash,
        r.answered ?? dash, r.aht_s === null || r.aht_s === undefined ? dash : duration(r.aht_s), share(r.fcr),
        share(r.csat), number(r.check_score), share(r.flagged_share)];
      tr.append(name, ...cells.map((value) => {
        const td = document.createElement("td");
        td.className = "num";
        td.textContent = String(value);
        return td;
      }));
      return tr;
    }));
  }

  // The team's mean evaluation score per ISO week, and each competency's (or each operator's).
  async drawQualityTrend(choice) {
    const params = new URLSearchParams({ since: choice.since, until: nextDay(choice.to) });
    const trend = await get(`/api/v1/projects/${encodeURIComponent(choice.project)}/quality/trends?${params}`);
    const Plotly = await loadPlotly();
    const plot = this.target("qualityTrend");
    const title = t(choice.by === "operator" ? "web.reports.quality_trend_operators" : "web.reports.quality_trend");
    plot.setAttribute("aria-label", title);
    plot.previousElementSibling.textContent = title;
    const line = (name, points, i, width) => ({
      type: "scatter", mode: "lines+markers", name, x: points.map((p) => p.week), y: points.map((p) => p.score),
      line: { color: PALETTE[i % PALETTE.length], width }, marker: { size: width + 3 } });
    // Cut by operator: each operator's line beside the team's; otherwise each competency's.
    const others = choice.by === "operator"
      ? Object.entries(trend.operators).map(([id, points]) => [trend.operator_names[id] || id, points])
      : Object.entries(trend.competencies).map(([id, points]) => [trend.competency_labels[id] || id, points]);
    const traces = [line(t("web.reports.quality_team"), trend.team, 0, 3),
      ...others.map(([name, points], i) => line(name, points, i + 1, 1.5))];
    await Plotly.react(plot, traces,
                       this.layout({ yaxis: { range: [0, 105], gridcolor: "#eef0f3", zeroline: false } }),
                       { displaylogo: false, responsive: true, displayModeBar: false });
  }

  // --- the table

  columns(rows, cut) {
    const present = new Set(rows.flatMap((row) => Object.keys(row)));
    const columns = [["period", "web.reports.col.period"]];
    if (cut) columns.push([cut, `web.reports.by.${cut}`]);
    for (const [key, title] of [["offered", "offered"], ["answered", "answered"], ["abandoned", "abandoned"],
      ["service_level", "sl"], ["asa_s", "asa"], ["aht_s", "aht"], ["car", "car"], ["lcr", "lcr"], ["fcr", "fcr"],
      ["csat", "csat"]]) {
      const optional = key === "fcr" || key === "csat";  // shown where the period has them
      if (present.has(key) && (!optional || rows.some((row) => row[key] !== null && row[key] !== undefined))) {
        columns.push([key, `web.reports.col.${title}`]);
      }
    }
    return columns;
  }

  cell(key, row, period) {
    const value = row[key];
    if (key === "period") return this.periodLabel(row, period);
    if (value === null || value === undefined) return "–";
    if (key === "csat") return value <= 1 ? this.percent.format(value) : value.toFixed(2);
    if (PERCENT.has(key)) return row.offered || key === "fcr" ? this.percent.format(value) : "–";
    if (TIMES.has(key)) return duration(value);
    return typeof value === "number" ? this.count.format(value) : String(value);
  }

  showTable(report, totals) {
    const cut = report.by[0] || "";
    const columns = this.columns([...report.rows, ...totals], cut);
    this.fill("", columns, cut, report.rows, totals, report.period, (key, row, period) => this.cell(key, row, period));
  }

  // Tasks with deadlines by period (and owner when cut by operator): given, done, late,
  // on time, dropped, overdue, time to done — beside the contacts' KPIs.
  showTasks(report, totals) {
    const cut = report.by[0] === "operator" || report.by[0] === "project" ? report.by[0] : "";
    const columns = [["period", "web.reports.col.period"], ...(cut ? [[cut, `web.reports.by.${cut}`]] : []),
      ...["created", "done", "done_late", "done_on_time", "cancelled", "overdue", "time_to_done_s"]
        .map((key) => [key, `web.reports.tasks.${key}`])];
    const rows = report.tasks || [];
    this.target("tasksPanel").hidden = rows.length === 0;
    this.fill("tasks", columns, cut, rows, totals || [], report.period, (key, row, period) => {
      const value = row[key];
      if (key === "period") return this.periodLabel(row, period);
      if (value === null || value === undefined) return "–";
      if (key === "done_on_time") return this.percent.format(value);
      if (key === "time_to_done_s") return duration(value);
      return typeof value === "number" ? this.count.format(value) : String(value);
    });
  }

  // One table's head, rows and totals line; ``prefix`` names its targets (tasksHead …).
  fill(prefix, columns, cut, rows, totals, period, cell) {
    const name = (part) => (prefix ? prefix + part[0].toUpperCase() + part.slice(1) : part);
    this.target(name("head")).replaceChildren(...columns.map(([key, title]) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = t(title);
      if (key !== "period" && key !== cut) th.className = "num";
      return th;
    }));
    const line = (row, rowPeriod, total = false) => {
      const tr = document.createElement("tr");
      for (const [key] of columns) {
        const td = document.createElement(key === "period" ? "th" : "td");
        if (key === "period") td.scope = "row";
        else if (key !== cut) td.className = "num";
        td.textContent = total && key === "period" ? t("web.reports.total") : total && key === cut ? "" : cell(key, row, rowPeriod);
        tr.append(td);
      }
      return tr;
    };
    this.target(name("body")).replaceChildren(...rows.map((row) => line(row, period)));
    this.target(name("foot")).replaceChildren(...(rows.length && totals.length ? [line(totals[0], "all", true)] : []));
    if (!prefix) {
      this.target("empty").hidden = rows.length > 0;
      this.target("table").hidden = rows.length === 0;
    }
  }

  // A period as a reader names it, in the project's time zone.
  periodLabel(row, period) {
    const start = new Date(row.period);
    const options = { timeZone: this.zone };
    if (period === "15min" || period === "hour") Object.assign(options, { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    else if (period === "month") Object.assign(options, { month: "long", year: "numeric" });
    else if (period === "all") return row.period_end ? `${this.day(row.period)} – ${this.day(row.period_end, -1)}` : this.day(row.period);
    else Object.assign(options, { weekday: "short", day: "2-digit", month: "2-digit", year: "numeric" });
    const text = new Intl.DateTimeFormat(this.lang, options).format(start);
    return period === "week" ? `${text} +7` : text;
  }

  // The same period, short enough for a chart's axis.
  tick(row, period) {
    const options = { timeZone: this.zone };
    if (period === "15min" || period === "hour") Object.assign(options, { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    else if (period === "month") Object.assign(options, { month: "short", year: "numeric" });
    else if (period === "all") return this.periodLabel(row, period);
    else Object.assign(options, { weekday: "short", day: "2-digit", month: "2-digit" });
    return new Intl.DateTimeFormat(this.lang, options).format(new Date(row.period));
  }

  day(iso, shift = 0) {
    const date = new Date(Date.parse(iso) + shift * 1000);
    return new Intl.DateTimeFormat(this.lang, { timeZone: this.zone, day: "2-digit", month: "2-digit", year: "numeric" }).format(date);
  }

  // --- the charts

  layout(extra = {}) {
    return {
      margin: { l: 52, r: 16, t: 30, b: 8 }, height: 300, autosize: true,
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: getComputedStyle(document.body).fontFamily, size: 12, color: "#4b5567" },
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 12 } },
      xaxis: { type: "category", automargin: true, gridcolor: "#eef0f3", nticks: 10 },
      hoverlabel: { font: { family: getComputedStyle(document.body).fontFamily } },
      ...extra,
    };
  }

  series(report) {
    const cut = report.by[0];
    const groups = new Map();
    for (const row of report.rows) {
      const name = cut ? String(row[cut] ?? "–") : "";
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(row);
    }
    return [...groups.entries()];
  }

  lines(report, kpis) {
    const groups = this.series(report);
    const traces = [];
    groups.forEach(([group, rows], index) => {
      kpis.forEach(([key, name, dash], k) => {
        traces.push({
          type: "scatter", mode: "lines+markers", name: group ? `${name} · ${group}` : name,
          x: rows.map((row) => this.tick(row, report.period)), y: rows.map((row) => row[key]),
          line: { color: PALETTE[(groups.length > 1 ? index : k) % PALETTE.length], width: 2.5, dash },
          marker: { size: 6 },
          hovertemplate: `%{x}: %{y${PERCENT.has(key) ? ":.1%" : ":.0f"}}${TIMES.has(key) ? " " + t("web.reports.seconds") : ""}<extra>%{fullData.name}</extra>`,
        });
      });
    });
    return traces;
  }

  drawTrends(Plotly, report) {
    // No mode bar: it styles itself inline, which the page's Content-Security-Policy refuses.
    const config = { displaylogo: false, responsive: true, displayModeBar: false };
    const shares = report.by[0] ? [["service_level", "SL", "solid"], ["car", "CAR", "dot"]]
      : [["service_level", "SL", "solid"], ["car", "CAR", "dot"], ["lcr", "LCR", "dash"]];
    Plotly.react(this.target("shares"), this.lines(report, shares),
                 this.layout({ yaxis: { range: [0, 1.02], tickformat: ".0%", gridcolor: "#eef0f3", zeroline: false } }), config);
    const times = [["asa_s", "ASA", "solid"], ["aht_s", "AHT", "dot"]];
    Plotly.react(this.target("times"), this.lines(report, times),
                 this.layout({ yaxis: { rangemode: "tozero", gridcolor: "#eef0f3", ticksuffix: " " + t("web.reports.seconds"), zeroline: false } }), config);
  }

  drawHeat(Plotly, rows) {
    const days = t("web.reports.weekdays").split(",");
    const z = days.map(() => new Array(24).fill(0));
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: this.zone, weekday: "short", hour: "2-digit", hourCycle: "h23" });
    const index = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
    for (const row of rows) {
      const found = Object.fromEntries(parts.formatToParts(new Date(row.period)).map((p) => [p.type, p.value]));
      z[index[found.weekday]][Number(found.hour) % 24] += row.offered;
    }
    const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
    const trace = {
      type: "heatmap", z, x: hours, y: days, xgap: 2, ygap: 2,
      zmin: 0, zmax: Math.max(1, ...z.flat()),  // no contacts at all: every hour pale, not all orange
      text: z.map((line) => line.map((n) => (n ? String(n) : ""))), texttemplate: "%{text}",
      colorscale: [[0, "#f3f5f9"], [0.15, "#fdf1dc"], [0.5, "#f5a524"], [1, "#c9362b"]],
      showscale: false,
      hovertemplate: `%{y} %{x}:00 — %{z} ${t("web.reports.contacts")}<extra></extra>`,
    };
    Plotly.react(this.target("heat"), [trace], this.layout({
      height: 290, margin: { l: 44, r: 8, t: 4, b: 28 },
      xaxis: { type: "category", ticks: "", side: "bottom" },
      yaxis: { autorange: "reversed", ticks: "" },
    }), { displaylogo: false, responsive: true, displayModeBar: false });
  }
}
