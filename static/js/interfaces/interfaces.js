// The domain page's Interfaces card: the add form shows the fields of the kind picked, and the table is re-read in
// place (GET .../interfaces/) when asked, when the events socket says a device came or went or the domain changed
// state, and now and then while a running guest's interface has no address yet (DHCP takes a while).
import { listen } from "../events/socket.js";

const card = document.querySelector(".interfaces-card");
const ADDRESS_POLL_MS = 5000;
const ADDRESS_POLLS = 36; // three minutes after the page loads or something happens: a boot and a DHCP exchange
const DEVICE_EVENTS = new Set(["domain.device_added", "domain.device_removed", "domain.device_removal_failed",
  "domain.lifecycle"]);

function showKind(form) {
  const kind = form.querySelector("select[name=type]").value;
  for (const fieldset of form.querySelectorAll("fieldset[data-kinds]")) {
    const shown = fieldset.dataset.kinds.split(" ").includes(kind);
    fieldset.hidden = !shown;
    for (const control of fieldset.querySelectorAll("input, select")) control.disabled = !shown;
  }
}

class InterfacesCard {
  constructor(element) {
    this.element = element;
    this.holder = element.querySelector("[data-interfaces-holder]");
    this.polls = 0;
    this.timer = null;
    const form = element.querySelector("form.interface-add");
    if (form) {
      form.querySelector("select[name=type]").addEventListener("change", () => showKind(form));
      showKind(form);
    }
    element.querySelector("[data-refresh-interfaces]").addEventListener("click", (event) => {
      event.preventDefault();
      this.refresh(true);
    });
    // The domain's events come because live.js subscribes the page's socket to the domain.
    listen({
      message: (message) => {
        if (DEVICE_EVENTS.has(message.type) && message.uuid === element.dataset.domain) {
          this.polls = 0;
          this.refresh(false);
        }
      },
    });
    this.schedule();
  }

  waitingForAddress() {
    return this.holder.querySelector("table[data-running=yes] [data-no-address]") !== null;
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.waitingForAddress() && this.polls < ADDRESS_POLLS) {
      this.timer = setTimeout(() => { this.polls += 1; this.refresh(false); }, ADDRESS_POLL_MS);
    }
  }

  busy() {
    // Never swap the table from under someone changing a row.
    return this.holder.querySelector("details[open]") !== null || this.holder.contains(document.activeElement);
  }

  async refresh(asked) {
    if (!asked && this.busy()) return this.schedule();
    this.holder.dataset.refreshing = "true";
    try {
      const response = await fetch(this.element.dataset.interfacesUrl, { credentials: "same-origin" });
      if (response.ok) {
        this.holder.innerHTML = await response.text();
        this.element.dataset.refreshedAt = String(Date.now());
      }
    } finally {
      delete this.holder.dataset.refreshing;
      this.schedule();
    }
  }
}

if (card) window.interfacesCard = new InterfacesCard(card);
