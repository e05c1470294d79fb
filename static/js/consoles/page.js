// What the two console pages share: their words, the status, starting a stopped domain, following the domain's
// lifecycle on the page's events socket, a console area that fills the window, and full screen.

import { listen, send } from "../events/socket.js";

// The page's words, translated by the server (console/consoles/views.py): none are written here.
const WORDS = JSON.parse(document.getElementById("console-words").textContent);

export function hasWord(name) {
  return name in WORDS;
}

export function word(name, values = {}) {
  return (WORDS[name] || name).replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
}

export function setStatus(root, text, kind = "") {
  const status = root.querySelector("[data-field=status]");
  status.textContent = text;
  status.className = `console-status ${kind}`;
}

export function control(root, name) {
  return root.querySelector(`[data-action=${name}]`);
}

function csrfToken(root) {
  return root.querySelector("input[name=csrfmiddlewaretoken]").value;
}

// The controls that act on an open session are disabled while there is none.
export function sessionControls(root, open) {
  for (const element of root.querySelectorAll("[data-needs-session]")) element.disabled = !open;
}

// Shown when the domain does not run: the Start button (present only for who may start it) and no console socket,
// since one would only be refused.
export function showNotRunning(root) {
  setStatus(root, word("not_running"), "bad");
  const start = control(root, "start");
  if (start) start.hidden = false;
  control(root, "reconnect").hidden = true;
  sessionControls(root, false);
}

// A session that ended: on a domain that stopped, the page says it does not run (and offers Start); on a running
// one, it says why with text and offers to reconnect.
export function showSessionEnded(root, text, running) {
  sessionControls(root, false);
  if (!running) {
    showNotRunning(root);
    return;
  }
  setStatus(root, text, "bad");
  control(root, "reconnect").hidden = false;
}

// Start through the API (the same do_domain_action as the domain page's button); the page stays, and opens the
// console once libvirt says the domain runs.
export function offerStart(root, onStarted) {
  const start = control(root, "start");
  if (!start) return;
  start.addEventListener("click", async () => {
    start.disabled = true;
    setStatus(root, word("starting"));
    try {
      const response = await fetch(root.dataset.actionsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(root) },
        body: JSON.stringify({ action: "start" }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
      start.hidden = true;
      onStarted();
    } catch (error) {
      setStatus(root, word("start_failed", { reason: error.message }), "bad");
    } finally {
      start.disabled = false;
    }
  });
}

// The domain's lifecycle, pushed on the page's one events socket: onStarted when it starts (here or elsewhere),
// onStopped when it stops. The console socket closes by itself when the domain stops; this tells why.
export function followDomain(root, { onStarted, onStopped }) {
  const uuid = root.dataset.domain;
  listen({
    open() {
      send({ type: "subscribe", domains: [uuid] });
    },
    message(message) {
      if (message.type !== "domain.lifecycle" || message.uuid !== uuid) return;
      if (message.event === "started") onStarted();
      else if (message.event === "stopped") onStopped();
    },
  });
}

// The console area takes the rest of the window's height (never less than a small screen's worth), so the page
// itself does not scroll on a desktop; onResize runs after each change.
export function fillWindow(element, onResize = () => {}) {
  const fill = () => {
    if (!document.fullscreenElement) {
      const top = element.getBoundingClientRect().top + window.scrollY;
      element.style.height = `${Math.max(240, window.innerHeight - top - 16)}px`;
    }
    onResize();
  };
  window.addEventListener("resize", fill);
  document.addEventListener("fullscreenchange", fill);
  fill();
  return fill;
}

// Full screen on the console element itself (the Fullscreen API): its button, and Ctrl-Alt-Enter (as VMware's
// consoles do) from anywhere on the page. The shortcut is caught before the console sees it, so the guest gets the
// Ctrl and Alt presses, released again, and not the Enter.
export function offerFullscreen(root, element, onChange = () => {}) {
  const button = control(root, "fullscreen");
  if (!document.fullscreenEnabled) {
    button.hidden = true;
    return;
  }
  const toggle = async () => {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await element.requestFullscreen();
    } catch (error) {
      setStatus(root, word("fullscreen_failed", { reason: error.message }), "bad");
    }
  };
  button.addEventListener("click", toggle);
  window.addEventListener("keydown", (event) => {
    if (event.ctrlKey && event.altKey && event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      toggle();
    }
  }, { capture: true });
  document.addEventListener("fullscreenchange", () => {
    button.setAttribute("aria-pressed", document.fullscreenElement === element ? "true" : "false");
    onChange();
  });
}
