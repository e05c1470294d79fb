// The graphical console page: noVNC (unmodified, from node_modules) <-> websocket <-> the domain's VNC server.

import RFB from "/static/vendor/@novnc/novnc/core/rfb.js";
import KeyTable from "/static/vendor/@novnc/novnc/core/input/keysym.js";
import { consoleSocketUrl } from "./ticket.js";
import {
  control, fillWindow, followDomain, offerFullscreen, offerStart, sessionControls, setStatus, showNotRunning,
  showSessionEnded, word,
} from "./page.js";

const root = document.getElementById("vnc-console");
const screen = root.querySelector("[data-field=screen]");
const clipboard = root.querySelector("[data-field=clipboard]");
let rfb = null;
let connecting = false;
let running = root.dataset.running === "true";
let stopped = false; // the events socket said the domain stopped: the disconnect that follows is not a loss
let reopen = false; // the session was closed to open a new one (the Shared switch changed)

// The key combinations the browser or the desktop would keep for themselves: [keysym, code] pressed in order,
// released in reverse.
const CTRL_ALT = [[KeyTable.XK_Control_L, "ControlLeft"], [KeyTable.XK_Alt_L, "AltLeft"]];
const COMBINATIONS = { "ctrl-alt-backspace": [...CTRL_ALT, [KeyTable.XK_BackSpace, "Backspace"]] };
for (let n = 1; n <= 12; n++) COMBINATIONS[`ctrl-alt-f${n}`] = [...CTRL_ALT, [KeyTable[`XK_F${n}`], `F${n}`]];

function sendCombination(name) {
  if (!rfb) return;
  if (name === "ctrl-alt-del") {
    rfb.sendCtrlAltDel();
  } else {
    const keys = COMBINATIONS[name];
    for (const [keysym, code] of keys) rfb.sendKey(keysym, code, true);
    for (const [keysym, code] of [...keys].reverse()) rfb.sendKey(keysym, code, false);
  }
  rfb.focus();
}

function fitToWindow() {
  return root.querySelector("[data-action=scale]:checked").value === "fit";
}

function disconnected(text) {
  rfb = null;
  showSessionEnded(root, text, running);
}

async function connect() {
  if (rfb || connecting) return;
  connecting = true;
  stopped = false;
  setStatus(root, word("connecting"));
  control(root, "reconnect").hidden = true;
  let url;
  try {
    url = await consoleSocketUrl(root, "vnc");
  } catch (error) {
    connecting = false;
    disconnected(error.message);
    return;
  }
  connecting = false;
  // "binary" is the subprotocol noVNC speaks; each ticket opens one socket, so no automatic retries.
  rfb = new RFB(screen, url, { wsProtocols: ["binary"], shared: control(root, "shared").checked });
  rfb.scaleViewport = fitToWindow();
  rfb.resizeSession = false;
  rfb.addEventListener("connect", () => {
    running = true;
    const start = control(root, "start");
    if (start) start.hidden = true;
    setStatus(root, word("connected"), "ok");
    sessionControls(root, true);
    rfb.focus();
  });
  rfb.addEventListener("disconnect", (event) => {
    if (reopen) {
      reopen = false;
      rfb = null;
      connect();
      return;
    }
    // The binary socket carries no words: say what the page knows (the domain stopped, or the connection broke).
    disconnected(stopped ? word("stopped") : event.detail.clean ? word("disconnected") : word("lost"));
  });
  rfb.addEventListener("desktopname", (event) => {
    document.title = `${event.detail.name} · virtconsole`;
  });
  rfb.addEventListener("clipboard", (event) => {
    clipboard.value = event.detail.text;
  });
  rfb.addEventListener("securityfailure", (event) => {
    disconnected(word("refused", { reason: event.detail.reason }));
  });
}

control(root, "reconnect").addEventListener("click", connect);
for (const input of root.querySelectorAll("[data-action=scale]")) {
  input.addEventListener("change", () => {
    if (rfb) rfb.scaleViewport = fitToWindow();
  });
}
control(root, "shared").addEventListener("change", () => {
  // The shared flag is sent when the session opens: a new session carries the new choice.
  if (rfb) {
    reopen = true;
    rfb.disconnect();
  }
});
control(root, "paste").addEventListener("click", () => {
  if (!rfb) return;
  rfb.clipboardPasteFrom(clipboard.value);
  setStatus(root, word("clipboard_sent"), "ok");
  setTimeout(() => { if (rfb) setStatus(root, word("connected"), "ok"); }, 2000);
});
for (const item of root.querySelectorAll("[data-keys]")) {
  item.addEventListener("click", () => sendCombination(item.dataset.keys));
}
// noVNC scales to its element's size: follow the window (and full screen), and take the keyboard back after.
fillWindow(screen);
offerFullscreen(root, screen, () => rfb && rfb.focus());
offerStart(root, () => {
  running = true;
  connect();
});
followDomain(root, {
  onStarted() {
    running = true;
    if (!rfb) connect();
  },
  onStopped() {
    running = false;
    stopped = true;
    if (!rfb && !connecting) showNotRunning(root);
  },
});

window.vncConsole = { get rfb() { return rfb; } };
if (running) connect();
