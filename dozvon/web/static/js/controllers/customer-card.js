// The customer's card beside the conversations: who the customer of the conversation in
// front of the operator is (name, segment, phones, e-mails, other identities) and every
// earlier conversation on every channel with how it ended — what the CRM holds, read
// again when one of them changes. All text via textContent: customer data is never HTML.
import { Controller, label, t } from "../lib/controller.js";
import { del, get, put } from "../lib/api.js";
import { channelName } from "./offers.js";

const CHANGES = new Set(["contact.answered", "contact.closed", "contact.disposition", "csat.rated"]);

export default class CustomerCard extends Controller {
  connect() {
    const lang = document.documentElement.lang;
    this.stamp = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    this.oldStamp = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", year: "numeric" });
    this.on("dz:active", (active) => this.show(active));
    this.on("dz:event", (event) => this.changed(event));
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  async show(active) {
    this.active = active;
    this.card = null;
    if (!active || !active.customerId) {
      this.empty(active ? t("web.card.unknown") : t("web.card.empty"));
      return;
    }
    await this.load();
  }

  empty(text) {
    this.target("body").hidden = true;
    const empty = this.target("empty");
    empty.textContent = text;
    empty.hidden = false;
  }

  async load() {
    const wanted = this.active;
    try {
      const card = await get(`${this.base}/customers/${encodeURIComponent(wanted.customerId)}`);
      if (this.active !== wanted) return;  // the operator moved on meanwhile
      this.card = card;
      this.render(card);
    } catch (error) {
      if (this.active !== wanted) return;
      if (error.status === 404) this.empty(t("web.card.unknown"));
      else this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  changed(event) {
    if (!this.card || !CHANGES.has(event.type)) return;
    if (event.contact_id !== this.active?.conversationId
        && !this.card.conversations.some((c) => c.id === event.contact_id)) return;
    clearTimeout(this.again);
    this.again = setTimeout(() => this.load(), 300);  // one read for a burst of events
  }

  render(card) {
    this.target("empty").hidden = true;
    this.target("body").hidden = false;
    this.target("name").textContent = card.name || card.phones[0] || card.emails[0] || t("web.chat.unknown");
    const segment = this.target("segment");
    segment.hidden = !card.segment;
    segment.textContent = card.segment ? label("web.segment.", card.segment) : "";
    const ids = this.target("ids");
    const byKind = new Map();
    for (const identity of card.identities) {
      if (!byKind.has(identity.kind)) byKind.set(identity.kind, []);
      byKind.get(identity.kind).push(identity.value);
    }
    ids.replaceChildren(...[...byKind].map(([kind, values]) => {
      const row = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = label("web.card.kind.", kind);
      row.append(dt, ...values.map((value) => {
        const dd = document.createElement("dd");
        dd.textContent = value;
        return dd;
      }));
      return row;
    }));
    this.showFlags(card);
    const discount = this.target("discount");
    discount.hidden = !card.discount;
    discount.textContent = card.discount ? t("web.card.discount", {
      percent: new Intl.NumberFormat(document.documentElement.lang).format(card.discount.max_percent),
      note: card.discount.note ? ` — ${card.discount.note}` : "" }) : "";
    this.target("total").textContent = t("web.card.total", { n: card.conversations_total });
    const history = this.target("history");
    const items = card.conversations.map((c) => this.past(c));
    if (card.conversations_total <= 1) {
      const first = document.createElement("li");
      first.className = "card__first";
      first.textContent = t("web.card.first");
      items.push(first);
    }
    history.replaceChildren(...items);
  }

  // Flags in force, each with why, who and when; a supervisor may lift one here.
  showFlags(card) {
    const list = this.target("flags");
    const canLift = Boolean(this.desktop.dataset.canLift);
    list.replaceChildren(...card.flags.map((flag) => {
      const li = document.createElement("li");
      li.className = `flag flag--${flag.kind}`;
      const what = document.createElement("strong");
      what.textContent = label("web.flag.", flag.kind);
      const why = document.createElement("span");
      why.className = "flag__why";
      why.textContent = flag.reason;
      const who = document.createElement("span");
      who.className = "flag__who";
      who.textContent = t("web.card.flag_by", { who: flag.set_by, when: this.stamp.format(new Date(flag.set_at * 1000)) });
      li.append(what, why, who);
      if (canLift) {
        const lift = document.createElement("button");
        lift.type = "button";
        lift.className = "button button--ghost button--small flag__lift";
        lift.textContent = t("web.card.flag_lift");
        lift.addEventListener("click", () => this.lift(flag.kind));
        li.append(lift);
      }
      return li;
    }));
  }

  async flag(event, form) {
    event.preventDefault();
    const customer = this.active?.customerId;
    if (!customer) return;
    try {
      await put(`${this.base}/customers/${encodeURIComponent(customer)}/flags/${encodeURIComponent(form.elements.kind.value)}`,
                { reason: form.elements.reason.value.trim() });
      form.reset();
      this.target("flagForm").open = false;
      await this.load();
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  async lift(kind) {
    const customer = this.active?.customerId;
    if (!customer) return;
    try {
      await del(`${this.base}/customers/${encodeURIComponent(customer)}/flags/${encodeURIComponent(kind)}`);
      await this.load();
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  past(c) {
    const li = document.createElement("li");
    li.className = "past";
    li.dataset.past = c.id;
    const head = document.createElement("p");
    head.className = "past__head";
    const channel = document.createElement("span");
    channel.className = "past__channel";
    channel.textContent = channelName(c.channel);
    const when = document.createElement("time");
    when.dateTime = new Date(c.created_at * 1000).toISOString();
    const at = new Date(c.created_at * 1000);
    when.textContent = (at.getFullYear() === new Date().getFullYear() ? this.stamp : this.oldStamp).format(at);
    head.append(channel, when);
    if (c.id === this.active?.conversationId) {
      li.classList.add("past--now");
      const now = document.createElement("span");
      now.className = "badge past__now";
      now.textContent = t("web.card.now");
      head.append(now);
    }
    const outcome = document.createElement("p");
    outcome.className = "past__outcome";
    const d = c.disposition;
    const parts = d && d.contact_type
      ? [label("web.type.", d.contact_type), t(d.resolved ? "web.card.resolved" : "web.card.unresolved")]
      : [label("web.card.status.", c.status)];
    if (d && d.contact_type) outcome.dataset.resolved = String(Boolean(d.resolved));
    if (c.operator_name) parts.push(t("web.card.by", { name: c.operator_name }));
    if (c.csat) parts.push(t("web.card.csat", { score: c.csat }));
    outcome.textContent = parts.join(" · ");
    li.append(head, outcome);
    if (d && d.notes) {
      const notes = document.createElement("p");
      notes.className = "past__notes";
      notes.textContent = d.notes;
      li.append(notes);
    }
    return li;
  }
}
