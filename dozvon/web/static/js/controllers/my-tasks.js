// The operator's own tasks under the offers: what they promised customers and by when,
// most urgent first, overdue in red. The alarm's task.overdue rings like an offer (banner,
// a browser notification when the tab is hidden); a task given to them says so. Done and
// Drop close one, with an optional word on what came of it.
import { Controller, t } from "../lib/controller.js";
import { get, post } from "../lib/api.js";
import { taskItem } from "../lib/tasks.js";

const RELOAD_ON = new Set(["task.created", "task.reassigned", "task.released", "task.rescheduled", "task.overdue",
  "task.done", "task.cancelled"]);

export default class MyTasks extends Controller {
  connect() {
    if (!this.desktop?.dataset.project) return;
    this.operatorId = this.desktop.dataset.operator;
    this.stamp = new Intl.DateTimeFormat(document.documentElement.lang,
                                         { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    this.items = [];
    this.on("dz:event", (event) => this.changed(event));
    this.on("dz:tasks", () => this.load());
    this.load();
    setInterval(() => this.load(), 60000);  // a due time passing turns a task red before its alarm
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  async load() {
    try {
      this.items = (await get(`${this.base}/tasks?limit=100`)).items;
      this.render();
    } catch (error) {
      if (error.status !== 403) this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  changed(event) {
    if (!RELOAD_ON.has(event.type) || event.operator_id !== this.operatorId) return;
    clearTimeout(this.again);
    this.again = setTimeout(() => this.load(), 200);
    const known = this.items.find((task) => task.id === event.data.task_id);
    if (event.type === "task.overdue") this.alarm(known, event);
    if (event.type === "task.reassigned") {
      get(`${this.base}/tasks/${event.data.task_id}`)
        .then((task) => this.emit("dz:notice", t("web.task.reassigned", { title: task.title })))
        .catch(() => {});
    }
  }

  async alarm(known, event) {
    let task = known;
    if (!task) task = await get(`${this.base}/tasks/${event.data.task_id}`).catch(() => null);
    const text = t("web.task.alarm", { title: task ? task.title : `#${event.data.task_id}` });
    this.emit("dz:error", text);
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      try { new Notification(text, { tag: `task-${event.data.task_id}` }); } catch { /* not allowed here */ }
    }
  }

  render() {
    const count = this.target("count");
    const late = this.items.filter((task) => task.overdue).length;
    count.textContent = this.items.length ? String(this.items.length) : "";
    count.dataset.late = late ? "yes" : "";
    this.target("empty").hidden = this.items.length > 0;
    this.target("list").replaceChildren(...this.items.map((task) => {
      const li = taskItem(task, this.stamp);
      const actions = document.createElement("div");
      actions.className = "task__actions";
      for (const [key, done] of [["web.task.done", true], ["web.task.cancel", false]]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = done ? "button button--secondary button--small" : "button button--ghost button--small";
        button.textContent = t(key);
        button.addEventListener("click", () => this.ask(li, task, done));
        actions.append(button);
      }
      li.append(actions);
      return li;
    }));
  }

  // A small form in place of the buttons: what came of it, then close.
  ask(li, task, done) {
    const form = document.createElement("form");
    form.className = "task__close";
    const input = document.createElement("input");
    input.className = "input";
    input.maxLength = 500;
    input.setAttribute("aria-label", t("web.task.outcome"));
    input.placeholder = t("web.task.outcome");
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.className = "button button--primary button--small";
    submit.textContent = done ? t("web.task.done") : t("web.task.cancel");
    form.append(input, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      try {
        await post(`${this.base}/tasks/${task.id}/${done ? "done" : "cancel"}`, { outcome: input.value.trim() });
        this.emit("dz:tasks");
      } catch (error) {
        submit.disabled = false;
        this.emit("dz:error", t("web.desktop.error", { message: error.message }));
      }
    });
    li.querySelector(".task__actions").replaceWith(form);
    input.focus();
  }
}
