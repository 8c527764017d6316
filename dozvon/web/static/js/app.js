// Controllers attach behaviour to server-rendered HTML (the Stimulus pattern, in a few
// lines of our own): <div data-controller="offers"> gets an instance of the class in
// controllers/offers.js; data-action="click:offers#accept" calls its accept(event, element);
// data-target="offers.list" names its parts (this.target("list")). Actions are delegated,
// so parts added later (an offer card) work without binding anything.
import Desktop from "./controllers/desktop.js";
import LoginForm from "./controllers/login-form.js";
import StateSwitch from "./controllers/state-switch.js";
import Offers from "./controllers/offers.js";
import Conversations from "./controllers/conversations.js";
import CustomerCard from "./controllers/customer-card.js";
import MyTasks from "./controllers/my-tasks.js";
import KnowledgeBox from "./controllers/knowledge-box.js";
import CallScript from "./controllers/call-script.js";
import Softphone from "./controllers/softphone.js";
import Page from "./controllers/page.js";
import Wallboard from "./controllers/wallboard.js";
import Reports from "./controllers/reports.js";
import Supervise from "./controllers/supervise.js";
import AdminPage from "./controllers/admin-page.js";
import AdminChannels from "./controllers/admin-channels.js";
import Quality from "./controllers/quality.js";

const registry = {
  "desktop": Desktop,
  "login-form": LoginForm,
  "state-switch": StateSwitch,
  "offers": Offers,
  "conversations": Conversations,
  "customer-card": CustomerCard,
  "my-tasks": MyTasks,
  "knowledge-box": KnowledgeBox,
  "call-script": CallScript,
  "softphone": Softphone,
  "page": Page,
  "wallboard": Wallboard,
  "reports": Reports,
  "supervise": Supervise,
  "admin": AdminPage,
  "admin-channels": AdminChannels,
  "quality": Quality,
};

const EVENTS = ["click", "submit", "keydown", "change", "input", "focusin"];

function actionsOf(element) {
  return (element.dataset.action || "").split(/\s+/).filter(Boolean).map((spec) => {
    const [type, rest] = spec.split(":");
    const [name, method] = rest.split("#");
    return { type: type === "focus" ? "focusin" : type, name, method };
  });
}

function start() {
  const instances = [];
  for (const element of document.querySelectorAll("[data-controller]")) {
    for (const name of element.dataset.controller.split(/\s+/)) {
      const Controller = registry[name];
      if (!Controller) continue;
      const controller = new Controller(element, name);
      instances.push(controller);
      for (const type of EVENTS) {
        element.addEventListener(type, (event) => {
          for (let node = event.target; node && node !== element.parentNode; node = node.parentElement) {
            if (!node.dataset || !node.dataset.action) continue;
            for (const action of actionsOf(node)) {
              if (action.type === type && action.name === name && typeof controller[action.method] === "function") {
                controller[action.method](event, node);
              }
            }
            if (node === element) break;
          }
        });
      }
    }
  }
  for (const controller of instances) controller.connect?.();
}

start();
