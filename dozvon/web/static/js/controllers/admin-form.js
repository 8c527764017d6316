// The settings forms' plumbing: read a form into the JSON its API takes, check what can be
// checked here, send it, and put every message — ours or the server's — beside the field
// it is about (aria-invalid, aria-describedby), in the reader's language. What the person
// typed is never replaced by an error.
import { t } from "../lib/controller.js";
import { collectHours } from "./admin-hours.js";

function cookie(name) {
  const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

// Like lib/api.js's request, but the error keeps the server's field list and parameters.
export async function send(method, url, body) {
  const headers = { "Accept": "application/json", "Accept-Language": document.documentElement.lang,
                    "X-CSRF-Token": cookie("dozvon_csrf") };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(url, { method, headers, credentials: "same-origin",
                                body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw { status: 0, code: "network", message: t("web.admin.offline"), fields: [] };
  }
  const data = answer.status === 204 ? {} : await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const error = data.error || {};
    throw { status: answer.status, code: error.code || "http", message: error.message || answer.statusText,
            fields: error.fields || [], params: error.params || {} };
  }
  return data;
}

function setPath(target, path, value) {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value;
}

// A value as its control's kind says; undefined when it cannot be read (checked separately).
function readControl(control) {
  const kind = control.dataset.kind || "text";
  if (kind === "bool") return control.checked;
  const raw = control.value.trim();
  if (kind === "lines") return raw.split("\n").map((line) => line.trim()).filter(Boolean);
  if (kind === "null-if-empty") return raw || null;
  if (kind === "number" || kind === "int") {
    if (raw === "") return null;
    const value = Number(raw.replace(",", ".")) * Number(control.dataset.scale || 1);
    return Number.isFinite(value) ? Math.round(value * 1e6) / 1e6 : undefined;
  }
  return control.dataset.keep === "raw" ? control.value : raw;
}

// Messages for what a control itself can tell: required, a number, its range.
function checkControl(control) {
  const kind = control.dataset.kind || "text";
  const raw = control.value.trim();
  if (kind === "bool") return null;
  if (raw === "") return control.required ? t("web.admin.v.missing") : null;
  if (kind === "number" || kind === "int") {
    const value = Number(raw.replace(",", "."));
    if (!Number.isFinite(value)) return t("web.admin.v.number");
    if (kind === "int" && !Number.isInteger(value)) return t("web.admin.v.int");
    if (control.min !== "" && value < Number(control.min)) return t("web.admin.v.min", { min: control.min });
    if (control.max !== "" && value > Number(control.max)) return t("web.admin.v.max", { max: control.max });
  }
  if (control.maxLength > 0 && control.value.length > control.maxLength) {
    return t("web.admin.v.string_too_long", { max: control.maxLength });
  }
  if (control.dataset.pattern && !new RegExp(control.dataset.pattern).test(raw)) {
    return t(control.dataset.patternHint || "web.admin.v.pattern");
  }
  return null;
}

// Rows (break reasons, skills): each row's error slots are renamed to the row's place in
// the list now, so that the server's "reasons.2.code" finds the third row's code.
function collectRows(box, name, errors, asPairs) {
  const rows = [...box.querySelectorAll("[data-row]")];
  const items = rows.map((row, i) => {
    const item = {};
    for (const slot of row.querySelectorAll(".field__error")) {
      slot.dataset.errorFor = slot.dataset.slot ? `${name}.${i}.${slot.dataset.slot}` : `${name}.${i}`;
    }
    for (const control of row.querySelectorAll("[data-key]")) {
      if (control.dataset.kind === "flag") {  // checkboxes sharing a key: the list of those ticked
        item[control.dataset.key] ??= [];
        if (control.checked) item[control.dataset.key].push(control.value);
        continue;
      }
      const message = checkControl(control);
      if (message) errors.push([`${name}.${i}.${control.dataset.key}`, message]);
      item[control.dataset.key] = readControl(control);
    }
    return item;
  });
  const oneOf = (box.dataset.oneOf || "").split(" ").filter(Boolean);
  const unique = box.dataset.unique;
  const seen = new Set();
  items.forEach((item, i) => {
    if (oneOf.length && oneOf.every((key) => !item[key])) errors.push([`${name}.${i}.${oneOf[0]}`, t(box.dataset.oneOfHint)]);
    if (unique && item[unique]) {
      if (seen.has(item[unique])) errors.push([`${name}.${i}.${unique}`, t("web.admin.v.twice")]);
      seen.add(item[unique]);
    }
  });
  if (!asPairs) return items;
  const pairs = {};
  items.forEach((item, i) => {
    if (!item.name) { errors.push([`${name}.${i}`, t("web.admin.v.skill_name")]); return; }
    if (item.name in pairs) errors.push([`${name}.${i}`, t("web.admin.v.twice")]);
    pairs[item.name] = item.level ?? 0;
  });
  return pairs;
}

function collectAction(box, errors) {
  const kind = box.querySelector("[data-role=kind]").value;
  if (!kind) return null;
  const action = { kind };
  const name = box.dataset.name;
  if (kind === "overflow") {
    action.target_queue = box.querySelector("[data-role=target]").value || null;
    if (!action.target_queue) errors.push([`${name}.target_queue`, t("web.admin.v.choose_queue")]);
  }
  if (kind === "message" || kind === "wait") {
    action.text = box.querySelector("[data-role=text]").value.trim() || null;
    if (!action.text && kind === "wait") errors.push([`${name}.text`, t("web.admin.v.missing")]);
  }
  return action;
}

// The form as its API's JSON, with the problems found on the way: [[field, message]].
export function collect(form) {
  const body = {};
  const errors = [];
  const composite = [...form.querySelectorAll("[data-collect]")];
  for (const control of form.querySelectorAll("[name]")) {
    if (composite.some((box) => box.contains(control))) continue;
    if (control.type === "radio" && !control.checked) continue;
    const message = checkControl(control);
    if (message) errors.push([control.name, message]);
    if (!control.dataset.skip) setPath(body, control.name, readControl(control));
  }
  for (const box of composite) {
    const name = box.dataset.name;
    const kind = box.dataset.collect;
    let value;
    if (kind === "rows" || kind === "pairs") value = collectRows(box, name, errors, kind === "pairs");
    else if (kind === "action") value = collectAction(box, errors);
    else if (kind === "hours") value = collectHours(box, errors) ?? null;
    else if (kind === "checks") value = [...box.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
    setPath(body, name, value);
  }
  return { body, errors };
}

function slotFor(form, field) {
  const parts = String(field).split(".");
  for (let n = parts.length; n > 0; n--) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(parts.slice(0, n).join("."))}"]`);
    if (slot) return slot;
  }
  return null;
}

export function clearErrors(form) {
  for (const slot of form.querySelectorAll(".field__error")) { slot.hidden = true; slot.textContent = ""; }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  const box = form.querySelector("[data-role=form-error]");
  if (box) { box.hidden = true; box.textContent = ""; }
}

// Shows each message beside its field; the ones without a field go to the form's box.
// Returns the first control marked, to take the focus there.
export function showErrors(form, errors) {
  let first = null;
  const loose = [];
  for (const [field, message] of errors) {
    const slot = slotFor(form, field);
    if (!slot) { loose.push(message); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
    slot.hidden = false;
    const scope = slot.closest(".field, [data-row], [data-holiday], td, .admin-action") || slot.parentElement;
    for (const control of scope.querySelectorAll("input, select, textarea")) {
      if (control.type === "hidden") continue;
      control.setAttribute("aria-invalid", "true");
      if (!slot.id) slot.id = `err-${Math.random().toString(36).slice(2, 9)}`;
      const ids = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (!ids.includes(slot.id)) control.setAttribute("aria-describedby", [...ids, slot.id].join(" "));
      first ??= control;
    }
  }
  const box = form.querySelector("[data-role=form-error]");
  if (box && loose.length) { box.textContent = loose.join(" "); box.hidden = false; }
  return first;
}

// The server's error as [[field, message]] in the reader's language: our own wording for
// the framework's checks (it answers them in English), the server's for Dozvon's rules.
export function serverErrors(form, error) {
  const byCode = Object.fromEntries((form.dataset.codes || "").split(/\s+/).filter(Boolean)
    .map((pair) => pair.split("=")));
  if (!error.fields.length) {
    const field = byCode[error.code];
    return [[field || "", field ? stripField(error.message, field) : error.message]];
  }
  return error.fields.map((entry) => {
    const key = `web.admin.v.${entry.type}`;
    if (error.code === "api.invalid_input" && t(key) !== key) {
      const control = form.querySelector(`[name="${CSS.escape(entry.field)}"]`);
      return [entry.field, t(key, { min: control?.min || "", max: control?.max || control?.maxLength || "" })];
    }
    return [entry.field, stripField(entry.message || error.message, entry.field)];
  });
}

function stripField(message, field) {
  return message.startsWith(field + ": ") ? message.slice(field.length + 2) : message;
}
