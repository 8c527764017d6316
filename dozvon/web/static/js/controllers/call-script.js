// The helpers beside the active conversation: two tabs, the call script and the knowledge
// base. The script is the one that applies to the conversation (its queue and type of
// contact; the server's rule), with the customer's and operator's names filled in and
// today's promotions in its promotions step. The operator ticks the steps off as the
// conversation goes (kept per conversation while the page is open) and may change the type
// of contact (a complaint cannot be told in advance), which may bring another script — and
// is then ticked in the wrap-up form for them.
// Every text is set with textContent: a script is never HTML.
import { Controller, label, t } from "../lib/controller.js";
import { get } from "../lib/api.js";

export default class CallScript extends Controller {
  connect() {
    this.active = null;
    this.chosen = new Map();  // conversation id → the type of contact the operator chose
    this.ticked = new Map();  // conversation id → Set of ticked step numbers
    this.picked = false;      // the operator chose a tab: the panel stops choosing for them
    this.dates = new Intl.DateTimeFormat(document.documentElement.lang, { day: "numeric", month: "long" });
    this.suggested = 0;       // suggestions for the active conversation's last message
    this.on("dz:suggested", ({ conversationId, count }) => {
      if (conversationId !== this.active?.conversationId) return;
      this.suggested = count;
      this.waiting();
    });
    this.on("dz:active", (active) => {
      if (active?.conversationId === this.active?.conversationId) return;
      this.active = active;
      this.suggested = 0;
      this.waiting();
      this.load();
    });
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  async load() {
    const wanted = this.active?.conversationId;
    if (!wanted) {
      this.found = null;
      this.idle(t("web.script.idle"));
      return;
    }
    const type = this.chosen.get(wanted);
    const query = type ? `?contact_type=${encodeURIComponent(type)}` : "";
    try {
      const found = await get(`${this.base}/conversations/${encodeURIComponent(wanted)}/script${query}`);
      if (this.active?.conversationId !== wanted) return;  // the operator moved on
      this.found = found;
      this.render();
      if (!this.picked) this.select(found.script ? "script" : "kb");
    } catch (error) {
      if (error.status !== 404) this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  idle(text) {
    this.target("hint").textContent = text;
    this.target("hint").hidden = false;
    this.target("body").hidden = true;
  }

  render() {
    const found = this.found;
    this.target("hint").hidden = true;
    this.target("body").hidden = false;
    this.target("type").value = found.contact_type;
    this.target("why").textContent = t(`web.script.from.${found.contact_type_from}`);
    const script = found.script;
    this.target("title").textContent = script ? script.title : t("web.script.none_title");
    this.target("none").hidden = Boolean(script);
    if (!script) {
      const others = found.types_with_scripts.filter((kind) => kind !== found.contact_type);
      this.target("none").textContent = others.length
        ? t("web.script.none_but", { types: others.map((kind) => label("web.type.", kind)).join(", ") })
        : t("web.script.none");
    }
    const steps = script ? script.steps : [];
    this.target("steps").replaceChildren(...steps.map((step, i) => this.step(step, i)));
    this.mark();
  }

  step(step, i) {
    const li = document.createElement("li");
    li.className = "script-step";
    li.dataset.step = String(i);
    if (step.kind === "promotions") li.classList.add("script-step--promotions");
    const head = document.createElement("label");
    head.className = "script-step__head";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.action = "change:call-script#tick";
    box.dataset.step = String(i);
    const title = document.createElement("span");
    title.className = "script-step__title";
    title.textContent = step.title;
    head.append(box, title);
    li.append(head);
    if (step.kind === "promotions") {
      li.append(this.promotions(step.promotions || []));
    } else if (step.text) {
      const text = document.createElement("p");
      text.className = "script-step__text";
      text.textContent = step.text;
      li.append(text);
    }
    return li;
  }

  promotions(items) {
    if (!items.length) {
      const none = document.createElement("p");
      none.className = "script-step__text script-step__empty";
      none.textContent = t("web.script.no_promotions");
      return none;
    }
    const list = document.createElement("ul");
    list.className = "script-promos";
    for (const item of items) {
      const li = document.createElement("li");
      li.className = "script-promo";
      const name = document.createElement("strong");
      name.className = "script-promo__title";
      name.textContent = item.title;
      li.append(name);
      if (item.valid_until) {
        const until = document.createElement("span");
        until.className = "script-promo__until";
        until.textContent = t("web.kb.until", { date: this.dates.format(new Date(item.valid_until)) });
        li.append(until);
      }
      if (item.body) {
        const body = document.createElement("p");
        body.className = "script-promo__body";
        body.textContent = item.body;
        li.append(body);
      }
      list.append(li);
    }
    return list;
  }

  ticks() {
    const id = this.active?.conversationId;
    if (!this.ticked.has(id)) this.ticked.set(id, new Set());
    return this.ticked.get(id);
  }

  // Ticked steps are done, the first one not ticked is where the conversation is.
  mark() {
    const done = this.ticks();
    const items = [...this.target("steps").children];
    let current = null;
    for (const li of items) {
      const i = Number(li.dataset.step);
      const ticked = done.has(i);
      li.querySelector("input").checked = ticked;
      li.classList.toggle("script-step--done", ticked);
      if (!ticked && current === null) current = li;
      li.classList.remove("script-step--current");
    }
    current?.classList.add("script-step--current");
    const progress = this.target("progress");
    progress.hidden = !items.length;
    progress.textContent = !items.length ? ""
      : current ? t("web.script.progress", { n: items.indexOf(current) + 1, total: items.length })
        : t("web.script.all_done");
  }

  tick(event, box) {
    const done = this.ticks();
    const i = Number(box.dataset.step);
    if (box.checked) done.add(i); else done.delete(i);
    this.mark();
  }

  retype(event, select) {
    const id = this.active?.conversationId;
    if (!id) return;
    this.chosen.set(id, select.value);
    this.emit("dz:contact-type", { conversationId: id, type: select.value });  // the wrap-up form starts with it
    this.ticked.delete(id);  // another script: its own steps
    this.load();
  }

  choose(event, tab) {
    this.picked = true;
    this.select(tab.dataset.tab);
  }

  // Left and right move between the tabs, as in every tab list.
  arrow(event, tab) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    event.preventDefault();
    const other = this.element.querySelector(`[role=tab]:not([data-tab="${tab.dataset.tab}"])`);
    this.picked = true;
    this.select(other.dataset.tab);
    other.focus();
  }

  select(name) {
    for (const tab of this.element.querySelectorAll("[role=tab]")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
    }
    this.target("panel").hidden = name !== "script";
    this.target("kb").hidden = name !== "kb";
    this.waiting();
  }

  // Suggestions for the customer's new message while the script is in front: their number
  // on the knowledge base's tab, until it is opened.
  waiting() {
    const badge = this.target("waiting");
    const shown = this.suggested > 0 && this.target("kb").hidden;
    badge.hidden = !shown;
    badge.textContent = shown ? String(this.suggested) : "";
    badge.title = shown ? t("web.script.suggested", { n: this.suggested }) : "";
  }
}
