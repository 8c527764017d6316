// Open conversations side by side: messages live (dedup by message id), the delivery of the
// operator's messages, the composer (Enter sends, Shift+Enter new line), End and the wrap-up
// form. A message typed while the connection is down waits in an outbox here and is sent
// (over REST, retried with backoff) when it is back. Customer text only ever via textContent.
import { Controller, label, t } from "../lib/controller.js";
import { get, post, sleep } from "../lib/api.js";
import { channelName } from "./offers.js";
import { showAttachments } from "../lib/attachments.js";
import { QuickReplies, fill, firstName, unfilled } from "../lib/quick-replies.js";
import { byPresence, group, option } from "../lib/choices.js";

function stateName(presence) {
  return label("web.state.", presence);
}

export default class Conversations extends Controller {
  connect() {
    this.panes = new Map();  // conversation id → {element, seen: Map(message id → li), unread}
    this.outbox = [];
    this.online = false;
    this.on("dz:open", ({ id, focus }) => this.open(id, focus));
    this.on("dz:event", (event) => this.event(event));
    this.on("dz:move", (step) => this.move(step));
    this.on("dz:typing", (frame) => this.customerTyping(frame));
    this.on("dz:operator", (operator) => { this.operatorName = operator.name || ""; });
    this.on("dz:contact-type", ({ conversationId, type }) => {
      const pane = this.panes.get(conversationId);
      if (pane) pane.chosenType = type;
    });
    this.quick = new QuickReplies(this.base);
    this.on("dz:connection", (up) => {
      this.online = up;
      if (up) this.flush();
    });
  }

  get operatorId() {
    return this.desktop.dataset.operator;
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  async open(id, focus) {
    let pane = this.panes.get(id);
    if (!pane) {
      const element = document.getElementById("tpl-conversation").content.firstElementChild.cloneNode(true);
      element.dataset.conversation = id;
      pane = { id, element, seen: new Map(), unread: 0 };
      this.panes.set(id, pane);
      this.target("panes").append(element);
      this.target("empty").hidden = true;
      keepLastInSight(element.querySelector("[data-slot=messages]"));
      try {
        const conversation = await get(`${this.base}/conversations/${encodeURIComponent(id)}`);
        pane.customerName = conversation.customer_name || "";
        pane.customerId = conversation.customer_id || null;
        pane.channel = conversation.channel;
        element.querySelector("[data-slot=name]").textContent = conversation.customer_name
          || (conversation.channel === "voice" && conversation.subject) || conversation.customer_id
          || t("web.chat.unknown");
        element.querySelector("[data-slot=meta]").textContent =
          [channelName(conversation.channel), conversation.queue].filter(Boolean).join(" · ");
        const notes = (conversation.notes || []).map((n) => ({ external_id: n.note_id, direction: "note",
                                                                text: n.text, author: n.author, at: n.at }));
        for (const item of [...conversation.messages, ...notes].sort((a, b) => a.at - b.at)) this.append(pane, item);
        showAttachments(this.base, pane);
        element.querySelector("[data-slot=attach]").hidden = conversation.channel !== "telegram";
        if (conversation.channel === "voice") {
          // A call carries no text: the box takes notes, and the softphone takes the call.
          const note = element.querySelector("[data-slot=note]");
          note.checked = true;
          note.disabled = true;
          this.noteMode(null, note);
          this.emit("dz:voice", { id, element, state: conversation.state });
        }
        if (conversation.state === "wrap_up") this.wrapUp(pane);
        if (conversation.state === "closed") this.close(id);
        else if (focus || !this.active || this.active === pane || !this.panes.has(this.active.id)) this.activate(pane);
      } catch (error) {
        this.emit("dz:error", t("web.desktop.error", { message: error.message }));
      }
    }
    if (focus) pane.element.querySelector("[data-slot=box]").focus();
  }

  event(event) {
    const data = event.data || {};
    if (event.type === "contact.answered" && event.operator_id === this.operatorId) {
      this.open(event.contact_id, false);
      return;
    }
    const pane = this.panes.get(event.contact_id);
    if (!pane) return;
    if (event.type === "message.received" || event.type === "message.sent") {
      const direction = event.type === "message.received" ? "in" : "out";
      this.append(pane, { external_id: data.message_id, direction, text: data.text, author: data.author,
                          at: event.at, delivery: direction === "out" ? "pending" : undefined, auto: data.auto });
      if (direction === "in") pane.element.querySelector("[data-slot=typing]").textContent = "";
      if (direction === "in") this.refetch(pane);
      if (direction === "in" && !pane.element.contains(document.activeElement)) {
        pane.unread += 1;
        this.showUnread(pane);
      }
    } else if (event.type === "message.delivered" || event.type === "message.failed") {
      const item = pane.seen.get(data.message_id);
      if (item) this.delivery(item, event.type === "message.delivered" ? "delivered" : "failed");
    } else if (event.type === "note.added") {
      this.append(pane, { external_id: data.note_id, direction: "note", text: data.text, at: event.at,
                          author: data.author });
    } else if (event.type === "csat.rated") {
      this.append(pane, { external_id: `csat-${event.seq}`, direction: "note", at: event.at,
                          text: t("web.chat.rated", { score: data.score }) + (data.comment ? ` — ${data.comment}` : "") });
    } else if (event.type === "contact.ended") {
      this.wrapUp(pane);
    } else if (event.type === "contact.transferred" && event.operator_id === this.operatorId) {
      this.close(event.contact_id);
    } else if (event.type === "contact.closed" && !pane.element.classList.contains("pane--wrapup")) {
      this.close(event.contact_id);  // in wrap-up the form stays: a late disposition still counts
    }
  }

  append(pane, message) {
    const id = message.external_id;
    if (id && pane.seen.has(id)) {
      const known = pane.seen.get(id);
      if (message.delivery && known.dataset.delivery === "pending" && message.delivery !== "pending") {
        this.delivery(known, message.delivery);
      }
      return known;
    }
    // Our own message whose event came before the REST answer: adopt the local copy.
    if (message.direction === "out" && id) {
      for (const local of pane.element.querySelectorAll("[data-local]")) {
        if (!local.dataset.id && local.querySelector(".msg__text").textContent === message.text) {
          local.dataset.id = id;
          pane.seen.set(id, local);
          this.delivery(local, message.delivery || "pending");
          return local;
        }
      }
    }
    const item = document.createElement("li");
    item.className = `msg msg--${message.direction}${message.auto || (id || "").startsWith("auto-") ? " msg--auto" : ""}`;
    if (message.direction === "note") {
      const who = document.createElement("p");
      who.className = "msg__who";
      who.textContent = message.author ? t("web.chat.note_by", { author: message.author }) : "";
      if (message.author) item.append(who);
    } else if (message.auto || (id || "").startsWith("auto-")) {
      const who = document.createElement("p");
      who.className = "msg__who";
      who.textContent = t("web.chat.auto");
      item.append(who);
    }
    const text = document.createElement("p");
    text.className = "msg__text";
    text.textContent = message.text ?? "";
    const meta = document.createElement("p");
    meta.className = "msg__meta";
    const time = document.createElement("time");
    const at = new Date((message.at || Date.now() / 1000) * 1000);
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
    meta.append(time);
    if (message.direction === "out") {
      const state = document.createElement("span");
      state.className = "msg__delivery";
      meta.append(state);
    }
    item.append(text, meta);
    if (id) {
      item.dataset.id = id;
      pane.seen.set(id, item);
    }
    if (message.id) item.dataset.mid = message.id;  // files and mails name their message by it
    if (message.direction === "out") this.delivery(item, message.delivery || "pending");
    // In time order: a conversation's history may arrive after a message typed at once.
    const when = message.at || Date.now() / 1000;
    item.dataset.at = String(when);
    const list = pane.element.querySelector("[data-slot=messages]");
    const later = [...list.children].find((other) => Number(other.dataset.at) > when);
    list.insertBefore(item, later || null);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  // A file to the customer (channels that carry files): sent as its bytes, with its name.
  async attach(event, input) {
    const pane = this.paneOf(input);
    const file = input.files[0];
    input.value = "";
    if (!pane || !file) return;
    const csrf = (document.cookie.split("; ").find((c) => c.startsWith("dozvon_csrf=")) || "").slice(12);
    try {
      const answer = await fetch(`${this.base}/conversations/${encodeURIComponent(pane.id)}/files?name=${encodeURIComponent(file.name)}`, {
        method: "POST", body: file, credentials: "same-origin",
        headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": decodeURIComponent(csrf),
                   "Accept-Language": document.documentElement.lang } });
      if (!answer.ok) {
        const data = await answer.json().catch(() => ({}));
        throw new Error(data.error?.message || answer.statusText);
      }
      this.emit("dz:notice", t("web.file.sent", { name: file.name }));
      this.refetch(pane);
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  // A message that came with files or as a mail: its id (for them) is read with the
  // conversation, once a burst of messages is over.
  refetch(pane) {
    clearTimeout(pane.refetch);
    pane.refetch = setTimeout(async () => {
      try {
        const conversation = await get(`${this.base}/conversations/${encodeURIComponent(pane.id)}`);
        for (const message of conversation.messages) {
          const item = pane.seen.get(message.external_id);
          if (item && message.id) item.dataset.mid = message.id;
        }
        showAttachments(this.base, pane);
      } catch { /* shown with the next message */ }
    }, 400);
  }

  delivery(item, state) {
    item.dataset.delivery = state;
    const label = item.querySelector(".msg__delivery");
    if (label) label.textContent = t(`web.delivery.${state}`);
  }

  showUnread(pane) {
    const badge = pane.element.querySelector("[data-slot=unread]");
    badge.textContent = String(pane.unread);
    badge.setAttribute("aria-label", `${pane.unread} ${t("web.chat.unread")}`);
    badge.hidden = pane.unread === 0;
    pane.element.classList.toggle("pane--unread", pane.unread > 0);
  }

  paneOf(node) {
    return this.panes.get(node.closest("[data-conversation]").dataset.conversation);
  }

  seen(event, node) {
    const pane = this.paneOf(node);
    this.activate(pane);
    pane.unread = 0;
    this.showUnread(pane);
  }

  // The conversation in front of the operator: marked, and its customer on the card.
  activate(pane) {
    for (const other of this.panes.values()) other.element.classList.toggle("pane--active", other === pane);
    this.active = pane;
    // Focus can land on a pane before its conversation is read: tell the card again once
    // the customer is known, but not on every click in the same pane.
    const key = pane ? `${pane.id}|${pane.customerId}` : "";
    if (key === this.activeKey) return;
    this.activeKey = key;
    this.emit("dz:active", pane ? { conversationId: pane.id, customerId: pane.customerId } : null);
  }

  key(event, box) {
    const pane = this.paneOf(box);
    const list = pane.element.querySelector("[data-slot=suggest]");
    if (!list.hidden && ["ArrowDown", "ArrowUp", "Enter", "Tab", "Escape"].includes(event.key)) {
      const options = [...list.children];
      let at = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
      if (event.key === "Escape") {
        list.hidden = true;
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        at = (at + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
        options.forEach((o, i) => o.setAttribute("aria-selected", String(i === at)));
      } else if (options[Math.max(at, 0)]) {
        this.pick(pane, options[Math.max(at, 0)].reply);
      }
      event.preventDefault();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      box.form.requestSubmit();
    }
  }

  // What the operator types: "/word" opens the matching quick replies; anything else tells
  // the customer the operator is typing (at most every 2 s).
  async typed(event, box) {
    const pane = this.paneOf(box);
    const list = pane.element.querySelector("[data-slot=suggest]");
    const hint = pane.element.querySelector("[data-slot=hint]");
    hint.hidden = true;
    const now = Date.now();
    if (box.value && !pane.noteMode && now - (pane.typingSent || 0) > 2000) {
      pane.typingSent = now;  // a quick reply being looked up is an answer being prepared, too
      this.emit("dz:signal", { action: "typing", conversation_id: pane.id });
    }
    const command = /^\/(\S*)$/.exec(box.value);
    if (command) {
      const found = await this.quick.match(command[1]);
      if (box.value !== command[0]) return;  // picked or typed on meanwhile: this list is stale
      list.replaceChildren(...found.map((reply, i) => {
        const option = document.createElement("li");
        option.className = "suggest__item";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", String(i === 0));
        const word = document.createElement("strong");
        word.textContent = "/" + reply.shortcut;
        const text = document.createElement("span");
        text.textContent = reply.title || reply.text;
        option.append(word, text);
        if (found.some((r) => r.personal)) {  // whose: the operator's own, or the project's
          const whose = document.createElement("span");
          whose.className = reply.personal ? "suggest__whose suggest__whose--mine" : "suggest__whose";
          whose.textContent = t(reply.personal ? "web.chat.personal" : "web.chat.shared");
          option.append(whose);
        }
        option.reply = reply;
        option.addEventListener("mousedown", (e) => { e.preventDefault(); this.pick(pane, reply); });
        return option;
      }));
      list.hidden = found.length === 0;
      return;
    }
    list.hidden = true;
  }

  pick(pane, reply) {
    const box = pane.element.querySelector("[data-slot=box]");
    const known = { "customer.name": pane.customerName, "customer.first_name": firstName(pane.customerName),
                    "operator.name": this.operatorName, "operator.first_name": firstName(this.operatorName) };
    box.value = fill(reply.text, known);
    pane.element.querySelector("[data-slot=suggest]").hidden = true;
    box.focus();
    this.askForMissing(pane, box);
  }

  // A variable left in braces: say what to write there, and select it.
  askForMissing(pane, box) {
    const missing = unfilled(box.value);
    if (!missing.length) return false;
    const hint = pane.element.querySelector("[data-slot=hint]");
    const name = t(`web.var.${missing[0]}`);
    hint.textContent = t("web.chat.fill", { name: name.startsWith("web.") ? missing[0] : name });
    hint.hidden = false;
    const start = box.value.indexOf(`{${missing[0]}}`);
    box.setSelectionRange(start, start + missing[0].length + 2);
    return true;
  }

  noteMode(event, checkbox) {
    const pane = this.paneOf(checkbox);
    pane.noteMode = checkbox.checked;
    pane.element.classList.toggle("pane--note", checkbox.checked);
    pane.element.querySelector("[data-slot=box]").focus();
  }

  customerTyping(frame) {
    const pane = this.panes.get(frame.conversation_id);
    if (!pane || frame.who !== "customer") return;
    const line = pane.element.querySelector("[data-slot=typing]");
    line.textContent = t("web.chat.typing");
    clearTimeout(pane.typingTimer);
    pane.typingTimer = setTimeout(() => { line.textContent = ""; }, 4000);
  }

  send(event, form) {
    event.preventDefault();
    const box = form.querySelector("[data-slot=box]");
    const text = box.value.trim();
    if (!text) return;
    const pane = this.paneOf(form);
    if (this.askForMissing(pane, box)) return;
    box.value = "";
    pane.typingSent = 0;
    if (pane.noteMode) {
      this.note(pane, text);
      return;
    }
    const item = this.append(pane, { direction: "out", text, at: Date.now() / 1000 });
    item.dataset.local = "1";
    this.delivery(item, this.online ? "sending" : "queued");
    this.outbox.push({ pane, item, text });
    this.flush();
  }

  async note(pane, text) {
    try {
      await post(`${this.base}/conversations/${encodeURIComponent(pane.id)}/notes`, { text });
    } catch (error) {
      pane.element.querySelector("[data-slot=box]").value = text;
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  // Sends the waiting messages in order; while the connection is down they wait, and a
  // failure of the network or the server is retried with backoff (1 s doubling to 15 s).
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    try {
      let delay = 1000;
      while (this.outbox.length) {
        if (!this.online) {
          for (const entry of this.outbox) this.delivery(entry.item, "queued");
          return;
        }
        const entry = this.outbox[0];
        this.delivery(entry.item, "sending");
        try {
          const answer = await post(`${this.base}/conversations/${encodeURIComponent(entry.pane.id)}/messages`,
                                    { text: entry.text });
          this.outbox.shift();
          delay = 1000;
          const id = answer.message_id;
          const known = entry.pane.seen.get(id);
          if (known && known !== entry.item) {
            entry.item.remove();  // the event's copy was drawn first
          } else {
            entry.item.dataset.id = id;
            entry.pane.seen.set(id, entry.item);
            if (entry.item.dataset.delivery === "sending") this.delivery(entry.item, "pending");
          }
        } catch (error) {
          if (error.status === 0 || error.status >= 500) {
            this.delivery(entry.item, "queued");
            await sleep(delay);
            delay = Math.min(delay * 2, 15000);
          } else {
            this.outbox.shift();
            this.delivery(entry.item, "failed");
            // Ended in another tab, or the customer left, while the reply was on its way.
            const ended = error.code === "routing.conversation_ended" || error.code === "routing.unknown_contact";
            const name = entry.pane.customerName;
            this.emit("dz:error", !ended ? t("web.desktop.error", { message: error.message })
              : name ? t("web.desktop.reply_after_end", { name })
                : t("web.desktop.reply_after_end_unnamed"));
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async end(event, button) {
    const pane = this.paneOf(button);
    button.disabled = true;
    // What was typed before End goes first: End and a message are two requests, and End
    // answered first left the reply out of what the conversation's checks read.
    while (this.online && this.outbox.some((entry) => entry.pane === pane)) await sleep(50);
    try {
      await post(`${this.base}/conversations/${encodeURIComponent(pane.id)}/end`);
      this.wrapUp(pane);
    } catch (error) {
      button.disabled = false;
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  wrapUp(pane) {
    const element = pane.element;
    element.classList.add("pane--wrapup");
    element.querySelector("[data-slot=composer]").hidden = true;
    element.querySelector("[data-slot=end]").hidden = true;
    const form = element.querySelector("[data-slot=wrapup]");
    if (form.hidden) {
      form.hidden = false;
      // The type the operator chose in the script panel, ticked for them (still theirs to change).
      const chosen = pane.chosenType && form.querySelector(`input[name=contact_type][value="${CSS.escape(pane.chosenType)}"]`);
      if (chosen && !form.querySelector("input[name=contact_type]:checked")) chosen.checked = true;
      (chosen || form.querySelector("input[name=contact_type]")).focus();
      if (!chosen) this.suggestType(pane, form);
    }
  }

  // Otherwise the automatic suggestion (rules over the CRM and the first messages, then the
  // project's classifier) ticks a type, said to be a suggestion — still the operator's to change.
  async suggestType(pane, form) {
    let found;
    try {
      found = await get(`${this.base}/conversations/${encodeURIComponent(pane.id)}/quality/suggestion`);
    } catch {
      return;  // no suggestion: the operator chooses
    }
    const input = found.contact_type
      && form.querySelector(`input[name=contact_type][value="${CSS.escape(found.contact_type)}"]`);
    if (!input || form.hidden || form.querySelector("input[name=contact_type]:checked")) return;
    input.checked = true;
    const hint = document.createElement("p");
    hint.className = "composer__hint";
    hint.dataset.slot = "suggested";
    hint.textContent = t("web.q.wrap.suggested", { type: label("web.type.", found.contact_type) });
    form.querySelector("[data-slot=suggested]")?.remove();
    input.closest("fieldset, div")?.after(hint);
  }

  async dispose(event, form) {
    event.preventDefault();
    const pane = this.paneOf(form);
    const error = form.querySelector("[data-slot=wraperror]");
    const kind = form.querySelector("input[name=contact_type]:checked");
    if (!kind) {
      error.textContent = t("web.wrap.type");
      error.hidden = false;
      return;
    }
    const body = { contact_type: kind.value, resolved: form.querySelector("input[name=resolved]:checked").value === "yes",
                   notes: form.elements.notes.value };
    try {
      await post(`${this.base}/conversations/${encodeURIComponent(pane.id)}/disposition`, body);
      this.close(pane.id);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  }

  close(id) {
    const pane = this.panes.get(id);
    if (!pane) return;
    this.panes.delete(id);
    pane.element.remove();
    this.target("empty").hidden = this.panes.size > 0;
    if (this.active === pane) this.activate([...this.panes.values()].pop() || null);
  }

  // --- transfer: to an operator with room, a queue, a named person (partners, complaints:
  // through their operator id, or for a call to their phone), or (calls) any outside number

  async transferOpen(event, button) {
    const pane = this.paneOf(button);
    const form = pane.element.querySelector("[data-slot=transferform]");
    if (!form.hidden) { this.transferClose(event, button); return; }
    const select = form.elements.target;
    try {
      const [operators, queues, people] = await Promise.all([
        get(`${this.base}/operators`), get(`${this.base}/queues`), get(`${this.base}/directory`)]);
      const presence = new Map(operators.items.map((o) => [o.id, o]));
      const others = byPresence(operators.items.filter((o) => o.id !== this.operatorId));
      const voice = pane.channel === "voice";
      const person = (p) => {
        const op = p.operator_id ? presence.get(p.operator_id) : null;
        const reach = op ? stateName(op.presence) : voice ? p.phone : t("web.transfer.calls_only");
        const text = [p.name, p.title, ...p.topics.map((k) => t(`web.type.${k}`)), reach].filter(Boolean).join(" · ");
        if (op) return option(`operator:${op.id}`, text, op.state !== "available" || op.id === this.operatorId);
        return option(`external:${p.phone}`, text, !voice);
      };
      const groups = [
        ...(people.items.length ? [group("web.transfer.people", people.items.map(person))] : []),
        group("web.transfer.operators", others.map((o) => option(`operator:${o.id}`,
          t("web.transfer.operator_option", { name: o.name || o.id, state: stateName(o.presence) }),
          o.state !== "available"))),
        group("web.transfer.queues", queues.items.map((q) => option(`queue:${q.name}`,
          t("web.transfer.queue_option", { name: q.name, waiting: q.waiting ?? 0 })))),
      ];
      if (voice) {
        groups.push(group("web.transfer.outside", [option("external:", t("web.transfer.number_option"))]));
      }
      select.replaceChildren(...groups);
      const first = select.querySelector("option:not([disabled])");
      if (first) first.selected = true;
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
      return;
    }
    form.hidden = false;
    pane.element.querySelector("[data-slot=transfer]").setAttribute("aria-expanded", "true");
    this.transferTarget(null, select);
    select.focus();
  }

  transferTarget(event, select) {
    const form = select.form;
    const outside = select.value === "external:";
    form.querySelector("[data-slot=transfernumber]").hidden = !outside;
    form.elements.number.required = outside;
    // A call can be attended: the operator talks first (the caller on hold) — to the number,
    // the colleague, or whoever the engine finds in the queue.
    const pane = this.paneOf(select);
    form.querySelector("[data-slot=transferconsult]").hidden = !(pane && pane.channel === "voice"
      && ["external:", "operator:", "queue:"].some((kind) => select.value.startsWith(kind)));
  }

  transferClose(event, node) {
    const pane = this.paneOf(node);
    const form = pane.element.querySelector("[data-slot=transferform]");
    form.hidden = true;
    form.querySelector("[data-slot=transfererror]").hidden = true;
    const button = pane.element.querySelector("[data-slot=transfer]");
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  async transfer(event, form) {
    event.preventDefault();
    const pane = this.paneOf(form);
    const error = form.querySelector("[data-slot=transfererror]");
    const [kind, ...rest] = form.elements.target.value.split(":");
    const value = rest.join(":");
    const body = kind === "operator" ? { to_operator: value } : kind === "queue" ? { to_queue: value }
      : { to_external: value || form.elements.number.value.trim() };
    if (kind === "external" && !body.to_external) {
      error.textContent = t("web.transfer.need_number");
      error.hidden = false;
      form.elements.number.focus();
      return;
    }
    try {
      if (["external", "operator", "queue"].includes(kind) && pane.channel === "voice" && form.elements.consult.checked) {
        const chosen = form.elements.target.selectedOptions[0];
        const who = kind === "operator" ? { operator: value } : kind === "queue" ? { queue: value }
          : { number: body.to_external };
        await post(`${this.base}/voice/calls/${encodeURIComponent(pane.id)}/consult`, who);
        this.emit("dz:consult", kind === "queue" ? { id: pane.id, queue: value }
          : { id: pane.id, number: kind === "operator" && chosen ? chosen.textContent : body.to_external });
        this.transferClose(null, form);
        return;
      }
      await post(`${this.base}/conversations/${encodeURIComponent(pane.id)}/transfer`, body);
      const chosen = form.elements.target.selectedOptions[0];
      this.emit("dz:notice", t("web.transfer.done", {
        target: kind === "external" ? body.to_external : chosen ? chosen.textContent : value }));
      this.close(pane.id);
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
    }
  }

  move(step) {
    const list = [...this.panes.values()];
    if (!list.length) return;
    const current = list.findIndex((pane) => pane.element.contains(document.activeElement));
    const next = list[(current + step + list.length) % list.length];
    const box = next.element.querySelector("[data-slot=box]");
    (box.offsetParent ? box : next.element).focus();
  }
}

// A list of messages that was showing its last one keeps showing it when it is made
// smaller: the wrap-up form, and the suggestion it fetches, take the messages' room after
// the end, and a reply refused by that end must stay where the banner says it is.
function keepLastInSight(list) {
  let height = list.clientHeight;  // before this resize: was the end in sight then?
  new ResizeObserver(() => {
    if (list.scrollTop + height >= list.scrollHeight - 2) list.scrollTop = list.scrollHeight;
    height = list.clientHeight;
  }).observe(list);
}
