// The frame of the supervisor's pages (wallboard, reports, conversations, a refused page):
// logging out, and the connection indicator in the top bar. The pages' controllers extend it.
import { Controller, t } from "../lib/controller.js";
import { get, post } from "../lib/api.js";

export default class Page extends Controller {
  get desktop() {
    return this.element;  // events of the page's parts go through its root
  }

  async logout() {
    try { await post("/auth/logout"); } finally { location.assign("/"); }
  }

  connection(status) {
    const indicator = this.target("connection");
    if (!indicator) return;
    indicator.dataset.connection = status;
    indicator.textContent = status === "up" ? t("web.desktop.connected")
      : status === "poll" ? t("web.board.polling") : t("web.desktop.reconnecting");
    if (status === "down") this.checkSession();
  }

  // A refused socket looks like any drop: when the session has ended, go to the login page.
  async checkSession() {
    try {
      await get("/api/v1/me");
    } catch (error) {
      if (error.status === 401) location.assign("/");
    }
  }

  showError(message) {
    const banner = this.target("banner");
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = false;
    clearTimeout(this.bannerTimer);
    this.bannerTimer = setTimeout(() => { banner.hidden = true; }, 6000);
  }
}
