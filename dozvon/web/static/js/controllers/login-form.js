// The login form: posts to /auth/login as JSON, shows the server's message beside the
// form (a wrong password, a lock-out after too many tries), then opens their first page.
import { Controller, t } from "../lib/controller.js";
import { post } from "../lib/api.js";

export default class LoginForm extends Controller {
  async submit(event) {
    event.preventDefault();
    const button = this.target("button");
    const username = this.target("username").value.trim();
    const password = this.target("password").value;
    if (!username || !password) {
      (username ? this.target("password") : this.target("username")).focus();
      return;
    }
    button.disabled = true;
    this.showError("");
    try {
      await post("/auth/login", { username, password });
      location.assign("/");  // the server sends each person to their first page
    } catch (error) {
      this.showError(error.status === 0 ? t("web.login.offline") : error.message);
      this.target("password").select();
      button.disabled = false;
    }
  }

  showError(text) {
    const box = this.target("error");
    box.textContent = text;
    box.hidden = !text;
  }
}
