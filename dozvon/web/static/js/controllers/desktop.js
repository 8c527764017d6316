// The operator desktop: reads the operator and their contacts over REST, then streams the
// project's events after that state's seq and re-broadcasts each as "dz:event" to the
// controllers inside (state switch, offers, conversations). Owns the shortcuts, the
// connection indicator, the error banner, the beep and the browser notification.
import { Controller, t } from "../lib/controller.js";
import { get, post, sleep } from "../lib/api.js";
import { Stream } from "../lib/stream.js";

const REFRESH_ON = new Set(["offer.created", "offer.accepted", "offer.declined", "offer.timed_out",
  "offer.withdrawn", "contact.answered", "contact.ended", "contact.closed", "contact.transferred",
  "contact.wrap_up_ended", "contact.abandoned", "operator.state_changed", "csat.rated"]);

export default class Desktop extends Controller {
  get desktop() {
    return this.element;
  }

  connect() {
    const { project, operator } = this.element.dataset;
    if (!project) {
      this.target("connection").hidden = true;
      return;
    }
    this.base = `/api/v1/projects/${encodeURIComponent(project)}`;
    this.operatorId = operator;
    this.on("dz:operator", (op) => this.showOperator(op));
    this.on("dz:error", (message) => this.showError(message));
    this.on("dz:notice", (message) => this.showError(message, "notice"));
    this.on("dz:gesture", () => this.unlockAlerts());
    this.on("dz:ring", (offer) => this.ring(offer));
    document.addEventListener("keydown", (event) => this.shortcut(event));  // wherever the focus is
    this.on("dz:signal", (frame) => this.stream.signal(frame));
    this.stream = new Stream(project, {
      onEvent: (event) => this.dispatch(event),
      onStatus: (status) => this.connection(status),
      onSignal: (frame) => this.emit(frame.kind === "typing" ? "dz:typing" : `dz:${frame.kind}`, frame),
    });
    this.load();
  }

  async load() {
    for (let delay = 1000; ; delay = Math.min(delay * 2, 15000)) {
      try {
        const operator = await get(`${this.base}/operators/${encodeURIComponent(this.operatorId)}`);
        const listed = await get(`${this.base}/conversations?limit=200`);
        this.emit("dz:operator", operator);
        for (const conversation of listed.items) {
          for (const offer of conversation.offers || []) {
            if (offer.operator_id === this.operatorId) this.emit("dz:offer", { ...offer, conversation });
          }
        }
        for (const id of operator.contacts) this.emit("dz:open", { id, focus: false });
        this.stream.start(operator.seq);
        return;
      } catch (error) {
        this.connection("down");
        if (error.status === 401) { location.assign("/"); return; }
        await sleep(delay);
      }
    }
  }

  dispatch(event) {
    this.emit("dz:event", event);
    if (REFRESH_ON.has(event.type) && event.operator_id === this.operatorId) this.refresh();
  }

  // The operator's state and load as the server sees them, a moment after a change.
  refresh() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      try {
        const me = `${this.base}/operators/${encodeURIComponent(this.operatorId)}`;
        const [operator, today] = await Promise.all([get(me), get(`${me}/today`)]);
        this.emit("dz:operator", operator);
        this.showToday(today);
      } catch { /* the next event or reconnect refreshes it */ }
    }, 150);
  }

  // The operator's own day in the status bar: what they took and closed, how long a
  // contact takes them on average, what customers said.
  showToday(today) {
    const percent = new Intl.NumberFormat(document.documentElement.lang, { style: "percent" });
    const minutes = (s) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`;
    this.target("today").textContent = t("web.today.figures", {
      answered: today.answered, handled: today.handled,
      aht: today.aht_s === null ? "–" : minutes(today.aht_s),
      csat: today.csat === null ? "–" : `${percent.format(today.csat)} (${today.csat_answers})`,
    });
  }

  showOperator(operator) {
    const presence = this.target("presence");
    presence.dataset.presence = operator.presence;
    let label = t(`web.state.${operator.presence}`);
    if (operator.state === "break" && operator.reason) {
      const reason = t(`web.break.${operator.reason}`);
      label += " · " + (reason.startsWith("web.") ? operator.reason : reason);
    }
    this.target("presenceLabel").textContent = label;
    const capacity = (operator.capacity && operator.capacity.chat) || 0;
    this.target("load").textContent = operator.calls ? t("web.desktop.on_call")
      : t("web.desktop.load", { n: operator.contacts.length, c: capacity });
  }

  connection(status) {
    const indicator = this.target("connection");
    indicator.dataset.connection = status;
    indicator.textContent = status === "up" ? t("web.desktop.connected") : t("web.desktop.reconnecting");
    this.emit("dz:connection", status === "up");
    if (status === "up") this.refresh();
    else this.checkSession();
  }

  // A socket refused because the session ended looks like any drop: ask the API, and
  // go to the login page when the session is gone (never for a mere network failure).
  async checkSession() {
    try {
      await get("/api/v1/me");
    } catch (error) {
      if (error.status === 401) location.assign("/");
    }
  }

  showError(message, kind = "error") {
    const banner = this.target("banner");
    banner.textContent = message;
    banner.dataset.kind = kind;  // a notice (done) reads calmer than an error
    banner.hidden = false;
    clearTimeout(this.bannerTimer);
    this.bannerTimer = setTimeout(() => { banner.hidden = true; }, 6000);
  }

  shortcut(event) {
    if (!event.altKey) return;
    if (event.code === "KeyA") {
      event.preventDefault();
      this.emit("dz:accept-newest");
    } else if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      this.emit("dz:move", event.key === "ArrowRight" ? 1 : -1);
    }
  }

  async logout() {
    try { await post("/auth/logout"); } finally { location.assign("/"); }
  }

  // Browsers allow sound and the permission prompt only after a click: ask once, when the
  // operator goes available; a refusal is remembered by the browser and simply means no pop-ups.
  unlockAlerts() {
    if (!this.audio && window.AudioContext) this.audio = new AudioContext();
    if ("Notification" in window && Notification.permission === "default") {
      Notification.requestPermission().catch(() => {});
    }
  }

  ring(offer) {
    if (this.audio) {
      const now = this.audio.currentTime;
      for (const [start, freq] of [[0, 880], [0.18, 1320]]) {
        const tone = this.audio.createOscillator();
        const gain = this.audio.createGain();
        tone.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, now + start);
        gain.gain.exponentialRampToValueAtTime(0.2, now + start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.15);
        tone.connect(gain).connect(this.audio.destination);
        tone.start(now + start);
        tone.stop(now + start + 0.16);
      }
    }
    if (document.hidden && "Notification" in window && Notification.permission === "granted") {
      try {
        const note = new Notification(t("web.offer.notify", { name: offer.name }), { tag: offer.offer_id });
        note.onclick = () => { window.focus(); note.close(); };
      } catch { /* some browsers allow notifications only from a service worker */ }
    }
  }
}
