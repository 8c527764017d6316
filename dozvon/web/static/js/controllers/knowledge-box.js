// The knowledge box under the customer's card: what the knowledge base says about the
// customer's last message (articles and quick replies, read again when the customer writes
// again), and a search over all of it. A result opens its article inline. Snippets come as
// pieces flagged as hits and are built with textContent and <mark>: an article's text is
// never HTML.
import { Controller, t } from "../lib/controller.js";
import { get } from "../lib/api.js";

export default class KnowledgeBox extends Controller {
  connect() {
    this.active = null;
    this.mode = "idle";  // idle | suggested | search | article
    // Each search or opened article takes a turn; an answer that comes back after the
    // operator has asked for something else is dropped (a slow article must not cover
    // the search typed after clicking it).
    this.turn = 0;
    this.dates = new Intl.DateTimeFormat(document.documentElement.lang, { day: "numeric", month: "long" });
    this.on("dz:active", (active) => this.activate(active));
    this.on("dz:event", (event) => {
      if (event.type === "message.received" && event.contact_id === this.active?.conversationId) {
        clearTimeout(this.again);
        this.again = setTimeout(() => this.suggest(), 250);
      }
    });
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  activate(active) {
    const changed = active?.conversationId !== this.active?.conversationId;
    this.active = active;
    if (changed && this.mode !== "search") this.suggest();
  }

  async suggest() {
    const wanted = this.active;
    if (!wanted) {
      this.suggestions = null;
      if (this.mode === "suggested") this.idle();
      return;
    }
    try {
      const found = await get(`${this.base}/conversations/${encodeURIComponent(wanted.conversationId)}/suggestions`);
      if (this.active?.conversationId !== wanted.conversationId) return;  // the operator moved on
      this.suggestions = found;  // kept for "back" while a search or an article is shown
      // The script tab may be in front: it shows how many suggestions wait here.
      this.emit("dz:suggested", { conversationId: wanted.conversationId,
                                  count: found.articles.length + found.quick_replies.length });
      if (this.mode === "idle" || this.mode === "suggested") this.showSuggestions();
    } catch (error) {
      if (error.status !== 404) this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  idle() {
    this.mode = "idle";
    this.show({ hint: t("web.kb.idle") });
  }

  showSuggestions() {
    const found = this.suggestions;
    if (!found || !found.query) {
      this.idle();
      return;
    }
    this.mode = "suggested";
    this.show({
      heading: t("web.kb.suggested"), articles: found.articles, replies: found.quick_replies,
      hint: found.articles.length || found.quick_replies.length ? "" : t("web.kb.none_suggested"),
    });
  }

  typed(event, input) {
    if (!input.value.trim() && this.mode === "search") {
      this.turn += 1;  // a search still on its way is no longer wanted
      this.suggestions ? this.showSuggestions() : this.idle();
    }
  }

  async search(event) {
    event.preventDefault();
    const query = this.target("query").value.trim();
    if (!query) {
      this.turn += 1;
      this.suggestions ? this.showSuggestions() : this.idle();
      return;
    }
    const turn = ++this.turn;
    this.mode = "search";
    this.asked = query;
    this.show({ hint: t("web.kb.loading") });
    try {
      const found = await get(`${this.base}/kb/articles?q=${encodeURIComponent(query)}&limit=10`);
      if (turn !== this.turn || this.mode !== "search") return;
      this.results = found.items;
      this.showResults();
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  showResults() {
    this.mode = "search";
    this.show({
      heading: t("web.kb.found", { n: this.results.length }), articles: this.results,
      hint: this.results.length ? "" : t("web.kb.nothing", { query: this.asked }),
    });
  }

  show({ heading = "", articles = [], replies = [], hint = "" }) {
    this.target("article").hidden = true;
    const title = this.target("heading");
    title.hidden = !heading || (!articles.length && !replies.length);
    title.textContent = heading;
    const hintNode = this.target("hint");
    hintNode.hidden = !hint;
    hintNode.textContent = hint;
    this.target("list").replaceChildren(...articles.map((a) => this.hit(a)));
    this.target("list").hidden = !articles.length;
    this.target("replieshead").hidden = !replies.length;
    this.target("replies").replaceChildren(...replies.map((r) => this.reply(r)));
    this.target("replies").hidden = !replies.length;
  }

  hit(article) {
    const li = document.createElement("li");
    li.className = "kb-hit";
    const open = document.createElement("button");
    open.type = "button";
    open.className = "kb-hit__title";
    open.textContent = article.title;
    open.dataset.action = "click:knowledge-box#open";
    open.dataset.article = String(article.id);
    li.append(open);
    const meta = this.meta(article);
    if (meta) {
      const small = document.createElement("p");
      small.className = "kb-hit__meta";
      small.textContent = meta;
      li.append(small);
    }
    const snippet = document.createElement("p");
    snippet.className = "kb-hit__snippet";
    for (const part of article.parts || [{ text: article.snippet, hit: false }]) {
      if (part.hit) {
        const mark = document.createElement("mark");
        mark.textContent = part.text;
        snippet.append(mark);
      } else {
        snippet.append(document.createTextNode(part.text));
      }
    }
    li.append(snippet);
    return li;
  }

  meta(article) {
    const parts = [];
    if (article.promotion) parts.push(t("web.kb.promotion"));
    if (article.category) parts.push(article.category);
    if (article.valid_until) parts.push(t("web.kb.until", { date: this.dates.format(new Date(article.valid_until)) }));
    return parts.join(" · ");
  }

  reply(reply) {
    const li = document.createElement("li");
    li.className = "kb-reply";
    const head = document.createElement("p");
    head.className = "kb-reply__head";
    const shortcut = document.createElement("span");
    shortcut.className = "kb-reply__shortcut";
    shortcut.textContent = `/${reply.shortcut}`;
    head.append(shortcut, document.createTextNode(reply.title ? ` ${reply.title}` : ""));
    if (reply.personal) {  // the operator's own reply
      const mine = document.createElement("span");
      mine.className = "kb-reply__mine";
      mine.textContent = t("web.chat.personal");
      head.append(mine);
    }
    const text = document.createElement("p");
    text.className = "kb-reply__text";
    text.textContent = reply.text;
    const insert = document.createElement("button");
    insert.type = "button";
    insert.className = "button button--ghost kb-reply__insert";
    insert.textContent = t("web.kb.insert");
    insert.setAttribute("aria-label", t("web.kb.insert_named", { name: reply.title || reply.shortcut }));
    insert.dataset.action = "click:knowledge-box#insert";
    insert.dataset.text = reply.text;
    li.append(head, text, insert);
    return li;
  }

  // The reply goes into the active conversation's composer (its variables are filled
  // or refused there, as with "/").
  insert(event, button) {
    const id = this.active?.conversationId;
    if (!id) return;
    const box = document.querySelector(`[data-conversation="${CSS.escape(id)}"] .composer__box`);
    if (!box) return;
    box.value = box.value.trim() ? `${box.value.trimEnd()} ${button.dataset.text}` : button.dataset.text;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
  }

  async open(event, button) {
    const turn = ++this.turn;
    try {
      const article = await get(`${this.base}/kb/articles/${encodeURIComponent(button.dataset.article)}`);
      if (turn !== this.turn) return;  // the operator searched or opened another meanwhile
      this.back_to = this.mode;
      this.mode = "article";
      this.target("list").hidden = true;
      this.target("heading").hidden = true;
      this.target("hint").hidden = true;
      this.target("replieshead").hidden = true;
      this.target("replies").hidden = true;
      this.target("articletitle").textContent = article.title;
      const dates = [];
      if (article.valid_from) dates.push(t("web.kb.from", { date: this.dates.format(new Date(article.valid_from)) }));
      if (article.valid_until) dates.push(t("web.kb.until", { date: this.dates.format(new Date(article.valid_until)) }));
      this.target("articlemeta").textContent = [this.meta({ ...article, valid_until: null }), ...dates]
        .filter(Boolean).join(" · ");
      this.target("articletext").textContent = article.body;
      this.target("article").hidden = false;
      this.target("articletitle").focus();
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  back() {
    this.turn += 1;
    if (this.back_to === "search") this.showResults();
    else if (this.suggestions) this.showSuggestions();
    else this.idle();
  }
}
