// Incoming offers: a card per offer with the customer, channel, queue, the wait so far and
// a countdown to the deadline; Accept / Decline. A card goes at once when its offer ends
// for any reason (accepted, declined, timed out, withdrawn: answered elsewhere, abandoned).
import { Controller, label, t } from "../lib/controller.js";
import { get, post } from "../lib/api.js";

const ENDINGS = new Set(["offer.accepted", "offer.declined", "offer.timed_out", "offer.withdrawn"]);

export function channelName(channel) {
  return label("web.channel.", channel);
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return s < 60 ? `0:${String(s).padStart(2, "0")}` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export default class Offers extends Controller {
  connect() {
    this.cards = new Map();  // offer_id → {element, deadline, created, total, contactId}
    this.on("dz:offer", (offer) => this.add(offer, offer.conversation));
    this.on("dz:event", (event) => this.event(event));
    this.on("dz:accept-newest", () => {
      const newest = [...this.cards.values()].pop();
      if (newest) this.accept(null, newest.element.querySelector(".button--accept"));
    });
    this.timer = setInterval(() => this.tick(), 250);
  }

  get operatorId() {
    return this.desktop.dataset.operator;
  }

  get base() {
    return `/api/v1/projects/${encodeURIComponent(this.desktop.dataset.project)}`;
  }

  // The event names the introducing colleague by operator id: their name, once read.
  async nameIntroducer(element, operatorId) {
    try {
      const found = (await get(`${this.base}/operators`)).items.find((op) => op.id === operatorId);
      if (found && found.name) {
        element.querySelector(".offer-card__kind").textContent = t("web.offer.introduced", { name: found.name });
      }
    } catch { /* the id stays */ }
  }

  async event(event) {
    const data = event.data || {};
    if (event.type === "offer.created" && event.operator_id === this.operatorId) {
      if (this.cards.has(data.offer_id)) return;  // listed at load and replayed by the stream
      this.cards.set(data.offer_id, null);  // reserved: an ending may arrive while we read the contact
      let conversation;
      try {
        conversation = await get(`${this.base}/conversations/${encodeURIComponent(event.contact_id)}`);
      } catch {
        conversation = { id: event.contact_id, channel: event.channel, queue: event.queue, created_at: event.at };
      }
      if (!this.cards.has(data.offer_id)) return;  // already over
      this.cards.delete(data.offer_id);
      const card = this.add({ offer_id: data.offer_id, deadline: data.deadline, consult_by: data.consult_by,
                              queue: event.queue }, conversation);
      if (card) this.emit("dz:ring", { offer_id: data.offer_id, name: card.name });
    } else if (ENDINGS.has(event.type)) {
      this.remove(data.offer_id);
    } else if (event.type === "contact.abandoned" || event.type === "contact.closed") {
      for (const [id, card] of this.cards) if (card && card.contactId === event.contact_id) this.remove(id);
    }
  }

  add(offer, conversation) {
    if (this.cards.has(offer.offer_id)) return null;
    const element = document.getElementById("tpl-offer").content.firstElementChild.cloneNode(true);
    // A call's subject is the caller's number: shown until the CRM knows a name.
    const name = conversation.customer_name || (conversation.channel === "voice" && conversation.subject)
      || conversation.customer_id || t("web.chat.unknown");
    element.dataset.offer = offer.offer_id;
    element.querySelector("[data-slot=name]").textContent = name;
    element.querySelector("[data-slot=channel]").textContent = channelName(conversation.channel);
    element.querySelector("[data-slot=queue]").textContent = (offer.consult_by && offer.queue) || conversation.queue || "";
    if (offer.consult_by) {  // an attended transfer: a colleague introduces the caller, who waits on hold
      element.querySelector(".offer-card__kind").textContent = t("web.offer.introduced", { name: offer.consult_by });
      element.dataset.consult = offer.consult_by;
      this.nameIntroducer(element, offer.consult_by);
    }
    const now = Date.now() / 1000;
    const card = { element, name, deadline: offer.deadline, created: conversation.created_at || now,
                   total: Math.max(1, offer.deadline - now), contactId: conversation.id };
    this.cards.set(offer.offer_id, card);
    this.target("list").prepend(element);
    this.target("empty").hidden = true;
    this.tick();
    return card;
  }

  remove(offerId) {
    const card = this.cards.get(offerId);
    this.cards.delete(offerId);
    card?.element.remove();
    this.target("empty").hidden = [...this.cards.values()].some(Boolean);
  }

  tick() {
    const now = Date.now() / 1000;
    for (const card of this.cards.values()) {
      if (!card) continue;
      const left = card.deadline - now;
      card.element.querySelector("[data-slot=countdown]").textContent = t("web.offer.left", { s: Math.max(0, Math.ceil(left)) });
      card.element.querySelector("[data-slot=waited]").textContent = t("web.offer.waited", { time: duration(now - card.created) });
      const share = Math.max(0, Math.min(1, left / card.total));
      card.element.querySelector("[data-slot=bar]").style.setProperty("--left", String(share));
      card.element.classList.toggle("offer-card--urgent", left < 5);
    }
  }

  offerOf(button) {
    return button.closest("[data-offer]").dataset.offer;
  }

  async accept(event, button) {
    const offerId = this.offerOf(button);
    const card = this.cards.get(offerId);
    button.disabled = true;
    try {
      await post(`${this.base}/offers/${encodeURIComponent(offerId)}/accept`);
      this.remove(offerId);
      // An introduction (an attended transfer to the queue): the consultation's card talks to
      // the colleague first; the call's pane opens here once they hand the caller over.
      if (!card?.element.dataset.consult) this.emit("dz:open", { id: card.contactId, focus: true });
    } catch (error) {
      if (error.status === 409 || error.status === 404) this.remove(offerId);
      else button.disabled = false;
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
  }

  async decline(event, button) {
    const offerId = this.offerOf(button);
    button.disabled = true;
    try {
      await post(`${this.base}/offers/${encodeURIComponent(offerId)}/decline`, { reason: "declined" });
    } catch (error) {
      this.emit("dz:error", t("web.desktop.error", { message: error.message }));
    }
    this.remove(offerId);
  }
}
