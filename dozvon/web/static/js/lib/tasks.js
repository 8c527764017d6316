// What the desktop shows of a task, wherever it shows one (the operator's own list, the
// customer's card): its kind, words, owner and due time — overdue in red — built with
// textContent, since a task's words may be a customer's.
import { label, t } from "./controller.js";

export function dueText(task, stamp) {
  const when = stamp.format(new Date(task.due_at * 1000));
  return task.overdue ? t("web.task.overdue_since", { when }) : t("web.task.due_at", { when });
}

export function taskItem(task, stamp, { owner = false } = {}) {
  const li = document.createElement("li");
  li.className = "task" + (task.overdue ? " task--overdue" : "");
  li.dataset.task = task.id;
  const head = document.createElement("p");
  head.className = "task__head";
  const kind = document.createElement("span");
  kind.className = "task__kind";
  kind.textContent = label("web.task.kind.", task.kind);
  const due = document.createElement("time");
  due.className = "task__due";
  due.dateTime = new Date(task.due_at * 1000).toISOString();
  due.textContent = dueText(task, stamp);
  head.append(kind, due);
  const title = document.createElement("p");
  title.className = "task__title";
  title.textContent = task.title;
  li.append(head, title);
  if (task.note) {
    const note = document.createElement("p");
    note.className = "task__note";
    note.textContent = task.note;
    li.append(note);
  }
  if (owner) {
    const who = document.createElement("p");
    who.className = "task__owner";
    who.textContent = t("web.task.owner_is", { name: task.owner_name || task.owner });
    li.append(who);
  }
  return li;
}

// Local "YYYY-MM-DDTHH:MM" for <input type="datetime-local">.
export function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
