// The quality pages: every plain form saves through its API as the settings pages do
// (AdminPage: data-url, data-method, errors beside their fields, a flash after a reload).
// Here too: the scorecard — each criterion's radio group and comment read into
// {criterion: {value, comment}}, its score previewed as the evaluator answers (the same
// weighted mean the server computes; a critical criterion answered 0 makes it 0) — and the
// scorecard editor, whose competencies and criteria grow and shrink before one save.
import AdminPage from "./admin-page.js";
import { t } from "../lib/controller.js";
import { clearErrors, send, serverErrors } from "./admin-form.js";

const FLASH = "dz-admin-flash";

function answersOf(form, errors, partial) {
  const answers = {};
  for (const group of form.querySelectorAll("[data-criterion]")) {
    const id = group.dataset.criterion;
    const chosen = group.querySelector("input[type=radio]:checked");
    const comment = group.querySelector("[data-role=comment]")?.value.trim() || "";
    if (!chosen) {
      if (!partial) errors.push([`answers.${id}`, t("web.q.card.choose")]);
      continue;
    }
    answers[id] = { value: chosen.value === "na" ? null : Number(chosen.value), comment };
  }
  return answers;
}

export function scoreOf(form) {
  let total = 0;
  let weights = 0;
  let failed = false;
  let answered = 0;
  for (const comp of form.querySelectorAll("[data-competency]")) {
    let got = 0;
    let possible = 0;
    for (const group of comp.querySelectorAll("[data-criterion]")) {
      const chosen = group.querySelector("input[type=radio]:checked");
      if (!chosen) continue;
      answered += 1;
      if (chosen.value === "na") continue;
      const value = Number(chosen.value);
      const weight = Number(group.dataset.weight);
      got += weight * value / Number(group.dataset.scale);
      possible += weight;
      if (group.dataset.critical === "1" && value === 0) failed = true;
    }
    if (possible) {
      total += Number(comp.dataset.weight) * (100 * got / possible);
      weights += Number(comp.dataset.weight);
    }
  }
  if (!answered || !weights) return null;
  return failed ? 0 : Math.round(total / weights);
}

export default class Quality extends AdminPage {
  preview(event, form) {
    const group = event.target.closest("[data-criterion]");
    if (group && event.target.type === "radio") {  // answered: its complaint is settled
      const slot = group.querySelector(".field__error");
      if (slot) { slot.hidden = true; slot.textContent = ""; }
      for (const control of group.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
      const status = form.querySelector("[data-role=status]");
      if (status && !form.querySelector(".q-crit .field__error:not([hidden])")) { status.textContent = ""; status.className = "form-status"; }
    }
    const live = this.target("live");
    if (!live) return;
    const score = scoreOf(form);
    live.textContent = score === null ? "" : t("web.q.card.live_value", { score });
    live.classList.toggle("q-score--failed", score === 0);
  }

  async evaluate(event, form) {
    event.preventDefault();
    clearErrors(form);
    const status = form.querySelector("[data-role=status]");
    const errors = [];
    const revising = form.dataset.kind === "revise";
    const answers = answersOf(form, errors, revising);
    const comment = form.querySelector("[name=comment]")?.value.trim() || "";
    if (revising && !comment) errors.push(["comment", t("web.q.eval.say_why")]);
    if (errors.length) { this.fail(form, status, errors); return; }
    const body = revising ? { comment, answers } : {
      conversation_id: form.dataset.conversation, scorecard_id: Number(form.dataset.card), answers,
      praise: form.querySelector("[name=praise]")?.value.trim() || "", comment,
      ...(form.dataset.calibration ? { calibration_id: Number(form.dataset.calibration) } : {}),
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.className = "form-status";
    status.textContent = t("web.admin.saving");
    try {
      await send("POST", form.dataset.url, body);
      sessionStorage.setItem(FLASH, t(revising ? "web.q.eval.revised" : "web.q.card.saved"));
      location.reload();
    } catch (error) {
      if (error.status === 401) { location.assign("/"); return; }
      this.fail(form, status, serverErrors(form, error));
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------ the scorecard editor

  addCompetency(event, button) {
    const list = button.closest("form").querySelector("[data-role=competencies]");
    const template = document.getElementById("q-competency-template");
    const node = template.content.firstElementChild.cloneNode(true);
    list.append(node);
    this.renumber(button.closest("form"));
    node.querySelector("input")?.focus();
  }

  addCriterion(event, button) {
    const comp = button.closest("[data-edit=competency]");
    const template = document.getElementById("q-criterion-template");
    const node = template.content.firstElementChild.cloneNode(true);
    comp.querySelector("[data-role=criteria]").append(node);
    this.renumber(button.closest("form"));
    node.querySelector("input")?.focus();
  }

  removeRow(event, button) {
    const form = button.closest("form");
    button.closest("[data-edit]").remove();
    this.renumber(form);
  }

  // Error slots follow the rows' places now, so the server's "competencies[1].criteria[0].scale"
  // finds the second competency's first criterion.
  renumber(form) {
    form.querySelectorAll("[data-edit=competency]").forEach((comp, i) => {
      for (const slot of comp.querySelectorAll(":scope > .q-edit__fields .field__error, :scope > .field__error")) {
        slot.dataset.errorFor = `competencies[${i}]${slot.dataset.slot ? "." + slot.dataset.slot : ""}`;
      }
      comp.querySelectorAll("[data-edit=criterion]").forEach((crit, j) => {
        for (const slot of crit.querySelectorAll(".field__error")) {
          slot.dataset.errorFor = `competencies[${i}].criteria[${j}]${slot.dataset.slot ? "." + slot.dataset.slot : ""}`;
        }
      });
    });
  }

  async saveCard(event, form) {
    event.preventDefault();
    clearErrors(form);
    this.renumber(form);
    const status = form.querySelector("[data-role=status]");
    const read = (node, key) => node.querySelector(`[data-key="${key}"]`);
    const texts = (node, key) => ({ en: read(node, `${key}_en`).value.trim(), ru: read(node, `${key}_ru`).value.trim() });
    const competencies = [...form.querySelectorAll("[data-edit=competency]")].map((comp) => ({
      id: read(comp, "id").value.trim(), title: texts(comp, "title"), weight: Number(read(comp, "weight").value),
      criteria: [...comp.querySelectorAll("[data-edit=criterion]")].map((crit) => ({
        id: read(crit, "id").value.trim(), text: texts(crit, "text"), scale: Number(read(crit, "scale").value),
        weight: Number(read(crit, "weight").value), critical: read(crit, "critical").checked,
      })),
    }));
    const body = { key: form.dataset.key, name: form.querySelector("[name=name]").value.trim(), competencies };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.className = "form-status";
    status.textContent = t("web.admin.saving");
    try {
      const saved = await send("POST", form.dataset.url, body);
      sessionStorage.setItem(FLASH, t("web.q.cards.saved", { version: saved.version }));
      location.reload();
    } catch (error) {
      if (error.status === 401) { location.assign("/"); return; }
      this.fail(form, status, serverErrors(form, error));
    } finally {
      button.disabled = false;
    }
  }
}
