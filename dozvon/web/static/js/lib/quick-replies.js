// Quick replies: the project's and the operator's own (the server gives theirs in place of
// a project reply with the same keyword, each marked "personal"), matched by what follows
// "/" in the composer, and their variables filled from what the desktop knows. The list is
// read again when it is a minute old or the operator comes back to the page (they may have
// written a reply of their own in the other tab). A variable without a value stays in
// braces and the composer refuses to send until the operator fills it in — the customer
// never gets "{customer.first_name}".
import { get } from "./api.js";

const VARIABLE = /\{((?:customer|operator|project)\.[a-z_]+)\}/g;
const FRESH_MS = 60_000;

export class QuickReplies {
  constructor(base) {
    this.base = base;
    this.items = null;
    this.readAt = 0;
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.items = null;
    });
  }

  async load() {
    if (this.items === null || Date.now() - this.readAt > FRESH_MS) {
      try {
        this.items = (await get(`${this.base}/quick-replies`)).items;
        this.readAt = Date.now();
      } catch {
        return this.items || [];  // tried again next time
      }
    }
    return this.items;
  }

  // The replies whose keyword (or title) starts with, or contains, what was typed after "/".
  async match(typed) {
    const word = typed.toLowerCase();
    const items = await this.load();
    const starts = items.filter((r) => r.shortcut.startsWith(word));
    const rest = items.filter((r) => !starts.includes(r) &&
      (r.shortcut.includes(word) || r.title.toLowerCase().includes(word)));
    return [...starts, ...rest].slice(0, 8);
  }
}

export function firstName(name) {
  const word = (name || "").trim().split(/\s+/)[0] || "";
  if (!word || !/^\p{L}/u.test(word) || word === word.toUpperCase() || (name || "").includes("«")) return "";
  return word;
}

export function fill(text, known) {
  return text.replace(VARIABLE, (whole, name) => (known[name] ? known[name] : whole));
}

// The variables still in braces, each once.
export function unfilled(text) {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]))];
}
