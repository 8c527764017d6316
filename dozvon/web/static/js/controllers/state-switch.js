// The operator's state: Available / Break (with a reason) / Offline, always on screen.
// The pressed button follows the server's view (operator.state_changed), not the click.
import { Controller, t } from "../lib/controller.js";
import { post } from "../lib/api.js";

export default class StateSwitch extends Controller {
  connect() {
    this.on("dz:operator", (operator) => this.show(operator));
  }

  async choose(event, button) {
    const state = button.dataset.state;
    if (state === "available") this.emit("dz:gesture");  // sound and notifications need a gesture
    const body = { state };
    if (state === "break") body.reason = this.target("reason").value;
    await this.send(body);
  }

  async reason() {
    if (this.current === "break") await this.send({ state: "break", reason: this.target("reason").value });
  }

  async send(body) {
    const { project, operator } = this.desktop.dataset;
    try {
      const answer = await post(`/api/v1/projects/${encodeURIComponent(project)}/operators/${encodeURIComponent(operator)}/state`, body);
      this.emit("dz:operator", answer);
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  show(operator) {
    this.current = operator.state;
    for (const button of this.element.querySelectorAll("[data-state]")) {
      button.setAttribute("aria-pressed", String(button.dataset.state === operator.state));
    }
    if (operator.state === "break" && operator.reason) {
      const select = this.target("reason");
      if ([...select.options].some((o) => o.value === operator.reason)) select.value = operator.reason;
    }
  }
}
