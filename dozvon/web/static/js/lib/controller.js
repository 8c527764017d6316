// The base of every controller: its element, its named parts and the page's texts.
const strings = JSON.parse(document.getElementById("dz-strings")?.textContent || "{}");

export function t(key, params = {}) {
  const template = strings[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// The text for a value in a family of texts (``web.state.`` + ``busy``), or the value
// itself when the catalogue has none (a project's own segment or reason code).
export function label(prefix, value) {
  const text = t(prefix + value);
  return text.startsWith("web.") ? value : text;
}

export class Controller {
  constructor(element, name) {
    this.element = element;
    this.name = name;
  }

  target(name) {
    return this.element.querySelector(`[data-target="${this.name}.${name}"]`);
  }

  // The desktop around this controller: it owns the socket and re-broadcasts its events.
  get desktop() {
    return this.element.closest("[data-controller~='desktop']");
  }

  on(type, handler) {
    this.desktop?.addEventListener(type, (event) => handler(event.detail));
  }

  emit(type, detail) {
    (this.desktop || this.element).dispatchEvent(new CustomEvent(type, { detail }));
  }
}
