// The customer's card beside the conversations: who the customer of the conversation in
// front of the operator is (name, segment, phones, e-mails, other identities), their
// flags and discount, latest orders, open tasks, and the history — conversations, calls,
// notes, orders and tasks in one timeline — read again when one of them changes. A task
// (call back, send an offer) is created here, with a due time; «Изменить» corrects the
// name, phones and e-mails (and, for a supervisor, the segment), the server's messages
// beside the field they are about. All text via textContent: customer data is never HTML.
import { Controller, label, t } from "../lib/controller.js";
import { del, get, post, put } from "../lib/api.js";
import { clearErrors, send, serverErrors, showErrors } from "./admin-form.js";
import { localInput, taskItem } from "../lib/tasks.js";
import { channelName } from "./offers.js";

const CHANGES = new Set(["contact.answered", "contact.closed", "contact.disposition", "csat.rated", "note.added",
  "task.created", "task.done", "task.cancelled", "task.reassigned", "task.released", "task.rescheduled",
  "task.overdue"]);

export default class CustomerCard extends Controller {
  connect() {
    const lang = document.documentElement.lang;
    this.stamp = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    this.oldStamp = new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", year: "numeric" });
    this.on("dz:active", (active) => this.show(active));
    this.on("dz:event", (event) => this.changed(event));
    this.on("dz:tasks", () => { if (this.card) this.load(); });
    this.canAssign = Boolean(this.desktop?.dataset.canAssign);
    const form = this.target("taskForm");  // "toggle" does not bubble: no delegated action
    form?.addEventListener("toggle", () => this.taskOpened(null, form));
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  async show(active) {
    if (this.active?.customerId !== active?.customerId) this.closeEdit();
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
    if (!wanted?.customerId) return;  // a late re-read after the conversation closed: nothing to show
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
    const theirs = event.data?.customer_id === this.card.id
      || this.card.open_tasks.some((task) => task.id === event.data?.task_id);
    if (!theirs && event.contact_id !== this.active?.conversationId
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
    this.showOrders(card.orders);
    const tasks = this.target("tasks");
    tasks.replaceChildren(...card.open_tasks.map((task) => taskItem(task, this.stamp, { owner: true })));
    this.target("tasksHead").hidden = card.open_tasks.length === 0;
    this.target("total").textContent = t("web.card.total", { n: card.conversations_total });
    const items = card.timeline.items.map((entry) => this.entry(entry));
    if (card.timeline.items.length <= 1 && !card.timeline.next_before_us) {
      const first = document.createElement("li");
      first.className = "card__first";
      first.textContent = t("web.card.first");
      items.push(first);
    }
    this.target("history").replaceChildren(...items);
    this.next = card.timeline.next_before_us;
    this.target("more").hidden = !this.next;
  }

  // --- «Изменить»: the card's contact fields as a small form (the lists whole, as the API takes them).
  get editForm() {
    return this.target("editForm");
  }

  openEdit() {
    const card = this.card;
    const form = this.editForm;
    if (!card || !form) return;
    clearErrors(form);
    form.elements.namedItem("name").value = card.name || "";
    for (const list of ["phones", "emails"]) {
      form.querySelector(`fieldset[data-list="${list}"] [data-rows]`).replaceChildren();
      for (const value of card[list].length ? card[list] : [""]) this.row(list, value);
    }
    const segment = form.elements.namedItem("segment");
    if (segment) this.segmentChoices(segment, card.segment_given || "");
    form.hidden = false;
    this.target("ids").hidden = true;
    const button = this.target("editButton");
    button.hidden = true;
    button.setAttribute("aria-expanded", "true");
    form.elements.namedItem("name").focus({ preventScroll: true });
    this.target("body").scrollTop = 0;  // the form is under the name: both in view (the card scrolls, not the page)
  }

  // Closed by «Отмена» or a save, the focus goes back to «Изменить» (the submit button,
  // disabled while saving, has lost it); closed because the conversation changed, it stays.
  closeEdit(refocus = false) {
    const form = this.editForm;
    if (!form || form.hidden) return;
    form.hidden = true;
    this.target("ids").hidden = false;
    const button = this.target("editButton");
    button.hidden = false;
    button.setAttribute("aria-expanded", "false");
    if (refocus || form.contains(document.activeElement)) button.focus();
  }

  addRow(event, button) {
    this.row(button.dataset.list, "").focus();
  }

  // One phone or e-mail: its input, a button that takes it off, and the slot for its message.
  row(list, value) {
    const box = this.editForm.querySelector(`fieldset[data-list="${list}"] [data-rows]`);
    const row = document.createElement("div");
    row.className = "card-edit__row";
    row.dataset.row = "";
    const input = document.createElement("input");
    input.className = "input";
    input.type = list === "phones" ? "tel" : "text";  // not "email": Chromium rewrites Cyrillic domains
    input.inputMode = list === "phones" ? "tel" : "email";
    input.autocomplete = "off";
    input.maxLength = 200;
    input.value = value;
    if (list === "phones") input.placeholder = t("web.card.edit_phone_hint");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "button button--ghost button--small card-edit__remove";
    remove.textContent = "×";
    remove.addEventListener("click", () => {
      const next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      this.renumber(list);
      (next?.querySelector("input") || this.editForm.querySelector(`button[data-list="${list}"]`)).focus();
    });
    const error = document.createElement("p");
    error.className = "field__error";
    error.hidden = true;
    row.append(input, remove, error);
    box.append(row);
    this.renumber(list);
    return input;
  }

  renumber(list) {
    const kind = list === "phones" ? "web.card.edit_phone_n" : "web.card.edit_email_n";
    this.editForm.querySelectorAll(`fieldset[data-list="${list}"] [data-row]`).forEach((row, i) => {
      const name = t(kind, { n: i + 1 });
      row.querySelector("input").setAttribute("aria-label", name);
      row.querySelector("button").setAttribute("aria-label", t("web.card.edit_remove", { what: name }));
    });
  }

  // The list's filled rows; each row's message slot is named for its place among them
  // ("phones.1"), so that the server's field finds the row it is about.
  listed(list) {
    const values = [];
    for (const row of this.editForm.querySelectorAll(`fieldset[data-list="${list}"] [data-row]`)) {
      const slot = row.querySelector(".field__error");
      const value = row.querySelector("input").value.trim();
      if (value) {
        slot.dataset.errorFor = `${list}.${values.length}`;
        values.push(value);
      } else {
        delete slot.dataset.errorFor;
      }
    }
    return values;
  }

  // A supervisor's segment choice: the given one, VIP, partner, and the project's own rules' segments.
  async segmentChoices(select, given) {
    const add = (value) => {
      if (value && ![...select.options].some((o) => o.value === value)) select.append(new Option(label("web.segment.", value), value));
    };
    add(given);
    select.value = given;
    if (this.segmentsRead) return;
    this.segmentsRead = true;
    try {
      const rules = await get(`${this.base}/segments`);
      for (const rule of rules.custom || []) add(rule.segment);
    } catch { /* the built-in choices stay */ }
  }

  async save(event, form) {
    event.preventDefault();
    const card = this.card;
    if (!card) return;
    clearErrors(form);
    const body = { name: form.elements.namedItem("name").value.trim(), phones: this.listed("phones"),
                   emails: this.listed("emails") };
    const segment = form.elements.namedItem("segment");
    if (segment && segment.value !== (card.segment_given || "")) body.segment = segment.value;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const saved = await send("PATCH", `${this.base}/customers/${encodeURIComponent(card.id)}`, body);
      if (this.card?.id !== card.id) return;
      this.closeEdit(true);
      this.card = saved;
      this.render(saved);
      this.emit("dz:notice", t("web.card.edit_saved"));
    } catch (error) {
      showErrors(form, serverErrors(form, error))?.focus();
    } finally {
      submit.disabled = false;
    }
  }

  // Earlier history, a page at a time, under what is shown.
  async more() {
    const wanted = this.card;
    if (!wanted || !this.next) return;
    try {
      const page = await get(`${this.base}/customers/${encodeURIComponent(wanted.id)}/timeline?before_us=${this.next}`);
      if (this.card !== wanted) return;
      this.target("history").append(...page.items.map((entry) => this.entry(entry)));
      this.next = page.next_before_us;
      this.target("more").hidden = !this.next;
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  money(amount, currency) {
    if (amount === null || amount === undefined) return "";
    try {
      return new Intl.NumberFormat(document.documentElement.lang, { style: "currency", currency }).format(Number(amount));
    } catch {
      return `${amount} ${currency || ""}`.trim();
    }
  }

  showOrders(orders) {
    this.target("ordersHead").hidden = orders.length === 0;
    this.target("orders").replaceChildren(...orders.map((order) => this.order(order)));
  }

  order(o, li = document.createElement("li")) {
    li.classList.add("order");
    const head = document.createElement("p");
    head.className = "order__head";
    const number = document.createElement("strong");
    number.textContent = t(o.kind === "deal" ? "web.card.deal" : "web.card.order", { number: o.number });
    const status = document.createElement("span");
    status.className = "badge order__status";
    status.dataset.status = o.status;
    status.textContent = label("web.order.status.", o.status);
    const amount = document.createElement("span");
    amount.className = "order__amount";
    amount.textContent = this.money(o.amount, o.currency);
    head.append(number, amount);
    const what = document.createElement("p");
    what.className = "order__items";
    const names = o.items.map((item) => (item.quantity && item.quantity !== 1 ? `${item.name} × ${item.quantity}` : item.name));
    what.append(status, [this.when(o.placed_at), names.slice(0, 3).join(", "),
      names.length > 3 ? t("web.card.items_more", { n: names.length - 3 }) : ""].filter(Boolean).join(" · "));
    li.append(head, what);
    return li;
  }

  when(seconds) {
    const at = new Date(seconds * 1000);
    return (at.getFullYear() === new Date().getFullYear() ? this.stamp : this.oldStamp).format(at);
  }

  // One line of the timeline, by its type.
  entry(e) {
    if (e.type === "conversation" || e.type === "call") return this.past(e);
    const li = document.createElement("li");
    li.className = `past past--${e.type}`;
    if (e.type === "order") return this.order(e, li);
    if (e.type === "task") {
      const item = taskItem(e, this.stamp, { owner: true });
      item.classList.add("past", "past--task");
      const status = document.createElement("span");
      status.className = "badge task__status";
      status.textContent = label("web.task.status.", e.status);
      item.querySelector(".task__head").append(status);
      return item;
    }
    const head = document.createElement("p");
    head.className = "past__head";
    const what = document.createElement("span");
    what.className = "past__channel";
    what.textContent = t("web.card.note", { author: e.author || "—" });
    const when = document.createElement("time");
    when.dateTime = new Date(e.at * 1000).toISOString();
    when.textContent = this.when(e.at);
    head.append(what, when);
    const text = document.createElement("p");
    text.className = "past__notes";
    text.textContent = e.text;
    li.append(head, text);
    return li;
  }

  // The new-task form: opened, it proposes "in an hour" and, for supervisors, the owners.
  async taskOpened(event, details) {
    if (!details.open) return;
    const form = details.querySelector("form");
    if (!form.elements.due.value) form.elements.due.value = localInput(new Date(Date.now() + 3600e3));
    if (this.canAssign && form.elements.owner.options.length <= 1) {
      try {
        const operators = (await get(`${this.base}/operators`)).items;
        for (const op of operators) {
          if (op.id === this.desktop.dataset.operator) continue;
          form.elements.owner.append(new Option(op.name || op.id, op.id));
        }
      } catch { /* the owner stays "me" */ }
    }
    form.elements.title.focus();
  }

  quickDue(event, button) {
    const form = button.closest("form");
    const due = new Date();
    if (button.dataset.due === "hour") due.setTime(due.getTime() + 3600e3);
    else { due.setDate(due.getDate() + 1); due.setHours(10, 0, 0, 0); }
    form.elements.due.value = localInput(due);
  }

  async task(event, form) {
    event.preventDefault();
    const customer = this.active?.customerId;
    if (!customer) return;
    const due = new Date(form.elements.due.value);
    if (Number.isNaN(due.getTime())) {
      form.elements.due.focus();
      return;
    }
    const body = { kind: form.elements.kind.value, title: form.elements.title.value.trim(),
                   note: form.elements.note.value.trim(), due_at: due.toISOString(), customer_id: customer };
    if (this.active.conversationId) body.conversation_id = this.active.conversationId;
    if (form.elements.owner.value) body.owner = form.elements.owner.value;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const task = await post(`${this.base}/tasks`, body);
      form.reset();
      this.target("taskForm").open = false;
      this.emit("dz:notice", t("web.task.created", { due: this.stamp.format(new Date(task.due_at * 1000)) }));
      this.emit("dz:tasks");
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    } finally {
      submit.disabled = false;
    }
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
    if (c.status !== "open" && c.operator_id) li.append(this.checksBox(c));
    return li;
  }

  // The automatic checks of a past conversation, read when the operator opens them.
  checksBox(c) {
    const box = document.createElement("details");
    box.className = "past__checks";
    box.dataset.conversation = c.id;
    const summary = document.createElement("summary");
    // The card's recent conversations carry their checks in short: shown at once, details on opening.
    const known = this.card?.conversations?.find((x) => x.id === c.id)?.quality;
    const named = (ids) => ids.map((id) => label("web.q.check.", id)).join(", ");
    summary.textContent = known
      ? t("web.q.card_checks_short", { score: known.score,
                                       failed: known.failed.length ? named(known.failed) : t("web.q.card_checks_all_passed") })
      : t("web.q.card_checks");
    if (known) box.dataset.known = "1";  // the summary says the score: the body lists what failed
    summary.dataset.action = "click:customer-card#showChecks";
    const body = document.createElement("div");
    body.className = "past__checks-body";
    box.append(summary, body);
    return box;
  }

  async showChecks(event, summary) {
    const box = summary.parentElement;
    if (box.dataset.loaded) return;
    box.dataset.loaded = "1";
    const body = box.querySelector(".past__checks-body");
    body.textContent = t("web.q.card_checks_loading");
    try {
      const found = await get(`${this.base}/conversations/${encodeURIComponent(box.dataset.conversation)}/quality`);
      if (!found.checked) { body.textContent = t("web.q.conv.not_checked"); return; }
      const failed = Object.entries(found.checks || {}).filter(([, r]) => r.passed === false);
      const line = document.createElement("p");
      line.textContent = t("web.q.card_checks_score", { score: found.score });
      const list = document.createElement("ul");
      list.className = "past__checks-list";
      for (const [id, result] of failed) {
        const item = document.createElement("li");
        const name = t(`web.q.check.${id}`);
        const said = (result.evidence || []).find((e) => e.text)?.text;
        item.textContent = (name.startsWith("web.") ? id : name) + (said ? ` — «${said}»` : "");
        list.append(item);
      }
      if (!failed.length) line.textContent += ` · ${t("web.q.card_checks_all_passed")}`;
      body.replaceChildren(...(box.dataset.known && failed.length ? [list] : [line, list]));
    } catch (error) {
      delete box.dataset.loaded;
      body.textContent = t("web.desktop.error", { message: error.message });
    }
  }
}
