// The domain page's Overview: after a lifecycle event of this domain, its state, Actions card and facts are read
// again (htmx: #domain-actions has hx-get and hx-trigger="vc:domain-lifecycle from:body"), never from under
// someone using them; the Undefine form takes the focus when it opens.
//
// Why an event of our own: the page's socket follows the domain's whole host (live.js subscribes to it), so
// lifecycle messages come for every domain there, and htmx cannot filter a trigger by the message's uuid without
// eval, which the Content-Security-Policy forbids. Here only this domain's messages become vc:domain-lifecycle.
import { listen } from "../events/socket.js";

const page = document.querySelector("[data-live-domain]");
const REFRESH = "vc:domain-lifecycle";

function actions() {
  return document.getElementById("domain-actions");
}

function busy() {
  // Someone is typing the name into the Undefine form, or has the More menu open.
  const holder = actions();
  if (!holder) return false;
  return holder.contains(document.activeElement) && document.activeElement !== document.body;
}

let waiting = false;

// Once the focus leaves the Actions card, read it again.
function afterUse() {
  if (waiting) return;
  waiting = true;
  const left = (event) => {
    if (actions()?.contains(event.relatedTarget)) return; // from one field to the next: still there
    document.removeEventListener("focusout", left);
    waiting = false;
    refresh();
  };
  document.addEventListener("focusout", left);
}

function refresh() {
  if (!actions()) return;
  if (busy()) {
    afterUse();
    return;
  }
  document.body.dispatchEvent(new CustomEvent(REFRESH));
}

// A read that was asked while nobody used the card may come back while someone does (the More menu opened
// meanwhile): it is not put in place then, and the card is read again once they are done.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.target === actions() && busy()) {
    event.detail.shouldSwap = false;
    afterUse();
  }
});

if (page) {
  let opened = 0;
  listen({
    // Events sent while the socket was away reached nobody: read the state again after a reconnect.
    open: () => { if (opened++) refresh(); },
    message: (message) => {
      if (message.type === "domain.lifecycle" && message.uuid === page.dataset.liveDomain) refresh();
    },
  });
}

// The Undefine form opens from the More menu: its name field takes the focus, so the keyboard lands where it types.
document.addEventListener("shown.bs.collapse", (event) => {
  if (event.target.id === "undefine-panel") event.target.querySelector("input[name=confirm_name]")?.focus();
});
