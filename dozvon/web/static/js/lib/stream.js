// The project's live stream: starts after the seq of the state the page read over REST,
// keeps the last seq it saw, and reconnects by itself with backoff (1 s doubling to 15 s)
// from that cursor — the server replays what was missed, so nothing is lost or repeated.
export class Stream {
  constructor(project, { onEvent, onStatus, onSignal = () => {} }) {
    this.project = project;
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.onSignal = onSignal;
    this.seq = 0;
    this.delay = 1000;
    this.socket = null;
    this.closed = false;
  }

  start(seq) {
    this.seq = seq;
    this.open();
  }

  get up() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  open() {
    if (this.closed) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/api/v1/projects/${encodeURIComponent(this.project)}/stream?after=${this.seq}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("message", (message) => {
      let item;
      try { item = JSON.parse(message.data); } catch { return; }
      if (item.kind === "hello") {
        this.delay = 1000;
        this.onStatus("up");
      } else if (item.kind === "event" && item.seq > this.seq) {
        this.seq = item.seq;
        this.onEvent(item);
      } else if (["typing", "consult_request", "consult_answered", "consult_end"].includes(item.kind)) {  // passing signals: never replayed
        this.onSignal(item);
      }
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket || this.closed) return;
      this.socket = null;
      this.onStatus("down");
      setTimeout(() => this.open(), this.delay);
      this.delay = Math.min(this.delay * 2, 15000);
    });
  }

  // A frame that may be lost without harm (typing): sent only while connected.
  signal(frame) {
    if (this.up) this.socket.send(JSON.stringify(frame));
  }

  stop() {
    this.closed = true;
    this.socket?.close();
  }
}
