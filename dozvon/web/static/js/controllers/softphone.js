// The softphone: a call connected to this operator is heard and spoken to in the browser.
// When a call's pane opens while it is connected, the page joins the call over WebRTC —
// the microphone goes to the server, the caller's voice comes back to an <audio> element.
// G.711 (PCMU/PCMA) is asked for first, so a call from the telephone network reaches the
// operator without transcoding. Hold and resume are the engine's (the caller hears music
// while held); mute only silences this microphone (its track disabled: the browser sends
// silence, the call and its recording go on), and the status says so. The call panel shows
// the state and the time, and once the call is over, its recordings to play.
import { Controller, t } from "../lib/controller.js";
import { get, post } from "../lib/api.js";
import { duration } from "./offers.js";

const OVER = new Set(["contact.ended", "contact.transferred", "contact.closed"]);

export default class Softphone extends Controller {
  connect() {
    this.calls = new Map();  // conversation id → {pane, pc, stream, since, held, state}
    this.on("dz:voice", ({ id, element, state }) => this.opened(id, element, state));
    this.on("dz:event", (event) => this.event(event));
    this.on("dz:consult", ({ id, number, queue }) => this.consulting(id, number, queue));
    this.on("dz:consult_answered", (frame) => this.consultAnswered(frame));
    this.asked = new Map();  // conversation id → {card, pc, stream}: colleagues asking this operator
    this.on("dz:consult_request", (frame) => this.askedBy(frame));
    this.on("dz:consult_end", (frame) => this.dropAsk(frame.conversation_id));
    this.clock = setInterval(() => this.tick(), 1000);
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  async settings() {
    if (!this.voice) {
      try {
        this.voice = await get(`${this.base}/voice`);
      } catch {
        this.voice = { ice_servers: [] };
      }
    }
    return this.voice;
  }

  // A colleague asks this operator about their call: answer (talk softphone to softphone
  // while the caller waits) or decline. If they hand the call over, its pane opens here.
  askedBy(frame) {
    if (this.asked.has(frame.conversation_id)) return;
    const card = document.createElement("section");
    card.className = "consult-card";
    card.setAttribute("role", "alertdialog");
    card.setAttribute("aria-label", t("web.call.asked_title"));
    const text = document.createElement("p");
    text.className = "consult-card__text";
    // accepted: this operator took a queue's consultation offer (an attended transfer to the
    // queue) — their softphone joins at once; otherwise a colleague asks them by name.
    text.textContent = t(frame.accepted ? "web.call.introduced" : "web.call.asked",
                         { name: frame.from, caller: frame.caller, queue: frame.queue });
    const state = document.createElement("p");
    state.className = "consult-card__state";
    state.setAttribute("role", "status");
    const answer = document.createElement("button");
    answer.type = "button";
    answer.className = "button button--primary button--small";
    answer.textContent = t("web.call.asked_answer");
    const decline = document.createElement("button");
    decline.type = "button";
    decline.className = "button button--ghost button--small";
    decline.textContent = t("web.call.asked_decline");
    const audio = document.createElement("audio");
    audio.autoplay = true;
    const buttons = document.createElement("div");
    buttons.className = "consult-card__buttons";
    buttons.append(decline, answer);
    card.append(text, state, buttons, audio);
    const ask = { card, pc: null, stream: null };
    this.asked.set(frame.conversation_id, ask);
    this.target("consults").append(card);
    answer.addEventListener("click", async () => {
      await this.answerAsk(frame.conversation_id, ask, answer, state, audio);
      if (ask.pc) decline.textContent = t("web.call.asked_end");
    });
    decline.addEventListener("click", async () => {
      try {
        await post(`${this.base}/voice/calls/${encodeURIComponent(frame.conversation_id)}/consult/cancel`);
      } catch { /* the asker may have gone back already */ }
      this.dropAsk(frame.conversation_id);
    });
    if (frame.accepted) {  // already said yes on the offer card
      this.answerAsk(frame.conversation_id, ask, answer, state, audio).then(() => {
        if (ask.pc) decline.textContent = t("web.call.asked_end");
      });
      return;
    }
    this.emit("dz:ring", { offer_id: `consult-${frame.conversation_id}`, name: frame.from });
  }

  async answerAsk(id, ask, button, state, audio) {
    button.disabled = true;
    state.textContent = t("web.call.connecting");
    try {
      ask.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
      const { ice_servers: iceServers } = await this.settings();
      const pc = new RTCPeerConnection({ iceServers });
      ask.pc = pc;
      for (const track of ask.stream.getTracks()) pc.addTrack(track, ask.stream);
      pc.ontrack = (event) => { audio.srcObject = event.streams[0] || new MediaStream([event.track]); };
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === "connected") state.textContent = t("web.call.asked_talking");
        else if (["failed", "closed"].includes(pc.connectionState)) this.dropAsk(id);
      };
      await pc.setLocalDescription(await pc.createOffer());
      await this.gathered(pc);
      await pc.setRemoteDescription(await post(`${this.base}/voice/calls/${encodeURIComponent(id)}/consult/join`,
                                               { sdp: pc.localDescription.sdp }));
      button.hidden = true;
    } catch (error) {
      state.textContent = t("web.call.failed", { reason: error.message });
      button.disabled = false;
    }
  }

  dropAsk(id) {
    const ask = this.asked.get(id);
    if (!ask) return;
    this.asked.delete(id);
    ask.stream?.getTracks().forEach((track) => track.stop());
    try { ask.pc?.close(); } catch { /* closed */ }
    ask.card.remove();
  }

  opened(id, pane, state) {
    this.dropAsk(id);  // the call was handed to this operator: its own softphone takes it
    const call = { id, pane, pc: null, stream: null, since: Date.now(), held: false };
    this.calls.set(id, call);
    pane.querySelector("[data-slot=call]").hidden = false;
    if (state === "connected") this.join(call);
    else this.over(call);
  }

  // The status line while connected: held, or talking (with the microphone off, if muted).
  showTalk(call) {
    if (call.held) this.show(call, "held", t("web.call.held"));
    else this.show(call, "talking", call.muted ? t("web.call.talking_muted") : t("web.call.talking"));
  }

  show(call, state, text) {
    const panel = call.pane.querySelector("[data-slot=call]");
    panel.dataset.call = state;
    call.state = state;
    panel.querySelector("[data-slot=callstate]").textContent = text;
    this.tick();
  }

  async join(call) {
    this.show(call, "connecting", t("web.call.connecting"));
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
    } catch (error) {
      this.show(call, "failed", t("web.call.no_microphone", { message: error.message, reason: error.message }));
      return;
    }
    if (!this.calls.has(call.id)) {  // over while the microphone was asked for
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    call.stream = stream;
    // Muted before (a softphone joining again): the new microphone stays off.
    call.muted = call.pane.querySelector("[data-slot=mute]")?.getAttribute("aria-pressed") === "true";
    for (const track of stream.getAudioTracks()) track.enabled = !call.muted;
    const { ice_servers: iceServers } = await this.settings();
    const pc = new RTCPeerConnection({ iceServers });
    call.pc = pc;
    for (const track of stream.getTracks()) pc.addTrack(track, stream);
    const wanted = (RTCRtpReceiver.getCapabilities?.("audio")?.codecs || [])
      .filter((c) => ["audio/PCMU", "audio/PCMA", "audio/telephone-event"].includes(c.mimeType));
    for (const transceiver of pc.getTransceivers()) {
      if (wanted.length && transceiver.setCodecPreferences) transceiver.setCodecPreferences(wanted);
    }
    pc.ontrack = (event) => {
      const audio = call.pane.querySelector("[data-slot=callaudio]");
      audio.srcObject = event.streams[0] || new MediaStream([event.track]);
      audio.play().catch(() => {});
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") {
        call.since = call.since || Date.now();
        this.showTalk(call);
      } else if (pc.connectionState === "failed" && this.calls.has(call.id)) {
        this.show(call, "failed", t("web.call.failed", { reason: pc.connectionState }));
      }
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await this.gathered(pc);
      const answer = await post(`${this.base}/voice/calls/${encodeURIComponent(call.id)}/softphone`,
                                { sdp: pc.localDescription.sdp });
      await pc.setRemoteDescription(answer);
    } catch (error) {
      this.show(call, "failed", t("web.call.failed", { reason: error.message }));
      this.release(call);
    }
  }

  // Every candidate in the offer (the server takes no trickled ones): at most 3 s.
  gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, 3000);
    });
  }

  event(event) {
    const call = this.calls.get(event.contact_id);
    if (!call) return;
    if (event.type === "consult.ended" && event.data?.outcome !== "completed" && call.consulting) {
      call.consulting = null;  // the queue's colleague declined, or the call went back
      call.pane.querySelector("[data-slot=consult]").hidden = true;
      call.pane.querySelector("[data-slot=hold]").disabled = false;
    } else if (event.type === "contact.held" || event.type === "contact.resumed") {
      call.held = event.type === "contact.held";
      if (!call.held && call.consulting) {  // back with the caller (the colleague declined, or we went back)
        call.consulting = null;
        call.pane.querySelector("[data-slot=consult]").hidden = true;
        call.pane.querySelector("[data-slot=hold]").disabled = false;
      }
      const button = call.pane.querySelector("[data-slot=hold]");
      button.setAttribute("aria-pressed", String(call.held));
      if (call.state !== "connecting") this.showTalk(call);
    } else if (OVER.has(event.type)) {
      this.over(call);
    }
  }

  // An attended transfer: the operator talks to the number while the caller waits with
  // music; then hands the caller over, or goes back to them.
  // To a queue: the engine looks for a colleague there (both hear music) and the caller can
  // be handed over once one has answered.
  consulting(id, number, queue) {
    const call = this.calls.get(id);
    if (!call) return;
    call.consulting = queue || number;
    const box = call.pane.querySelector("[data-slot=consult]");
    box.querySelector("[data-slot=consultwho]").textContent = queue ? t("web.call.consulting_queue", { queue })
      : t("web.call.consulting", { number });
    box.querySelector("[data-action*=completeConsult]").disabled = Boolean(queue);
    box.hidden = false;
    call.pane.querySelector("[data-slot=hold]").disabled = true;
  }

  consultAnswered(frame) {
    const call = this.calls.get(frame.conversation_id);
    if (!call || !call.consulting) return;
    const box = call.pane.querySelector("[data-slot=consult]");
    box.querySelector("[data-slot=consultwho]").textContent = t("web.call.consulting_answered",
                                                                { name: frame.colleague, queue: call.consulting });
    box.querySelector("[data-action*=completeConsult]").disabled = false;
  }

  async completeConsult(event, button) {
    await this.consultStep(button, "complete");
  }

  async cancelConsult(event, button) {
    await this.consultStep(button, "cancel");
  }

  async consultStep(button, step) {
    const call = this.callOf(button);
    if (!call) return;
    button.disabled = true;
    try {
      await post(`${this.base}/voice/calls/${encodeURIComponent(call.id)}/consult/${step}`);
      call.pane.querySelector("[data-slot=consult]").hidden = true;
      call.pane.querySelector("[data-slot=hold]").disabled = false;
      if (step === "complete") this.emit("dz:notice", t("web.transfer.done", { target: call.consulting }));
      call.consulting = null;
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    } finally {
      button.disabled = false;
    }
  }

  async hold(event, button) {
    const call = this.callOf(button);
    if (!call) return;
    const resume = button.getAttribute("aria-pressed") === "true";
    button.disabled = true;
    try {
      await post(`${this.base}/conversations/${encodeURIComponent(call.id)}/${resume ? "resume" : "hold"}`);
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    } finally {
      button.disabled = false;
    }
  }

  mute(event, button) {
    const call = this.callOf(button);
    if (!call || !call.stream) return;
    const muted = button.getAttribute("aria-pressed") !== "true";
    for (const track of call.stream.getAudioTracks()) track.enabled = !muted;
    button.setAttribute("aria-pressed", String(muted));
    call.muted = muted;
    if (["talking", "held"].includes(call.state)) this.showTalk(call);
  }

  callOf(node) {
    const pane = node.closest("[data-conversation]");
    return pane ? this.calls.get(pane.dataset.conversation) : null;
  }

  async over(call) {
    this.release(call);
    this.show(call, "over", t("web.call.over"));
    call.ended = Date.now();
    // The recording is stored when the call ends: ask again a few times.
    for (const wait of [500, 1500, 3000]) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (!call.pane.isConnected) return;
      if (await this.recordings(call)) return;
    }
  }

  async recordings(call) {
    let found;
    try {
      found = await get(`${this.base}/conversations/${encodeURIComponent(call.id)}/recordings`);
    } catch {
      return false;
    }
    if (!found.items.length) return false;
    const list = call.pane.querySelector("[data-slot=recordings]");
    list.replaceChildren(...found.items.map((item) => {
      const li = document.createElement("li");
      li.className = "call__recording";
      const name = document.createElement("span");
      name.textContent = t(`web.call.recording.${item.kind}`, { duration: duration(item.duration_s) });
      const player = document.createElement("audio");
      player.controls = true;
      player.preload = "none";
      player.src = item.url;
      player.setAttribute("aria-label", name.textContent);
      li.append(name, player);
      return li;
    }));
    list.hidden = false;
    return true;
  }

  release(call) {
    call.stream?.getTracks().forEach((track) => track.stop());
    call.stream = null;
    try { call.pc?.close(); } catch { /* already closed */ }
    call.pc = null;
    const audio = call.pane.querySelector("[data-slot=callaudio]");
    if (audio) audio.srcObject = null;
  }

  tick() {
    for (const [id, call] of this.calls) {
      if (!call.pane.isConnected) {
        this.release(call);
        this.calls.delete(id);
        continue;
      }
      const timer = call.pane.querySelector("[data-slot=calltimer]");
      const end = call.ended || Date.now();
      timer.textContent = call.state === "connecting" || call.state === "failed" ? ""
        : duration((end - call.since) / 1000);
    }
  }
}
