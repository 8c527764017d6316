// A supervisor reads the project's conversations: the list (open ones first, live), and
// the chosen one's messages and notes, kept current from the project's stream. They join
// with a private note (the operator sees it live, the customer never) and move a contact
// nobody has answered yet to another queue or to an operator with room.
import Page from "./page.js";
import { label, t } from "../lib/controller.js";
import { get, post, sleep } from "../lib/api.js";
import { Stream } from "../lib/stream.js";
import { duration } from "./wallboard.js";
import { byPresence, group, option } from "../lib/choices.js";

const MIN_GAP_MS = 1000;

export default class Supervise extends Page {
  connect() {
    this.base = `/api/v1/projects/${encodeURIComponent(this.element.dataset.project)}`;
    this.selected = this.element.dataset.conversation || null;
    this.lastRead = 0;
    this.time = new Intl.DateTimeFormat(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    setInterval(() => this.tickWaits(), 1000);
    this.start();
  }

  async start() {
    for (let delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
      try {
        const listed = await this.readList();
        if (this.selected) await this.read(this.selected);
        this.stream = new Stream(this.element.dataset.project, {
          onEvent: (event) => this.onEvent(event),
          onStatus: (status) => { this.connection(status); if (status === "up") this.schedule(); },
        });
        this.stream.start(listed.seq);
        return;
      } catch (error) {
        if (error.status === 401) { location.assign("/"); return; }
        this.connection("down");
        await sleep(delay);
      }
    }
  }

  onEvent(event) {
    if (event.contact_id && event.contact_id === this.selected) this.dirtyConversation = true;
    this.schedule();
  }

  schedule() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRead + MIN_GAP_MS - Date.now());
    this.timer = setTimeout(async () => {
      this.timer = null;
      this.lastRead = Date.now();
      try {
        await this.readList();
        if (this.dirtyConversation && this.selected) { this.dirtyConversation = false; await this.read(this.selected); }
      } catch (error) {
        if (error.status === 401) location.assign("/");
      }
    }, wait);
  }

  async readList() {
    const listed = await get(`${this.base}/conversations?limit=200`);
    this.items = listed.items;
    this.readAt = performance.now();
    this.showList();
    return listed;
  }

  filter() {
    this.showList();
  }

  showList() {
    const openOnly = this.target("openOnly").checked;
    const items = (this.items || []).filter((c) => !openOnly || c.state !== "closed");
    const list = this.target("list");
    list.replaceChildren(...items.map((c) => this.item(c)));
    this.target("empty").hidden = items.length > 0;
    this.tickWaits();
  }

  item(c) {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.className = "conv-item";
    link.href = `/supervise?project=${encodeURIComponent(this.element.dataset.project)}&conversation=${encodeURIComponent(c.id)}`;
    link.dataset.state = c.state;
    if (c.id === this.selected) link.setAttribute("aria-current", "true");
    link.addEventListener("click", (event) => {
      event.preventDefault();
      history.replaceState(null, "", link.href);
      this.selected = c.id;
      this.showList();
      this.read(c.id).catch((error) => this.showError(t("web.desktop.error", { message: error.message })));
    });
    const name = document.createElement("span");
    name.className = "conv-item__name";
    name.textContent = c.customer_name || t("web.chat.unknown");
    const state = document.createElement("span");
    state.className = "conv-state";
    state.dataset.state = c.state;
    state.textContent = label("web.conv.", c.state);
    const meta = document.createElement("span");
    meta.className = "conv-item__meta";
    meta.textContent = [label("web.channel.", c.channel), c.queue, c.operator_id || t("web.supervise.nobody")]
      .filter(Boolean).join(" · ");
    const wait = document.createElement("span");
    wait.className = "conv-item__wait";
    if (c.state === "waiting" || c.state === "offered") wait.dataset.since = String(c.created_at);
    else wait.textContent = this.time.format(new Date(c.created_at * 1000));
    link.append(name, state, meta, wait);
    li.append(link);
    return li;
  }

  tickWaits() {
    for (const wait of this.target("list").querySelectorAll("[data-since]")) {
      wait.textContent = t("web.offer.waited", { time: duration(Date.now() / 1000 - Number(wait.dataset.since)) });
    }
  }

  async read(id) {
    const c = await get(`${this.base}/conversations/${encodeURIComponent(id)}`);
    if (id !== this.selected) return;
    this.target("pick").hidden = true;
    this.target("conversation").hidden = false;
    this.target("name").textContent = c.customer_name || t("web.chat.unknown");
    this.target("meta").textContent = [label("web.channel.", c.channel), c.queue,
      `${t("web.supervise.operator")}: ${c.operator_id || t("web.supervise.nobody")}`].filter(Boolean).join(" · ");
    const state = this.target("state");
    state.dataset.state = c.state;
    state.textContent = label("web.conv.", c.state);
    this.showMove(c);
    const messages = this.target("messages");
    const notes = (c.notes || []).map((n) => ({ ...n, direction: "note" }));
    const items = [...c.messages, ...notes].sort((a, b) => a.at - b.at);
    if (!items.length) {
      const empty = document.createElement("li");
      empty.className = "reader__empty";
      empty.textContent = t("web.supervise.no_messages");
      messages.replaceChildren(empty);
      return;
    }
    messages.replaceChildren(...items.map((m) => {
      const li = document.createElement("li");
      li.className = `msg msg--${m.direction === "out" || m.direction === "note" ? m.direction : "in"}`;
      const text = document.createElement("div");
      text.className = "msg__text";
      text.textContent = m.text;
      const meta = document.createElement("div");
      meta.className = "msg__meta";
      const who = m.direction === "note" ? t("web.chat.note_by", { author: m.author || "" })
        : m.direction === "out" ? (m.author || t("web.supervise.operator")) : t("web.chat.customer");
      meta.textContent = `${who} · ${this.time.format(new Date(m.at * 1000))}`;
      li.append(text, meta);
      return li;
    }));
    messages.scrollTop = messages.scrollHeight;
  }

  // Where a contact nobody has answered yet may go: the other queues, and the operators
  // (those available first; the server refuses one without room, and says so).
  async showMove(c) {
    const form = this.target("move");
    const movable = c.state === "waiting" || c.state === "offered";
    form.hidden = !movable;
    if (!movable || form.dataset.for === c.id) return;
    form.dataset.for = c.id;
    const [queues, operators] = await Promise.all([get(`${this.base}/queues`), get(`${this.base}/operators`)]);
    const select = this.target("moveTo");
    const otherQueues = queues.items.filter((q) => q.name !== c.queue);
    select.replaceChildren(
      group("web.supervise.queues", otherQueues.map((q) => option(`queue:${q.name}`,
        t("web.supervise.queue_option", { name: q.name, waiting: q.waiting ?? 0 })))),
      group("web.supervise.operators", byPresence(operators.items).map((o) => option(`operator:${o.id}`,
        t("web.supervise.operator_option", { name: o.name || o.id, state: label("web.state.", o.presence) }),
        o.state !== "available"))));
  }

  async reassign(event) {
    event.preventDefault();
    const choice = this.target("moveTo").selectedOptions[0];
    if (!choice || !this.selected) return;
    const [kind, ...rest] = choice.value.split(":");
    const body = kind === "queue" ? { to_queue: rest.join(":") } : { to_operator: rest.join(":") };
    try {
      await post(`${this.base}/conversations/${encodeURIComponent(this.selected)}/reassign`, body);
      this.say(t("web.supervise.moved", { target: choice.textContent }));
      this.target("move").dataset.for = "";
    } catch (error) {
      this.showError(t("web.desktop.error", { message: error.message }));
    }
  }

  noteKey(event) {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  }

  async join(event) {
    event.preventDefault();
    const box = this.target("note");
    const text = box.value.trim();
    if (!text || !this.selected) return;
    try {
      await post(`${this.base}/conversations/${encodeURIComponent(this.selected)}/notes`, { text });
      box.value = "";
      this.say(t("web.supervise.note_added"));
      this.dirtyConversation = true;
      this.schedule();
    } catch (error) {
      this.showError(t("web.desktop.error", { message: error.message }));
    }
  }

  say(text) {
    this.target("status").textContent = text;
  }
}
