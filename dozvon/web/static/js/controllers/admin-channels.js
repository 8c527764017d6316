// The channels page: saving works as on every settings page (AdminPage); besides, a secret
// Dozvon makes (a form's) is shown once in a box that stays until the person says they
// have kept it, a channel is tested in place (what was found, or what is wrong), a form's
// address and a signed example are read from its API, and the health times read as
// "5 minutes ago".
import AdminPage from "./admin-page.js";
import { t } from "../lib/controller.js";
import { send } from "./admin-form.js";
import { del, get, upload } from "../lib/api.js";

export default class AdminChannels extends AdminPage {
  connect() {
    this.ago = new Intl.RelativeTimeFormat(document.documentElement.lang, { numeric: "auto" });
    for (const node of this.element.querySelectorAll("[data-time]")) {
      if (node.dataset.time) node.textContent = this.since(Number(node.dataset.time));
    }
    for (const box of this.element.querySelectorAll("[data-role=form-url]")) this.showForm(box);
    for (const box of this.element.querySelectorAll("[data-role=prompts]")) this.showPrompts(box);
  }

  // A phone line's own recordings (greeting, menu, recording notice): listed with a player,
  // uploaded as WAV files, deleted to go back to the spoken text.
  async showPrompts(box, answer = null) {
    let found = answer;
    try {
      found = found || await get(box.dataset.url);
    } catch (error) {
      this.promptError(box, error.message);
      return;
    }
    const recorded = new Map(found.items.map((item) => [item.kind, item]));
    for (const row of box.querySelectorAll("[data-prompt]")) {
      const item = recorded.get(row.dataset.prompt);
      const player = row.querySelector("[data-role=player]");
      row.querySelector("[data-role=state]").textContent = item
        ? t("web.channel.prompt_recorded", { seconds: item.duration_s.toFixed(1) }) : t("web.channel.prompt_spoken");
      player.hidden = !item;
      if (item) player.src = `${item.url}?v=${Date.now()}`;
      else player.removeAttribute("src");
      row.querySelector("[data-role=delete]").hidden = !item;
    }
  }

  promptError(box, message) {
    const node = box.querySelector("[data-role=prompt-error]");
    node.textContent = message || "";
    node.hidden = !message;
  }

  async uploadPrompt(event, input) {
    const box = input.closest("[data-role=prompts]");
    const kind = input.closest("[data-prompt]").dataset.prompt;
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    this.promptError(box, "");
    try {
      await upload("PUT", `${box.dataset.url}/${kind}`, file);
      await this.showPrompts(box);
    } catch (error) {
      this.promptError(box, error.message);
    }
  }

  async deletePrompt(event, button) {
    const box = button.closest("[data-role=prompts]");
    const kind = button.closest("[data-prompt]").dataset.prompt;
    this.promptError(box, "");
    try {
      await this.showPrompts(box, await del(`${box.dataset.url}/${kind}`));
    } catch (error) {
      this.promptError(box, error.message);
    }
  }

  since(seconds) {
    const minutes = Math.round((seconds * 1000 - Date.now()) / 60000);
    if (Math.abs(minutes) < 60) return this.ago.format(minutes, "minute");
    if (Math.abs(minutes) < 2880) return this.ago.format(Math.round(minutes / 60), "hour");
    return this.ago.format(Math.round(minutes / 1440), "day");
  }

  saved(form, status, answer) {
    if (answer && answer.secret) {
      this.reveal(answer.secret);
      status.className = "form-status form-status--ok";
      status.textContent = t(form.dataset.savedText || "web.admin.saved");
      return;
    }
    super.saved(form, status, answer);
  }

  reveal(secret) {
    const box = this.target("secret");
    this.target("secretValue").textContent = secret;
    box.hidden = false;
    box.scrollIntoView({ block: "center" });
    box.querySelector("button").focus();
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.target("secretValue").textContent);
    } catch { /* a page over plain HTTP may not copy: the secret is selectable */ }
  }

  done() {
    location.reload();
  }

  status(button) {
    return button.closest(".channel-card__tools").querySelector("[data-role=test-status]");
  }

  async test(event, button) {
    const line = this.status(button);
    line.className = "form-status";
    line.textContent = t("web.channel.testing");
    button.disabled = true;
    try {
      const answer = await send("POST", `${this.element.dataset.api}/${encodeURIComponent(button.dataset.name)}/test`);
      line.className = `form-status form-status--${answer.ok ? "ok" : "error"}`;
      line.textContent = answer.message;
    } catch (error) {
      line.className = "form-status form-status--error";
      line.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  // --- webhooks: a test ping, the delivery log, a replay

  async ping(event, button) {
    const line = this.status(button);
    line.className = "form-status";
    line.textContent = t("web.channel.testing");
    try {
      const answer = await send("POST", `${this.element.dataset.api}/${button.dataset.id}/ping`);
      line.className = `form-status form-status--${answer.ok ? "ok" : "error"}`;
      line.textContent = answer.ok ? t("web.hook.pinged", { status: answer.status_code, ms: Math.round(answer.duration_ms) })
        : t("web.hook.ping_failed", { error: answer.error || answer.status_code });
    } catch (error) {
      line.className = "form-status form-status--error";
      line.textContent = error.message;
    }
  }

  async log(event, button) {
    const box = button.closest("[data-hook]").querySelector("[data-role=log]");
    const open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    box.hidden = open;
    if (open) return;
    const when = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "short", timeStyle: "medium" });
    try {
      const answer = await send("GET", `${this.element.dataset.api}/${button.dataset.id}/deliveries?limit=50`);
      box.querySelector("[data-role=log-empty]").hidden = answer.items.length > 0;
      box.querySelector("[data-role=rows]").replaceChildren(...answer.items.map((d) => {
        const tr = document.createElement("tr");
        tr.dataset.status = d.status;
        const cells = [when.format(new Date(d.created_at * 1000)), d.event_type, t(`web.hook.status.${d.status}`),
          String(d.attempts), d.last_status_code ? `${d.last_status_code}${d.last_error ? " · " + d.last_error : ""}` : (d.last_error || "–")];
        cells.forEach((text, i) => {
          const td = document.createElement(i === 0 ? "th" : "td");
          if (i === 0) td.scope = "row";
          if (i === 3) td.className = "num";
          td.textContent = text;
          tr.append(td);
        });
        const last = document.createElement("td");
        if (d.status !== "pending") {
          const again = document.createElement("button");
          again.type = "button";
          again.className = "button button--ghost button--small";
          again.textContent = t("web.hook.replay");
          again.addEventListener("click", async () => {
            try {
              await send("POST", `${this.element.dataset.api}/${button.dataset.id}/deliveries/${d.id}/replay`);
              again.textContent = t("web.hook.replayed");
              again.disabled = true;
            } catch (error) {
              again.textContent = error.message;
            }
          });
          last.append(again);
        }
        tr.append(last);
        return tr;
      }));
    } catch (error) {
      box.querySelector("[data-role=log-empty]").textContent = error.message;
      box.querySelector("[data-role=log-empty]").hidden = false;
    }
  }

  async renew(event, button) {
    if (!button.dataset.armed) {
      button.dataset.armed = button.textContent;
      button.textContent = t("web.channel.renew_confirm");
      setTimeout(() => { if (button.dataset.armed) { button.textContent = button.dataset.armed; delete button.dataset.armed; } }, 5000);
      return;
    }
    delete button.dataset.armed;
    try {
      const answer = await send("POST", `${this.element.dataset.api}/${encodeURIComponent(button.dataset.name)}/secret`);
      this.reveal(answer.secret);
    } catch (error) {
      const line = this.status(button);
      line.className = "form-status form-status--error";
      line.textContent = error.message;
    }
  }

  async showForm(box) {
    try {
      const form = await send("GET", `/api/v1/projects/${encodeURIComponent(this.element.dataset.project)}/forms/${encodeURIComponent(box.dataset.name)}`);
      box.querySelector("[data-role=url]").textContent = form.url;
      box.querySelector("[data-role=example]").textContent = form.example || "";
      box.hidden = false;
    } catch { /* the address stays hidden; the card says the rest */ }
  }
}
