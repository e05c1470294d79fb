// The serial console page: xterm.js <-> websocket (virtconsole.v1) <-> the domain's libvirt console stream.

import { Terminal } from "/static/vendor/@xterm/xterm/lib/xterm.mjs";
import { FitAddon } from "/static/vendor/@xterm/addon-fit/lib/addon-fit.mjs";
import { consoleSocketUrl } from "./ticket.js";
import {
  control, fillWindow, followDomain, hasWord, offerFullscreen, offerStart, sessionControls, setStatus, showNotRunning,
  showSessionEnded, word,
} from "./page.js";

// Waking the prompt. A serial line keeps nothing: what the guest printed while no console was attached (its
// prompt, usually) went nowhere, so a console opened on an idle guest shows an empty screen until a key is pressed.
// A replay of recent output from the server would show it only if the server had been reading the line all along:
// holding a console stream open for every running domain, watched or not (and libvirt gives a domain's console to
// one reader at a time, so `virsh console` would find it busy). So the page does what the person would do: once
// per session, shortly after the console opens, when the guest has been quiet for WAKE_AFTER_MS and the cursor
// stands at the start of an empty line (no prompt shows), and nobody has typed yet, it sends one carriage return.
// A shell answers with a fresh prompt, a getty with its login prompt. A guest that shows a prompt already, or keeps
// printing for WAKE_WINDOW_MS (booting, a program running), is left alone. The cost, accepted and stated here: a
// program that printed a full line and now waits silently for Enter gets one.
const WAKE_AFTER_MS = 400;
const WAKE_WINDOW_MS = 10000;

const root = document.getElementById("serial-console");
const terminalElement = root.querySelector("[data-field=terminal]");
const pasteText = root.querySelector("[data-field=paste]");
const term = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000, fontSize: 14 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open(terminalElement);

const encoder = new TextEncoder();
let socket = null;
let connecting = false;
let running = root.dataset.running === "true";
let wake = null; // {timer, until}: the prompt may still be woken in this session (see WAKE_AFTER_MS)

function open() {
  return socket && socket.readyState === WebSocket.OPEN;
}

function sendJson(message) {
  if (open()) socket.send(JSON.stringify(message));
}

function noPromptShows() {
  const buffer = term.buffer.active;
  return buffer.cursorX === 0 && buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) === "";
}

// (Re)armed at the start of a session and after each output of the guest within the window; disarmed by typing.
function armWake(session) {
  if (!wake) return;
  clearTimeout(wake.timer);
  if (performance.now() > wake.until) {
    wake = null; // still printing at the window's end: busy, left alone
    return;
  }
  wake.timer = setTimeout(() => {
    wake = null;
    if (socket === session && open() && noPromptShows()) socket.send(encoder.encode("\r"));
  }, WAKE_AFTER_MS);
}

function disarmWake() {
  if (wake) clearTimeout(wake.timer);
  wake = null;
}

function sessionEnded(text) {
  showSessionEnded(root, text, running);
}

function onControl(message) {
  const takeover = control(root, "takeover");
  if (message.type === "console.opened") {
    setStatus(root, message.took_over ? word("taken_over") : word("connected"), "ok");
    control(root, "reconnect").hidden = true;
    if (takeover) takeover.hidden = true;
    sessionControls(root, true);
    const start = control(root, "start");
    if (start) start.hidden = true;
    running = true;
    sendJson({ type: "resize", cols: term.cols, rows: term.rows });
    term.focus();
    wake = { timer: null, until: performance.now() + WAKE_WINDOW_MS };
    armWake(socket);
  } else if (message.type === "console.closed") {
    if (message.reason === "domain_stopped") running = false; // says so, and offers Start to who may
    const known = `closed_${message.reason}`;
    sessionEnded(hasWord(known) ? word(known) : message.message);
  } else if (message.type === "error") {
    // Input refusals leave the console open: say so, and keep going.
    if (message.code === "input_too_large" || message.code === "input_backlog") {
      setStatus(root, `${word("connected")}: ${message.message}`, "bad");
      return;
    }
    // A console someone holds is said in the page's words, with who; other refusals in the server's.
    sessionEnded(message.holder ? word("busy", { holder: message.holder }) : message.message);
    if (takeover) takeover.hidden = message.code !== "console_busy";
  }
}

async function connect({ takeover = false } = {}) {
  if (connecting || open()) return;
  connecting = true;
  setStatus(root, word("connecting"));
  control(root, "reconnect").hidden = true;
  let url;
  try {
    url = await consoleSocketUrl(root, "serial", { takeover });
  } catch (error) {
    connecting = false;
    sessionEnded(error.message);
    return;
  }
  connecting = false;
  disarmWake();
  const session = new WebSocket(url, ["virtconsole.v1"]);
  socket = session;
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      onControl(JSON.parse(event.data));
    } else {
      term.write(new Uint8Array(event.data), () => armWake(session));
    }
  };
  socket.onclose = (event) => {
    // Closes the server explains (4000 and up) came with a message already; these did not.
    if (event.code === 1006 || event.code === 1000) sessionEnded(word("lost"));
    else sessionControls(root, false);
  };
}

// Typing and pasting both arrive here as text; the guest gets its bytes.
term.onData((data) => {
  disarmWake();
  if (open()) socket.send(encoder.encode(data));
});
term.onResize(({ cols, rows }) => sendJson({ type: "resize", cols, rows }));

async function copySelection() {
  if (!term.hasSelection()) {
    setStatus(root, word("nothing_selected"));
    return;
  }
  try {
    await navigator.clipboard.writeText(term.getSelection());
    setStatus(root, word("copied"), "ok");
  } catch (error) {
    setStatus(root, word("clipboard_failed", { reason: error.message }), "bad");
  }
}

// Ctrl-C and Ctrl-V belong to the guest (interrupt, literal next): the terminal's own copy and paste keys are the
// shifted ones, as in desktop terminals. Ctrl-Shift-V is left to the browser, whose paste reaches xterm.js.
term.attachCustomKeyEventHandler((event) => {
  if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey) return true;
  if (event.code === "KeyC") {
    event.preventDefault();
    copySelection();
    return false;
  }
  return event.code !== "KeyV";
});

control(root, "reconnect").addEventListener("click", () => connect());
control(root, "takeover")?.addEventListener("click", () => connect({ takeover: true }));
control(root, "copy").addEventListener("click", copySelection);
control(root, "paste").addEventListener("click", () => {
  if (!open() || !pasteText.value) return;
  term.paste(pasteText.value); // as a paste: line breaks become Enter, bracketed if the guest asked for it
  pasteText.value = "";
  term.focus();
});
control(root, "fit-guest").addEventListener("click", () => {
  // A serial line carries no window size: tell the guest's tty ourselves.
  if (open()) socket.send(encoder.encode(`stty cols ${term.cols} rows ${term.rows}\r`));
  term.focus();
});

fillWindow(terminalElement, () => fit.fit());
offerFullscreen(root, terminalElement, () => term.focus());
offerStart(root, () => {
  running = true;
  connect();
});
followDomain(root, {
  onStarted() {
    running = true;
    if (!open()) connect();
  },
  onStopped() {
    running = false;
    if (!open() && !connecting) showNotRunning(root);
  },
});

window.serialConsole = { term, get socket() { return socket; } };
if (running) connect();
