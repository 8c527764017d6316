// The supervisor's live wallboard: reads the board (and the operators' capacity) over REST,
// then streams the project's events and re-reads the board after them — at most once a
// second, however busy the center is. Waits and times in state tick every second between
// reads. A viewer without the project's stream reads the board every few seconds instead.
// TV mode: full screen where the browser allows it, large type, no controls.
import Page from "./page.js";
import { label, t } from "../lib/controller.js";
import { taskItem } from "../lib/tasks.js";
import { get, patch, post, sleep } from "../lib/api.js";
import { Stream } from "../lib/stream.js";

const MIN_GAP_MS = 1000;    // no more than one read of the board a second
const SAFETY_MS = 10000;    // and one every 10 s anyway: a wait passes its target without any event
const POLL_MS = 3000;       // without the stream
const ORDER = ["ringing", "busy", "wrap_up", "available", "not_ready", "break", "offline"];

export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}


export default class Wallboard extends Page {
  connect() {
    const { project, stream } = this.element.dataset;
    this.base = `/api/v1/projects/${encodeURIComponent(project)}`;
    this.streaming = Boolean(stream);
    this.percent = new Intl.NumberFormat(document.documentElement.lang, { style: "percent", maximumFractionDigits: 0 });
    this.count = new Intl.NumberFormat(document.documentElement.lang);
    this.rows = new Map();
    this.cards = new Map();
    this.info = new Map();  // operator id -> {capacity, state_since} from /operators
    this.lastRead = 0;
    setInterval(() => this.tick(), 1000);
    document.addEventListener("fullscreenchange", () => {
      if (!document.fullscreenElement && this.fullscreen) { this.fullscreen = false; this.exitTv(); }
    });
    this.tick();
    this.start();
  }

  async start() {
    for (let delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
      try {
        const seq = await this.readOperators();
        this.show(await get(`${this.base}/wallboard`));
        if (this.streaming) {
          this.stream = new Stream(this.element.dataset.project, {
            onEvent: (event) => this.onEvent(event),
            onStatus: (status) => { this.connection(status); if (status === "up") this.schedule(); },
          });
          this.stream.start(seq);
        } else {
          this.connection("poll");
        }
        setInterval(() => this.schedule(), this.streaming ? SAFETY_MS : POLL_MS);
        return;
      } catch (error) {
        if (error.status === 401) { location.assign("/"); return; }
        this.connection("down");
        await sleep(delay);
      }
    }
  }

  async readOperators() {
    const listed = await get(`${this.base}/operators`);
    this.info = new Map(listed.items.map((op) => [op.id, op]));
    return listed.seq;
  }

  onEvent(event) {
    if (event.type === "operator.configured") this.operatorsStale = true;
    this.schedule();
  }

  // Debounced: the first event after a quiet second reads at once, a burst reads once a second.
  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRead + MIN_GAP_MS - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.refresh(); }, wait);
  }

  async refresh() {
    if (this.reading) { this.again = true; return; }
    this.reading = true;
    this.lastRead = Date.now();
    try {
      if (this.operatorsStale) { this.operatorsStale = false; await this.readOperators(); }
      this.show(await get(`${this.base}/wallboard`));
    } catch (error) {
      if (error.status === 401) location.assign("/");
    } finally {
      this.reading = false;
      if (this.again) { this.again = false; this.schedule(); }
    }
  }

  show(board) {
    this.board = board;
    this.readAt = performance.now();
    const today = board.today;
    this.target("waiting").textContent = this.count.format(board.waiting);
    this.target("waiting").closest(".tile").classList.toggle("tile--alert", board.waiting > 0);
    this.target("offered").textContent = this.count.format(today.offered);
    this.target("answered").textContent = this.count.format(today.answered);
    this.target("abandoned").textContent = this.count.format(today.abandoned);
    const sl = this.target("sl");
    sl.textContent = today.service_level_now === null ? "–" : this.percent.format(today.service_level_now);
    sl.closest(".tile").classList.toggle("tile--below", today.below_goal);
    this.target("asa").textContent = duration(today.asa_s);
    const presences = Object.values(board.by_operator).map((op) => op.presence);
    const loggedIn = presences.filter((p) => p !== "offline").length;
    this.target("online").textContent = this.count.format(presences.filter((p) => p === "available").length);
    this.target("loggedIn").textContent = t("web.board.on_line_of", { n: loggedIn });
    this.showTasks(board.tasks);
    this.showChannels(board.channels);
    this.showQueues(board);
    this.showOperators(board);
    this.showLegend(presences);
    const time = new Date().toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    this.target("updated").textContent = t("web.board.updated", { time });
    this.tick();
  }

  // No request left unanswered: overdue tasks counted, and the most overdue by owner.
  showTasks(tasks) {
    if (!tasks) return;
    const value = this.target("tasksOverdue");
    value.textContent = this.count.format(tasks.overdue);
    value.closest(".tile").classList.toggle("tile--below", tasks.overdue > 0);
    this.target("tasksOpen").textContent = t("web.board.tasks_open", { n: tasks.open });
    this.target("latePanel").hidden = tasks.overdue_items.length === 0;
    this.stamp ??= new Intl.DateTimeFormat(document.documentElement.lang,
                                           { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    // Rebuilt only when the list changed: a supervisor's open "give to" stays open between reads.
    const key = JSON.stringify(tasks.overdue_items.map((task) => [task.id, task.owner, task.due_at, task.title]));
    if (key === this.lateKey) return;
    this.lateKey = key;
    this.target("lateTasks").replaceChildren(...tasks.overdue_items.map((task) => {
      const item = taskItem(task, this.stamp, { owner: true });
      if (this.element.dataset.manage && this.info) item.append(this.handOver(task));
      return item;
    }));
  }

  // Each connected channel's health: when the last message came in, and the last error
  // while it is newer than that (a channel that failed and then worked again is healthy).
  showChannels(channels) {
    if (!channels) return;
    this.target("channelsPanel").hidden = channels.length === 0;
    this.ago ??= new Intl.RelativeTimeFormat(document.documentElement.lang, { numeric: "auto" });
    const since = (at) => {
      const minutes = Math.round((at * 1000 - Date.now()) / 60000);
      return Math.abs(minutes) < 60 ? this.ago.format(minutes, "minute")
        : Math.abs(minutes) < 2880 ? this.ago.format(Math.round(minutes / 60), "hour")
          : this.ago.format(Math.round(minutes / 1440), "day");
    };
    this.target("channels").replaceChildren(...channels.map((c) => {
      const failing = c.last_error && (!c.last_in_at || c.last_error_at >= c.last_in_at);
      const li = document.createElement("li");
      li.className = "channel-health__item";
      li.dataset.state = !c.enabled ? "off" : failing ? "failing" : "ok";
      const name = document.createElement("strong");
      name.textContent = c.name;
      const kind = document.createElement("span");
      kind.className = "channel-health__kind";
      kind.textContent = label("web.channel.kind.", c.kind);
      const state = document.createElement("span");
      state.className = "channel-health__state";
      state.textContent = !c.enabled ? t("web.board.channel_off")
        : failing ? t("web.board.channel_failing") : t("web.board.channel_ok");
      const last = document.createElement("p");
      last.className = "channel-health__last";
      last.textContent = c.last_in_at ? t("web.board.channel_last_in", { when: since(c.last_in_at) })
        : t("web.board.channel_nothing_yet");
      li.append(name, kind, state, last);
      if (failing) {
        const error = document.createElement("p");
        error.className = "channel-health__error";
        error.textContent = t("web.board.channel_error", { when: since(c.last_error_at), error: c.last_error });
        li.append(error);
      }
      return li;
    }));
  }

  // A supervisor gives an overdue task to someone who can do it now.
  handOver(task) {
    const select = document.createElement("select");
    select.className = "select select--compact task__handover";
    select.setAttribute("aria-label", t("web.board.hand_over_label", { title: task.title }));
    select.append(new Option(t("web.board.hand_over"), ""));
    for (const [id, op] of this.info) {
      if (id !== task.owner) select.append(new Option(op.name || id, id));
    }
    select.addEventListener("change", async () => {
      if (!select.value) return;
      try {
        await patch(`${this.base}/tasks/${task.id}`, { owner: select.value });
        this.schedule();
      } catch (error) {
        this.showError(t("web.desktop.error", { message: error.message }));
        select.value = "";
      }
    });
    return select;
  }

  showQueues(board) {
    const body = this.target("queues");
    const names = Object.keys(board.queues);
    this.target("noQueues").hidden = names.length > 0;
    for (const [name, row] of this.rows) {
      if (!(name in board.queues)) { row.remove(); this.rows.delete(name); }
    }
    for (const name of names) {
      const q = board.queues[name];
      let row = this.rows.get(name);
      if (!row) {
        row = document.getElementById("tpl-queue-row").content.firstElementChild.cloneNode(true);
        row.dataset.queue = name;
        row.querySelector("[data-slot=name]").textContent = name;
        this.rows.set(name, row);
      }
      body.append(row);  // in the board's order (by name)
      const slot = (key) => row.querySelector(`[data-slot=${key}]`);
      slot("waiting").textContent = this.count.format(q.waiting);
      slot("offered").textContent = this.count.format(q.offered);
      slot("answered").textContent = this.count.format(q.answered);
      slot("abandoned").textContent = this.count.format(q.abandoned);
      slot("sl").textContent = q.service_level_now === null ? "–" : this.percent.format(q.service_level_now);
      slot("sl").title = q.service_level_now === null ? t("web.board.no_sl") : "";
      slot("goal").textContent = t("web.board.sl_goal", { goal: this.percent.format(q.sl_goal ?? board.sl_goal),
                                                         target: duration(q.target_answer_s) });
      slot("flag").hidden = !q.below_goal;
      slot("asa").textContent = q.answered ? duration(q.asa_s) : "–";
      slot("car").textContent = q.offered ? this.percent.format(q.car) : "–";
      slot("lcr").textContent = q.offered ? this.percent.format(q.lcr) : "–";
      row.classList.toggle("is-below", q.below_goal);
      row.classList.toggle("has-waiting", q.waiting > 0);
    }
  }

  showOperators(board) {
    const list = this.target("operators");
    const ids = Object.keys(board.by_operator);
    this.target("noOperators").hidden = ids.length > 0;
    for (const [id, card] of this.cards) {
      if (!(id in board.by_operator)) { card.remove(); this.cards.delete(id); }
    }
    const name = (id) => board.by_operator[id].name || this.info.get(id)?.name || id;
    ids.sort((a, b) => ORDER.indexOf(board.by_operator[a].presence) - ORDER.indexOf(board.by_operator[b].presence)
                       || name(a).localeCompare(name(b)));
    for (const id of ids) {
      const op = board.by_operator[id];
      let card = this.cards.get(id);
      if (!card) {
        card = document.getElementById("tpl-operator").content.firstElementChild.cloneNode(true);
        card.dataset.operator = id;
        this.cards.set(id, card);
      }
      list.append(card);
      const slot = (key) => card.querySelector(`[data-slot=${key}]`);
      slot("name").textContent = name(id);
      card.dataset.presence = op.presence;
      let state = t(`web.state.${op.presence}`);
      if (op.presence === "break" && op.reason) state += " · " + label("web.break.", op.reason);
      slot("stateLabel").textContent = state;
      const info = this.info.get(id);
      // Time in state: the board's own clock where it saw the change, else the engine's state start.
      card.inState = op.in_state_s ?? (info?.state_since ? Math.max(0, board.now - info.state_since) : null);
      const capacity = op.capacity || info?.capacity || {};
      const cap = capacity.chat || capacity.email || capacity.voice || 0;
      slot("load").textContent = cap ? t("web.board.load_of", { n: op.contacts, c: cap }) : String(op.contacts);
      slot("meter").style.setProperty("--fill", cap ? Math.min(1, op.contacts / cap) : 0);
      card.classList.toggle("is-full", cap > 0 && op.contacts >= cap);
      const select = slot("set");
      if (select) select.setAttribute("aria-label", t("web.board.set_state", { name: name(id) }));
    }
  }

  showLegend(presences) {
    const legend = this.target("legend");
    legend.replaceChildren();
    for (const presence of ORDER) {
      const n = presences.filter((p) => p === presence).length;
      if (!n) continue;
      const item = document.createElement("li");
      item.className = "legend__item";
      item.dataset.presence = presence;
      const dot = document.createElement("span");
      dot.className = "legend__dot";
      dot.setAttribute("aria-hidden", "true");
      item.append(dot, `${t(`web.state.${presence}`)} ${n}`);
      legend.append(item);
    }
  }

  // Every second: the waits and times in state as they are now, and the TV clock.
  tick() {
    const clock = this.target("clock");
    if (clock) clock.textContent = new Date().toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    if (!this.board) return;
    const since = (performance.now() - this.readAt) / 1000;
    const longest = this.board.waiting ? this.board.longest_wait_s + since : null;
    this.target("longest").textContent = duration(longest);
    for (const [name, row] of this.rows) {
      const q = this.board.queues[name];
      if (!q) continue;
      const wait = q.waiting ? q.longest_wait_s + since : null;
      row.querySelector("[data-slot=longest]").textContent = duration(wait);
      row.classList.toggle("is-late", wait !== null && wait > q.target_answer_s);
    }
    for (const card of this.cards.values()) {
      card.querySelector("[data-slot=time]").textContent = duration(card.inState === null ? null : card.inState + since);
    }
  }

  async setState(event, select) {
    const value = select.value;
    if (!value) return;
    const id = select.closest("[data-operator]").dataset.operator;
    const [state, reason] = value.split(":");
    const body = reason ? { state, reason } : { state };
    try {
      await post(`${this.base}/operators/${encodeURIComponent(id)}/state`, body);
      this.schedule();
    } catch (error) {
      this.showError(t("web.desktop.error", { message: error.message }));
    } finally {
      select.value = "";
    }
  }

  enterTv() {
    document.body.classList.add("tv");
    this.setTvParam(true);
    const root = document.documentElement;
    if (root.requestFullscreen && !document.fullscreenElement) {
      root.requestFullscreen().then(() => { this.fullscreen = true; }).catch(() => {});
    }
  }

  exitTv() {
    document.body.classList.remove("tv");
    this.setTvParam(false);
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }

  setTvParam(on) {
    const url = new URL(location.href);
    if (on) url.searchParams.set("tv", "1"); else url.searchParams.delete("tv");
    history.replaceState(null, "", url);
  }
}
