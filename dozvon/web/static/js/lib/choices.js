// Building a <select> of where a contact may go (the desktop's transfer, the supervisor's
// reassign): options, labelled groups, and operators with the available ones first.
import { t } from "./controller.js";

export function option(value, text, disabled = false) {
  const element = document.createElement("option");
  Object.assign(element, { value, textContent: text, disabled });
  return element;
}

export function group(labelKey, options) {
  const element = document.createElement("optgroup");
  element.label = t(labelKey);
  element.append(...options);
  return element;
}

// Available operators first, then by name.
export function byPresence(operators) {
  return [...operators].sort((a, b) =>
    (a.presence !== "available") - (b.presence !== "available") || (a.name || a.id).localeCompare(b.name || b.id));
}
