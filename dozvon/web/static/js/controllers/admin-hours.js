// A queue's business hours on its settings page: a week of intervals and a list of
// holidays (closed, or their own shorter hours), read into the API's
// {timezone, weekly: {mon: ["09:00-18:00"]}, holidays: {"2026-12-31": []}} — or null
// when the queue is open around the clock. An interval that ends before it starts runs
// past midnight; 00:00 as its end is midnight.
import { t } from "../lib/controller.js";

// "9:00", "09:00" or "24:00" as "HH:MM"; "" when empty, null when it is not a time of day.
function clock(text) {
  const value = text.trim().replace(".", ":");
  if (!value) return "";
  const match = /^(\d{1,2}):(\d{2})$/.exec(value);
  if (!match) return null;
  const [h, m] = [Number(match[1]), Number(match[2])];
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return null;
  return `${String(h).padStart(2, "0")}:${match[2]}`;
}

function intervalsOf(box, where, errors) {
  const out = [];
  for (const row of box.querySelectorAll("[data-interval]")) {
    const start = clock(row.querySelector("[data-role=start]").value);
    const end = clock(row.querySelector("[data-role=end]").value);
    if (start === "" || end === "") { errors.push([where, t("web.admin.v.interval_empty")]); continue; }
    if (!start || !end) { errors.push([where, t("web.admin.v.time")]); continue; }
    if (start === end && start !== "00:00") { errors.push([where, t("web.admin.v.interval_same")]); continue; }
    out.push(`${start}-${end}`);
  }
  return out;
}

export function collectHours(box, errors) {
  if (box.querySelector("[data-role=always]").checked) return null;
  const timezone = box.querySelector("[data-role=timezone]").value.trim();
  if (!timezone) errors.push(["hours.timezone", t("web.admin.v.missing")]);
  const weekly = {};
  for (const day of box.querySelectorAll("[data-intervals]:not([data-intervals=holiday])")) {
    const intervals = intervalsOf(day, `hours.weekly.${day.dataset.intervals}`, errors);
    if (intervals.length) weekly[day.dataset.intervals] = intervals;
  }
  const holidays = {};
  for (const row of box.querySelectorAll("[data-holiday]")) {
    const date = row.querySelector("[data-role=date]").value;
    const slot = row.querySelector(".field__error");
    slot.dataset.errorFor = `hours.holidays.${date || "?" + [...row.parentElement.children].indexOf(row)}`;
    if (!date) { errors.push([slot.dataset.errorFor, t("web.admin.v.date")]); continue; }
    if (date in holidays) { errors.push([slot.dataset.errorFor, t("web.admin.v.twice")]); continue; }
    holidays[date] = intervalsOf(row.querySelector("[data-intervals]"), slot.dataset.errorFor, errors);
  }
  return { timezone, weekly, holidays };
}

// Show the week and holidays only when the queue keeps hours.
export function showSchedule(box) {
  const always = box.querySelector("[data-role=always]").checked;
  box.querySelector("[data-role=schedule]").hidden = always;
  box.querySelector("[data-role=timezone]").closest(".field").hidden = always;
}

export function addInterval(container, template) {
  const row = template.content.firstElementChild.cloneNode(true);
  const label = container.dataset.label;
  const date = container.closest("[data-holiday]")?.querySelector("[data-role=date]")?.value;
  const name = date || label;
  row.querySelector("[data-role=start]").setAttribute("aria-label", `${name}: ${t("web.admin.from")}`);
  row.querySelector("[data-role=end]").setAttribute("aria-label", `${name}: ${t("web.admin.to")}`);
  container.insertBefore(row, container.querySelector(".intervals__closed"));
  row.querySelector("[data-role=start]").focus();
}
