// The settings pages' controller: every form on them saves through its API (data-url,
// data-method), shows what went wrong beside the field, and says clearly when it is saved.
// Lists of rows (break reasons, skills), a queue's hours and its "what if" actions grow and
// shrink here; deleting asks for a second click instead of a dialog.
import Page from "./page.js";
import { t } from "../lib/controller.js";
import { clearErrors, collect, send, serverErrors, showErrors } from "./admin-form.js";
import { addInterval, showSchedule } from "./admin-hours.js";

const FLASH = "dz-admin-flash";

export default class AdminPage extends Page {
  connect() {
    const flash = sessionStorage.getItem(FLASH);
    if (flash) {
      sessionStorage.removeItem(FLASH);
      const box = this.target("flash");
      box.textContent = flash;
      box.hidden = false;
    }
    for (const box of this.element.querySelectorAll("[data-collect=action]")) this.showAction(box);
    for (const box of this.element.querySelectorAll("[data-collect=hours]")) showSchedule(box);
    this.formatTimes();
  }

  async save(event, form) {
    event.preventDefault();
    clearErrors(form);
    const status = form.querySelector("[data-role=status]");
    const { body, errors } = collect(form);
    if (errors.length) {
      this.fail(form, status, errors);
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.className = "form-status";
    status.textContent = t("web.admin.saving");
    try {
      const url = form.dataset.url.replace("{value}", encodeURIComponent(form.dataset.valueOf
        ? form.querySelector(`[name="${form.dataset.valueOf}"]`)?.value.trim() || "" : ""));
      const answer = await send(form.dataset.method || "PUT", url, form.dataset.method === "DELETE" ? undefined : body);
      this.saved(form, status, answer);
    } catch (error) {
      if (error.status === 401) { location.assign("/"); return; }
      this.fail(form, status, serverErrors(form, error));
    } finally {
      button.disabled = false;
    }
  }

  saved(form, status, answer) {
    const after = form.dataset.after;
    const message = t(form.dataset.savedText || "web.admin.saved");
    if (after) {
      sessionStorage.setItem(FLASH, message);
      if (after === "reload") location.reload();
      else location.assign(after.replace("{id}", encodeURIComponent(answer?.id ?? "")));
      return;
    }
    status.className = "form-status form-status--ok";
    status.textContent = `${message} · ${new Date().toLocaleTimeString(document.documentElement.lang,
      { hour: "2-digit", minute: "2-digit" })}`;
  }

  fail(form, status, errors) {
    status.className = "form-status form-status--error";
    status.textContent = t("web.admin.not_saved", { n: errors.length });
    const first = showErrors(form, errors);
    if (first) {
      first.focus({ preventScroll: true });
      first.scrollIntoView({ block: "center" });
    }
  }

  // A form whose only field names the thing to open (a new queue, an operator): go there.
  open(event, form) {
    event.preventDefault();
    clearErrors(form);
    const control = form.querySelector("[name]");
    const value = control.value.trim();
    const pattern = control.dataset.pattern ? new RegExp(control.dataset.pattern) : null;
    if (!value || (pattern && !pattern.test(value))) {
      showErrors(form, [[control.name, t(value ? control.dataset.patternHint : "web.admin.v.missing")]]);
      control.focus();
      return;
    }
    location.assign(form.dataset.go.replace("{value}", encodeURIComponent(value)));
  }

  // Two clicks, no dialog: the first arms the button and says what will happen.
  async remove(event, button) {
    const box = button.closest(".form-actions, [data-row], form")?.querySelector("[data-role=form-error]")
      || button.parentElement.querySelector("[data-role=form-error]");
    if (!button.dataset.armed) {
      button.dataset.armed = button.textContent;
      button.textContent = button.dataset.confirm;
      button.classList.add("button--danger");
      setTimeout(() => this.disarm(button), 5000);
      return;
    }
    try {
      await send("DELETE", button.dataset.url);
      sessionStorage.setItem(FLASH, t("web.admin.deleted"));
      if (button.dataset.go) location.assign(button.dataset.go); else location.reload();
    } catch (error) {
      this.disarm(button);
      if (box) { box.textContent = error.message; box.hidden = false; }
    }
  }

  disarm(button) {
    if (!button.dataset.armed) return;
    button.textContent = button.dataset.armed;
    delete button.dataset.armed;
    button.classList.remove("button--danger");
  }

  // A button that PUTs fixed JSON (turn a user off and on).
  async put(event, button) {
    const box = button.closest("[data-row], form")?.querySelector("[data-role=form-error]");
    try {
      await send("PUT", button.dataset.url, JSON.parse(button.dataset.body));
      sessionStorage.setItem(FLASH, t("web.admin.saved"));
      location.reload();
    } catch (error) {
      if (box) { box.textContent = error.message; box.hidden = false; }
    }
  }

  toggle(event, control) {
    const box = control.closest("[data-collect]");
    if (box?.dataset.collect === "action") this.showAction(box);
    if (box?.dataset.collect === "hours") showSchedule(box);
  }

  showAction(box) {
    const kind = box.querySelector("[data-role=kind]").value;
    for (const part of box.querySelectorAll("[data-show-when]")) {
      part.hidden = !part.dataset.showWhen.split(" ").includes(kind);
    }
  }

  // A new row from the list's template (or the one the button names: a script's
  // promotions step).
  addRow(event, button) {
    const box = button.closest("[data-collect]");
    const template = box.querySelector(`template[data-role="${CSS.escape(button.dataset.template || "row-tpl")}"]`);
    const row = template.content.firstElementChild.cloneNode(true);
    box.querySelector("[data-role=rows]").append(row);
    row.querySelector("input")?.focus();
  }

  removeRow(event, button) {
    const row = button.closest("[data-row]");
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    (next?.querySelector("input") || this.element.querySelector("[data-action~='click:admin#addRow']"))?.focus();
  }

  moveRow(event, button) {
    const row = button.closest("[data-row]");
    if (button.dataset.dir === "up" && row.previousElementSibling) row.parentElement.insertBefore(row, row.previousElementSibling);
    if (button.dataset.dir === "down" && row.nextElementSibling) row.parentElement.insertBefore(row.nextElementSibling, row);
    button.focus();
  }

  addInterval(event, button) {
    const container = button.closest("tr, [data-holiday]").querySelector("[data-intervals]");
    addInterval(container, this.element.querySelector("template[data-role=interval-tpl]"));
  }

  removeInterval(event, button) {
    button.closest("[data-interval]").remove();
  }

  addHoliday(event, button) {
    const box = button.closest(".holidays");
    const row = box.querySelector("template[data-role=holiday-tpl]").content.firstElementChild.cloneNode(true);
    box.querySelector("[data-role=holidays]").append(row);
    row.querySelector("input").focus();
  }

  removeHoliday(event, button) {
    button.closest("[data-holiday]").remove();
  }

  async copy(event, button) {
    const source = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.value ?? source.textContent);
    } catch {
      source.select?.();
      document.execCommand("copy");
    }
    const status = button.parentElement.querySelector("[data-role=status]");
    if (status) { status.className = "form-status form-status--ok"; status.textContent = t("web.admin.copied"); }
  }

  // Times stored as seconds since the epoch, shown in the reader's own clock.
  formatTimes() {
    const format = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "short" });
    for (const node of this.element.querySelectorAll("time[data-epoch]")) {
      node.textContent = format.format(new Date(Number(node.dataset.epoch) * 1000));
    }
  }
}
