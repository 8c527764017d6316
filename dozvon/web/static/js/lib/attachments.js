// What came with a conversation's messages besides their text: files (a Telegram photo or
// document; an e-mail's attachments) as download links, a photo as a small preview, and
// an e-mail's subject and its HTML — sanitised by the server, shown on request in a
// sandboxed frame (no scripts, no forms, nothing of this page reachable) under this page's
// own policy, so remote images stay blocked (the frame says how many). All built with
// textContent and attributes.
import { get } from "./api.js";
import { t } from "./controller.js";

function size(bytes) {
  const lang = document.documentElement.lang;
  if (bytes >= 1048576) return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(bytes / 1048576)} ${t("web.channel.unit.mb")}`;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(Math.max(1, bytes / 1024))} ${t("web.channel.unit.kb")}`;
}

function box(item) {
  let found = item.querySelector(".msg__files");
  if (!found) {
    found = document.createElement("ul");
    found.className = "msg__files";
    item.querySelector(".msg__meta").before(found);
  }
  return found;
}

function fileLink(file) {
  const li = document.createElement("li");
  li.className = "msg__file";
  li.dataset.file = file.id;
  if (file.refused) {
    li.classList.add("msg__file--refused");
    li.textContent = t("web.file.refused", { name: file.name, reason: file.refused });
    return li;
  }
  if (file.kind === "photo" || (file.content_type || "").startsWith("image/")) {
    const img = document.createElement("img");
    img.className = "msg__preview";
    img.src = file.url;
    img.alt = file.name || t("web.file.photo");
    img.loading = "lazy";
    li.append(img);
  }
  const link = document.createElement("a");
  link.href = file.url;
  link.download = file.name || "";
  link.textContent = file.name || t("web.file.photo");
  const note = document.createElement("span");
  note.className = "msg__file-size";
  note.textContent = file.size ? size(file.size) : "";
  li.append(link, note);
  return li;
}

function addFiles(item, files) {
  const list = box(item);
  for (const file of files) {
    if (!list.querySelector(`[data-file="${CSS.escape(String(file.id))}"]`)) list.append(fileLink(file));
  }
}

function mailView(item, mail) {
  if (item.querySelector(".msg__mail")) return;
  const head = document.createElement("p");
  head.className = "msg__mail";
  head.textContent = mail.subject ? t("web.mail.subject", { subject: mail.subject }) : t("web.mail.no_subject");
  item.prepend(head);
  if (!mail.html) return;
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "button button--ghost button--small msg__mail-toggle";
  toggle.textContent = t("web.mail.show_html");
  toggle.setAttribute("aria-expanded", "false");
  const frame = document.createElement("iframe");
  frame.className = "msg__mail-frame";
  frame.setAttribute("sandbox", "");  // no scripts, no forms, no same-origin access
  frame.setAttribute("referrerpolicy", "no-referrer");
  frame.title = t("web.mail.frame", { subject: mail.subject || "" });
  frame.hidden = true;
  const images = document.createElement("p");
  images.className = "msg__mail-note";
  images.textContent = t("web.mail.images_blocked", { n: mail.remote_images_blocked });
  images.hidden = true;
  toggle.addEventListener("click", () => {
    const open = frame.hidden;
    frame.hidden = !open;
    images.hidden = !open || !mail.remote_images_blocked;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = t(open ? "web.mail.hide_html" : "web.mail.show_html");
    if (open && !frame.srcdoc) frame.srcdoc = mail.html;
  });
  item.querySelector(".msg__meta").before(toggle, images, frame);
}

// Read what the conversation's messages carry and hang it under each; safe to call again
// (after a new message): what is shown already stays.
export async function showAttachments(base, pane) {
  const list = pane.element.querySelector("[data-slot=messages]");
  const byId = (id) => list.querySelector(`[data-mid="${CSS.escape(String(id))}"]`);
  const conv = `${base}/conversations/${encodeURIComponent(pane.id)}`;
  try {
    if (pane.channel === "email") {
      for (const mail of (await get(`${conv}/email`)).items) {
        const item = byId(mail.message_id);
        if (!item) continue;
        mailView(item, mail);
        const files = mail.attachments.filter((a) => !a.inline || !a.kept)
          .map((a) => ({ id: `m${a.id}`, name: a.filename, size: a.size, content_type: a.content_type, url: a.url,
                         refused: a.kept ? null : a.refused }));
        if (files.length) addFiles(item, files);
      }
      return;
    }
    const files = (await get(`${conv}/files`)).items;
    const grouped = new Map();
    for (const file of files) {
      if (!grouped.has(file.message_id)) grouped.set(file.message_id, []);
      grouped.get(file.message_id).push({ ...file, url: file.download_url });
    }
    for (const [messageId, items] of grouped) {
      const item = byId(messageId);
      if (item) addFiles(item, items);
    }
  } catch {
    /* a channel without files, or a moment offline: the text is all there is */
  }
}
