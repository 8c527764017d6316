// Dozvon's web-chat widget. A site adds one tag:
//   <script src="https://<dozvon>/widget.js" data-project="shop" async></script>
// and gets a chat button. Everything lives in a shadow root, so the page's styles neither
// reach in nor get touched. The visitor's credential, and the messages not yet sent, are
// kept in localStorage: a reload, a second tab or a dropped network continues the same
// conversation, and nothing typed is lost. Every text from a person is set with
// textContent — never parsed as HTML.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.__dozvonWidget) return;
  const project = script.dataset.project;
  if (!project) return;
  const base = new URL(script.src, location.href).origin;
  const api = `${base}/widget/${encodeURIComponent(project)}`;
  const lang = (script.dataset.lang || navigator.language || "ru").slice(0, 2).toLowerCase() === "en" ? "en" : "ru";
  const storeKey = `dozvon.widget.${project}`;

  // ---------------------------------------------------------------- storage
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch { return {}; }
  }
  function save(patch) {
    const next = { ...load(), ...patch };
    try { localStorage.setItem(storeKey, JSON.stringify(next)); } catch { /* private mode: memory only */ }
    return next;
  }
  const randomId = () => {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ---------------------------------------------------------------- HTTP
  class Failure extends Error {
    constructor(status, message, fields, retryAfter) {
      super(message);
      this.status = status;
      this.fields = fields || [];
      this.retryAfter = retryAfter;
    }
  }
  async function call(method, path, body) {
    const headers = { "Accept": "application/json", "Accept-Language": lang };
    const token = load().token;
    if (token) headers["Authorization"] = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                         credentials: "omit", cache: "no-store" });
    } catch (error) {
      throw new Failure(0, error.message);
    }
    const data = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const err = data.error || {};
      throw new Failure(answer.status, err.message || answer.statusText, err.fields,
                        Number(answer.headers.get("Retry-After") || 0));
    }
    return data;
  }

  // ---------------------------------------------------------------- the view
  const STYLE = `
    :host { all: initial; }
    * { box-sizing: border-box; }
    .root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; font: 14px/1.45 system-ui,
            -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2937; }
    .launcher { display: inline-flex; align-items: center; gap: 8px; border: 0; border-radius: 999px;
                padding: 12px 18px; background: var(--accent); color: #fff; font: inherit; font-weight: 600;
                cursor: pointer; box-shadow: 0 6px 20px rgba(15, 23, 42, .25); }
    .launcher:focus-visible, button:focus-visible, textarea:focus-visible, input:focus-visible {
                outline: 3px solid #93c5fd; outline-offset: 2px; }
    .launcher svg { width: 20px; height: 20px; }
    .badge { min-width: 20px; padding: 0 6px; border-radius: 999px; background: #ef4444; color: #fff;
             font-size: 12px; line-height: 20px; text-align: center; }
    .panel { position: absolute; right: 0; bottom: 0; width: 360px; height: min(560px, calc(100vh - 40px));
             display: flex; flex-direction: column; background: #fff; border-radius: 14px; overflow: hidden;
             box-shadow: 0 12px 40px rgba(15, 23, 42, .28); border: 1px solid #e5e7eb; }
    .panel[hidden], [hidden] { display: none !important; }
    .head { display: flex; align-items: center; gap: 8px; padding: 12px 14px; background: var(--accent); color: #fff; }
    .head h2 { flex: 1; margin: 0; font-size: 15px; font-weight: 600; overflow: hidden; text-overflow: ellipsis;
               white-space: nowrap; }
    .icon { border: 0; background: transparent; color: inherit; cursor: pointer; padding: 4px 6px; border-radius: 6px;
            font: inherit; font-size: 18px; line-height: 1; }
    .icon:hover { background: rgba(255, 255, 255, .18); }
    .status { padding: 8px 14px; font-size: 13px; color: #374151; background: #f3f4f6; border-bottom: 1px solid #e5e7eb; }
    .status[data-tone=offline] { background: #fef3c7; color: #78350f; }
    .callbtn { border: 1px solid rgba(255, 255, 255, .6); background: transparent; color: inherit; cursor: pointer;
               border-radius: 999px; padding: 4px 10px; font: inherit; font-size: 13px; }
    .callbtn:hover { background: rgba(255, 255, 255, .18); }
    .callbar { display: flex; align-items: center; gap: 10px; padding: 10px 14px; background: #ecfdf5; color: #065f46;
               border-bottom: 1px solid #d1fae5; font-size: 13px; }
    .callbar[data-state=failed] { background: #fee2e2; color: #7f1d1d; border-color: #fecaca; }
    .callbar span { flex: 1; }
    .hangup { border: 0; border-radius: 999px; padding: 6px 12px; background: #dc2626; color: #fff; cursor: pointer;
              font: inherit; font-size: 13px; }
    .status[data-tone=down] { background: #fee2e2; color: #7f1d1d; }
    .log { flex: 1; margin: 0; padding: 14px; list-style: none; overflow-y: auto; background: #f9fafb;
           display: flex; flex-direction: column; gap: 8px; }
    .intro { color: #6b7280; text-align: center; font-size: 13px; margin: 8px 0; }
    .msg { max-width: 82%; padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; word-wrap: break-word;
           overflow-wrap: anywhere; }
    .msg--in { align-self: flex-end; background: var(--accent); color: #fff; border-bottom-right-radius: 4px; }
    .msg--out { align-self: flex-start; background: #fff; border: 1px solid #e5e7eb; border-bottom-left-radius: 4px; }
    .msg--auto { background: #eef2ff; border-color: #e0e7ff; }
    .msg__who { display: block; font-size: 12px; font-weight: 600; color: #4b5563; margin-bottom: 2px; }
    .msg__meta { display: block; font-size: 11px; opacity: .75; margin-top: 2px; text-align: right; }
    .msg--failed { background: #fee2e2; color: #7f1d1d; }
    .typing { padding: 0 14px 6px; min-height: 20px; font-size: 12px; color: #6b7280; background: #f9fafb; }
    .composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; background: #fff; }
    textarea, input { font: inherit; color: inherit; border: 1px solid #d1d5db; border-radius: 10px; padding: 8px 10px;
                      background: #fff; }
    .composer textarea { flex: 1; resize: none; min-height: 40px; max-height: 120px; }
    .send, .primary { border: 0; border-radius: 10px; padding: 0 14px; background: var(--accent); color: #fff;
                      font: inherit; font-weight: 600; cursor: pointer; min-height: 40px; }
    .send:disabled { opacity: .5; cursor: default; }
    .form { padding: 14px; display: flex; flex-direction: column; gap: 10px; border-top: 1px solid #e5e7eb;
            background: #fff; }
    .form p { margin: 0; color: #374151; }
    .field { display: flex; flex-direction: column; gap: 4px; font-size: 13px; font-weight: 600; }
    .field small { font-weight: 400; color: #6b7280; }
    .field__error { color: #b91c1c; font-weight: 400; font-size: 12px; }
    .rate { padding: 12px 14px; border-top: 1px solid #e5e7eb; background: #fff; display: flex; flex-direction: column;
            gap: 8px; }
    .rate h3 { margin: 0; font-size: 14px; }
    .stars { display: flex; gap: 4px; }
    .star { border: 1px solid #d1d5db; background: #fff; border-radius: 8px; width: 40px; height: 36px; cursor: pointer;
            font-size: 18px; color: #9ca3af; }
    .star[aria-pressed=true] { background: #fef3c7; border-color: #f59e0b; color: #b45309; }
    .foot { display: flex; justify-content: space-between; align-items: center; padding: 4px 12px 8px;
            font-size: 11px; color: #9ca3af; background: #fff; }
    .link { border: 0; background: none; color: #6b7280; text-decoration: underline; cursor: pointer; font: inherit;
            font-size: 11px; padding: 0; }
    @media (max-width: 480px) {
      .root { right: 12px; bottom: 12px; }
      .panel { position: fixed; inset: 0; width: auto; height: auto; border-radius: 0; }
    }`;

  const host = document.createElement("div");
  host.id = "dozvon-widget";
  const shadow = host.attachShadow({ mode: "open" });
  const $ = (selector) => shadow.querySelector(selector);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("aria") || key.startsWith("data-") || key === "role" || key === "for") {
        node.setAttribute(key.replace(/^aria([A-Z])/, (m, c) => "aria-" + c.toLowerCase()), value);
      } else node[key] = value;
    }
    node.append(...children);
    return node;
  };

  let strings = {};
  const t = (key, params = {}) => (strings[key] || key).replace(/\{(\w+)\}/g, (m, name) => (name in params ? params[name] : m));

  const state = {
    config: null, open: false, conversationId: null, seq: 0, socket: null, socketDelay: 1000, online: false,
    seen: new Map(), operator: "", flushing: false, typingSent: 0, typingTimer: null, statusTimer: null,
    unread: 0, convState: "none", rated: false,
  };

  function build(config) {
    const root = el("div", { className: "root" });
    root.style.setProperty("--accent", config.color);
    const launcher = el("button", { className: "launcher", type: "button", ariaLabel: t("widget.ui.launcher"),
                                    ariaExpanded: "false" });
    launcher.innerHTML = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" ' +
      'aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>';
    launcher.append(el("span", { text: t("widget.ui.launcher") }), el("span", { className: "badge", hidden: true }));
    const panel = el("section", { className: "panel", hidden: true, role: "dialog",
                                  ariaLabel: config.title });
    const title = el("h2", { text: config.title });
    const close = el("button", { className: "icon", type: "button", ariaLabel: t("widget.ui.close"), text: "×" });
    const status = el("p", { className: "status", role: "status", ariaLive: "polite" });
    status.style.margin = "0";
    const log = el("ol", { className: "log", role: "log", ariaLive: "polite" },
                   el("li", { className: "intro", text: t("widget.ui.intro") }));
    const typing = el("div", { className: "typing", ariaLive: "polite" });
    const box = el("textarea", { rows: 1, ariaLabel: t("widget.ui.message"), placeholder: t("widget.ui.placeholder"),
                                 maxLength: 4000 });
    const send = el("button", { className: "send", type: "submit", text: t("widget.ui.send") });
    const composer = el("form", { className: "composer" }, box, send);
    const prechat = el("form", { className: "form", hidden: true, noValidate: true });
    const rate = el("div", { className: "rate", hidden: true });
    const leave = el("button", { className: "link", type: "button", text: t("widget.ui.leave"), hidden: true });
    const foot = el("div", { className: "foot" }, leave, el("span", { text: t("widget.ui.powered") }));
    const head = el("div", { className: "head" }, title);
    const callbar = el("div", { className: "callbar", hidden: true, role: "status", ariaLive: "polite" },
                       el("span", { className: "callstate" }),
                       el("button", { className: "hangup", type: "button", text: t("widget.ui.call_end") }),
                       el("audio", { className: "callaudio", autoplay: true }));
    if (config.calls) {  // the "call us" button: the visitor talks to an operator from the browser
      const dial = el("button", { className: "callbtn", type: "button", text: t("widget.ui.call"),
                                  ariaLabel: t("widget.ui.call_label") });
      dial.addEventListener("click", () => startCall());
      head.append(dial);
      callbar.querySelector(".hangup").addEventListener("click", () => hangUp());
    }
    head.append(close);
    panel.append(head, status, callbar, log, typing, prechat, rate, composer, foot);
    root.append(launcher, panel);
    // A constructed stylesheet, not a <style> element: a site whose Content-Security-Policy
    // forbids inline styles (style-src without 'unsafe-inline') still shows the widget styled.
    if (typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype && "adoptedStyleSheets" in shadow) {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      shadow.adoptedStyleSheets = [sheet];
      shadow.append(root);
    } else {
      shadow.append(el("style", { text: STYLE }), root);
    }
    document.body.append(host);

    launcher.addEventListener("click", () => toggle(true));
    close.addEventListener("click", () => toggle(false));
    shadow.addEventListener("keydown", (event) => { if (event.key === "Escape" && state.open) toggle(false); });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    box.addEventListener("input", () => { autosize(box); typingSignal(); });
    composer.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
    leave.addEventListener("click", () => leaveChat());
    window.addEventListener("online", () => { flush(); if (!state.socket) connect(); });
    window.addEventListener("storage", (event) => {  // another tab started the chat or sent a message
      if (event.key === storeKey && load().token && !state.socket) resume();
    });
  }

  function autosize(box) {
    box.style.height = "auto";
    box.style.height = Math.min(box.scrollHeight + 2, 120) + "px";
  }

  function toggle(open) {
    state.open = open;
    $(".panel").hidden = !open;
    $(".launcher").hidden = open;
    $(".launcher").setAttribute("aria-expanded", String(open));
    if (open) {
      state.unread = 0;
      showUnread();
      if (needsPrechat()) showPrechat();
      else $("textarea").focus();
      scrollDown();
    } else {
      $(".launcher").focus();
    }
  }

  function showUnread() {
    const badge = $(".badge");
    badge.hidden = state.unread === 0;
    badge.textContent = String(state.unread);
  }

  // ---------------------------------------------------------------- a call from the browser
  // The microphone over WebRTC to Dozvon (G.711 asked for first); the operator's voice
  // comes back into an <audio> element. The visitor hangs up with the button; closing the
  // page ends the call as the connection drops.
  function showCall(stateName, text) {
    const bar = $(".callbar");
    bar.hidden = false;
    bar.dataset.state = stateName;
    bar.querySelector(".callstate").textContent = text;
    bar.querySelector(".hangup").hidden = stateName === "over" || stateName === "failed";
    $(".callbtn").hidden = stateName === "connecting" || stateName === "active";
  }

  async function startCall() {
    if (state.pc) return;
    if (!load().token) {
      if (needsPrechat()) { showPrechat(); return; }  // who is calling, first; then the button again
      try { await startVisitor({}); } catch (failure) {
        showCall("failed", t("widget.ui.call_failed", { reason: failure.message })); return;
      }
    }
    showCall("connecting", t("widget.ui.call_connecting"));
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (failure) {
      showCall("failed", t("widget.ui.call_microphone", { reason: failure.message })); return;
    }
    const pc = new RTCPeerConnection({ iceServers: state.config.ice_servers || [] });
    state.pc = pc;
    state.callStream = stream;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const wanted = (RTCRtpReceiver.getCapabilities?.("audio")?.codecs || [])
      .filter((c) => ["audio/PCMU", "audio/PCMA"].includes(c.mimeType));
    for (const transceiver of pc.getTransceivers()) {
      if (wanted.length && transceiver.setCodecPreferences) transceiver.setCodecPreferences(wanted);
    }
    pc.ontrack = (event) => {
      const audio = $(".callaudio");
      audio.srcObject = event.streams[0] || new MediaStream([event.track]);
      audio.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") showCall("active", t("widget.ui.call_active"));
      else if (["failed", "closed", "disconnected"].includes(pc.connectionState) && state.pc === pc) callOver();
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === "complete") { resolve(); return; }
        pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") resolve(); });
        setTimeout(resolve, 3000);
      });
      const answer = await call("POST", "/call", { sdp: pc.localDescription.sdp });
      await pc.setRemoteDescription(answer);
    } catch (failure) {
      release();
      showCall("failed", t("widget.ui.call_failed", { reason: failure.message }));
    }
  }

  async function hangUp() {
    try { await call("POST", "/call/hangup"); } catch { /* the call ends with the connection anyway */ }
    callOver();
  }

  function release() {
    state.callStream?.getTracks().forEach((track) => track.stop());
    state.callStream = null;
    try { state.pc?.close(); } catch { /* closed */ }
    state.pc = null;
    const audio = $(".callaudio");
    if (audio) audio.srcObject = null;
  }

  function callOver() {
    release();
    showCall("over", t("widget.ui.call_over"));
  }

  function needsPrechat() {
    const fields = state.config.prechat || {};
    return !load().token && Object.values(fields).some((mode) => mode !== "off");
  }

  function showPrechat() {
    const form = $(".form");
    form.replaceChildren(el("p", { text: t("widget.ui.prechat") }));
    for (const name of ["name", "phone", "email"]) {
      const mode = state.config.prechat[name];
      if (!mode || mode === "off") continue;
      const input = el("input", { name, type: name === "email" ? "email" : name === "phone" ? "tel" : "text",
                                  autocomplete: name === "phone" ? "tel" : name, required: mode === "required" });
      const label = el("label", { className: "field" }, el("span", { text: t(`widget.ui.${name}`) }));
      if (mode === "required") label.firstChild.append(" ", el("small", { text: `(${t("widget.ui.required")})` }));
      label.append(input, el("span", { className: "field__error", role: "alert", "data-error": name }));
      form.append(label);
    }
    form.append(el("button", { className: "primary", type: "submit", text: t("widget.ui.start") }));
    form.hidden = false;
    $(".composer").hidden = true;
    form.onsubmit = async (event) => {
      event.preventDefault();
      for (const slot of form.querySelectorAll("[data-error]")) slot.textContent = "";
      const answers = Object.fromEntries(["name", "phone", "email"].map((n) => [n, form.elements[n]?.value || ""]));
      try {
        await startVisitor(answers);
        form.hidden = true;
        $(".composer").hidden = false;
        $("textarea").focus();
        flush();
      } catch (failure) {
        const fields = failure.fields || [];
        if (!fields.length) setStatus(failure.message, "down");
        for (const f of fields) {
          const slot = form.querySelector(`[data-error="${CSS.escape(f.field)}"]`);
          if (slot) slot.textContent = f.message.startsWith(`${f.field}: `) ? f.message.slice(f.field.length + 2) : f.message;
          else setStatus(f.message, "down");
        }
        form.querySelector("input")?.focus();
      }
    };
    form.querySelector("input")?.focus();
  }

  function source() {
    const utm = new URLSearchParams(location.search).get("utm_source");
    if (utm) return utm.slice(0, 200);
    try { return document.referrer ? new URL(document.referrer).host.slice(0, 200) : ""; } catch { return ""; }
  }

  async function startVisitor(answers = {}) {
    const made = await call("POST", "/visitors", { ...answers, page: location.href.slice(0, 2000), source: source(),
                                                   language: lang });
    save({ token: made.token, visitor: made.visitor_id });
    connect();
    return made;
  }

  // ---------------------------------------------------------------- messages
  function scrollDown() {
    const log = $(".log");
    log.scrollTop = log.scrollHeight;
  }

  function render(message) {
    const known = state.seen.get(message.id);
    if (known) {
      if (message.state) mark(known, message.state);
      return known;
    }
    const mine = message.direction === "in";
    const item = el("li", { className: `msg msg--${message.direction}${message.auto ? " msg--auto" : ""}` });
    if (!mine) {
      const who = message.auto ? t("widget.ui.auto") : (message.author || t("widget.ui.operator"));
      item.append(el("span", { className: "msg__who", text: who }));
    }
    item.append(el("span", { className: "msg__text", text: message.text }));
    const at = new Date((message.at || Date.now() / 1000) * 1000);
    const meta = el("span", { className: "msg__meta" },
                    el("time", { dateTime: at.toISOString(),
                                 text: at.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) }));
    item.append(meta);
    item.dataset.at = String(message.at || Date.now() / 1000);
    state.seen.set(message.id, item);
    const log = $(".log");
    const later = [...log.querySelectorAll(".msg")].find((other) => Number(other.dataset.at) > Number(item.dataset.at));
    log.insertBefore(item, later || null);
    if (message.state) mark(item, message.state);
    if (!mine && !state.open) { state.unread += 1; showUnread(); }
    scrollDown();
    return item;
  }

  function mark(item, delivery, reason) {
    item.classList.toggle("msg--failed", delivery === "failed");
    let label = item.querySelector(".msg__state");
    if (!label) {
      label = el("span", { className: "msg__state" });
      item.querySelector(".msg__meta").append(" · ", label);
    }
    label.textContent = delivery === "failed" ? t("widget.ui.failed", { reason: reason || "" })
      : t(`widget.ui.${delivery}`);
  }

  function pendingList() { return load().pending || []; }

  function submit() {
    const box = $("textarea");
    const text = box.value.trim();
    if (!text) return;
    box.value = "";
    autosize(box);
    state.typingSent = 0;  // the next keystroke starts a new burst: say so at once
    const entry = { client_id: randomId(), text, at: Date.now() / 1000 };
    save({ pending: [...pendingList(), entry] });
    showPending(entry, state.online ? "sending" : "queued");
    flush();
  }

  function idOf(entry) { return `w:${load().visitor}:${entry.client_id}`; }

  function showPending(entry, delivery) {
    if (!load().visitor) {  // not started yet: drawn with a temporary id, adopted on start
      return render({ id: `local:${entry.client_id}`, direction: "in", text: entry.text, at: entry.at, state: delivery });
    }
    const local = state.seen.get(`local:${entry.client_id}`);
    if (local) {
      state.seen.delete(`local:${entry.client_id}`);
      state.seen.set(idOf(entry), local);
    }
    return render({ id: idOf(entry), direction: "in", text: entry.text, at: entry.at, state: delivery });
  }

  // Sends the waiting messages in order; a network or server failure is retried with
  // backoff (1 s doubling to 15 s) — the same client_id, so a retry is never a second copy.
  async function flush() {
    if (state.flushing) return;
    state.flushing = true;
    try {
      let delay = 1000;
      while (pendingList().length) {
        if (!load().token) {
          if (needsPrechat()) { if (state.open) showPrechat(); return; }
          try { await startVisitor(); } catch (failure) { await sleep(delay); delay = Math.min(delay * 2, 15000); continue; }
        }
        const entry = pendingList()[0];
        const item = showPending(entry, "sending");
        try {
          const answer = await call("POST", "/messages", { client_id: entry.client_id, text: entry.text });
          save({ pending: pendingList().filter((p) => p.client_id !== entry.client_id) });
          mark(item, "sent");
          if (answer.conversation_id !== state.conversationId) {
            state.conversationId = answer.conversation_id;
            refresh();  // a new conversation: its first events may have come before we watched it
          }
          delay = 1000;
        } catch (failure) {
          if (failure.status === 401) { save({ token: null, visitor: null }); continue; }
          if (failure.status === 0 || failure.status >= 500 || failure.status === 429) {
            mark(item, "queued");
            setStatus(t("widget.ui.reconnecting"), "down");
            await sleep(failure.retryAfter ? failure.retryAfter * 1000 : delay);
            delay = Math.min(delay * 2, 15000);
          } else {  // refused for good (too long, …): say why, keep the rest going
            save({ pending: pendingList().filter((p) => p.client_id !== entry.client_id) });
            mark(item, "failed", failure.message);
          }
        }
      }
      showConversationState();
    } finally {
      state.flushing = false;
    }
  }

  // ---------------------------------------------------------------- the conversation
  function setStatus(text, tone = "") {
    const status = $(".status");
    status.textContent = text;
    status.dataset.tone = tone;
    status.hidden = !text;
  }

  function showConversationState() {
    if (!state.config.open && state.convState !== "talking") {
      setStatus(t("widget.ui.offline"), "offline");
    } else if (state.convState === "waiting") {
      setStatus(state.position > 1 ? t("widget.ui.waiting", { position: state.position }) : t("widget.ui.waiting_next"));
    } else if (state.convState === "talking") {
      setStatus(state.operator ? t("widget.ui.talking", { operator: state.operator }) : t("widget.ui.talking_anon"));
    } else if (state.convState === "ended") {
      setStatus(t("widget.ui.ended"));
    } else {
      setStatus("");
    }
    $(".link").hidden = !(state.convState === "waiting" || state.convState === "talking");
    clearInterval(state.statusTimer);
    if (state.convState === "waiting") {
      state.statusTimer = setInterval(() => command({ action: "status" }), 10000);
    }
  }

  function applyState(conversation) {
    state.convState = conversation.state;
    state.position = conversation.position;
    state.operator = conversation.operator || state.operator;
    showConversationState();
    if (conversation.rateable && !conversation.rated) showRating();
  }

  async function refresh() {
    if (!load().token) return;
    try {
      const data = await call("GET", "/conversation");
      state.seq = Math.max(state.seq, data.seq);
      const conversation = data.conversation;
      if (conversation) {
        state.conversationId = conversation.id;
        for (const message of conversation.messages) {
          render(message);
          const pending = pendingList().find((p) => idOf(p) === message.id);
          if (message.direction === "in" && !pending) mark(state.seen.get(message.id), "sent");
        }
        applyState(conversation);
      }
      for (const entry of pendingList()) showPending(entry, state.online ? "sending" : "queued");
    } catch (failure) {
      if (failure.status === 401) save({ token: null, visitor: null });
    }
  }

  function showRating() {
    // Once per conversation: the end and the close both say "ended", and a visitor may be
    // half-way through choosing their stars when the second one comes.
    if (state.rated || state.ratingFor === state.conversationId) return;
    state.ratingFor = state.conversationId;
    const rate = $(".rate");
    let score = 0;
    const stars = el("div", { className: "stars", role: "group", ariaLabel: t("widget.ui.rate") });
    for (let n = 1; n <= 5; n += 1) {
      const star = el("button", { className: "star", type: "button", text: "★", ariaLabel: t("widget.ui.rate_star", { n }),
                                  ariaPressed: "false" });
      star.addEventListener("click", () => {
        score = n;
        for (const [i, other] of [...stars.children].entries()) other.setAttribute("aria-pressed", String(i < n));
        submitButton.disabled = false;
      });
      stars.append(star);
    }
    const comment = el("textarea", { rows: 2, ariaLabel: t("widget.ui.rate_comment"),
                                     placeholder: t("widget.ui.rate_comment"), maxLength: 1000 });
    const submitButton = el("button", { className: "primary", type: "button", text: t("widget.ui.rate_send"),
                                        disabled: true });
    const error = el("p", { className: "field__error", role: "alert" });
    submitButton.addEventListener("click", async () => {
      submitButton.disabled = true;
      try {
        await call("POST", "/rating", { score, comment: comment.value });
        thank();
      } catch (failure) {
        if (failure.status === 409) { thank(); return; }
        error.textContent = failure.message;
        submitButton.disabled = false;
      }
    });
    rate.replaceChildren(el("h3", { text: t("widget.ui.rate") }), stars, comment, submitButton, error);
    rate.hidden = false;
  }

  function thank() {
    state.rated = true;
    const rate = $(".rate");
    rate.replaceChildren(el("p", { text: t("widget.ui.thanks") }));
    setTimeout(() => { rate.hidden = true; }, 4000);
  }

  async function leaveChat() {
    try { await call("POST", "/leave"); } catch { /* the operator will close it */ }
  }

  // ---------------------------------------------------------------- live
  function command(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send(JSON.stringify(frame));
  }

  function typingSignal() {
    const now = Date.now();
    if (now - state.typingSent > 2000) {
      state.typingSent = now;
      command({ action: "typing" });
    }
  }

  function connect() {
    const token = load().token;
    if (!token || state.socket) return;
    const url = `${base.replace(/^http/, "ws")}/widget/${encodeURIComponent(project)}/stream?token=${encodeURIComponent(token)}&after=${state.seq}`;
    let socket;
    try { socket = new WebSocket(url); } catch { return; }
    state.socket = socket;
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      receive(frame);
    });
    socket.addEventListener("close", () => {
      if (state.socket !== socket) return;
      state.socket = null;
      state.online = false;
      if (!load().token) return;
      setStatus(t("widget.ui.reconnecting"), "down");
      setTimeout(connect, state.socketDelay);
      state.socketDelay = Math.min(state.socketDelay * 2, 15000);
    });
  }

  function receive(frame) {
    if (frame.kind === "hello") {
      state.online = true;
      state.socketDelay = 1000;
      if (frame.conversation_id && frame.conversation_id !== state.conversationId) refresh();
      else showConversationState();
      flush();
    } else if (frame.kind === "event") {
      if (frame.seq <= state.seq) return;
      state.seq = frame.seq;
      if (frame.conversation_id && frame.conversation_id !== state.conversationId) {
        state.conversationId = frame.conversation_id;
        state.rated = false;
      }
      if (frame.type === "message") {
        const item = render(frame.message);
        if (frame.message.direction === "in") mark(item, "sent");
        else $(".typing").textContent = "";
      } else if (frame.type === "joined") {
        state.convState = "talking";
        state.operator = frame.operator;
        showConversationState();
      } else if (frame.type === "transferred") {
        state.convState = "waiting";
        state.position = 1;
        showConversationState();
      } else if (frame.type === "ended") {
        state.convState = "ended";
        showConversationState();
        if (frame.rateable) showRating();
      } else if (frame.type === "closed") {
        state.convState = "ended";
        showConversationState();
      } else if (frame.type === "rated") {
        thank();
      }
    } else if (frame.kind === "typing") {
      const typing = $(".typing");
      typing.textContent = state.operator ? t("widget.ui.typing", { operator: state.operator }) : t("widget.ui.typing_anon");
      clearTimeout(state.typingTimer);
      state.typingTimer = setTimeout(() => { typing.textContent = ""; }, 4000);
    } else if (frame.kind === "status" && frame.conversation_id === state.conversationId) {
      applyState(frame);
    }
  }

  async function resume() {
    await refresh();
    connect();
  }

  // ---------------------------------------------------------------- start
  async function start() {
    let config;
    for (let delay = 2000; ; delay = Math.min(delay * 2, 60000)) {
      try {
        config = await call("GET", "/config");
        break;
      } catch (failure) {
        if (failure.status >= 400 && failure.status < 500) return;  // not enabled here: no button
        await sleep(delay);
      }
    }
    strings = config.strings || {};
    state.config = config;
    build(config);
    window.__dozvonWidget = { open: () => toggle(true), close: () => toggle(false) };
    if (load().token) await resume();
    else showConversationState();
    if (pendingList().length) {
      for (const entry of pendingList()) showPending(entry, "queued");
      flush();
    }
  }

  window.__dozvonWidget = { starting: true };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
