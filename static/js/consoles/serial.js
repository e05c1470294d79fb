// The serial console page: xterm.js <-> websocket (virtconsole.v1) <-> the domain's libvirt console stream.

import { Terminal } from "/static/vendor/@xterm/xterm/lib/xterm.mjs";
import { FitAddon } from "/static/vendor/@xterm/addon-fit/lib/addon-fit.mjs";
import { consoleSocketUrl, setStatus } from "./ticket.js";

const root = document.getElementById("serial-console");
const term = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000, fontSize: 14 });
const fit = new FitAddon();
term.loadAddon(fit);
term.open(root.querySelector("[data-field=terminal]"));
fit.fit();
window.addEventListener("resize", () => fit.fit());

const encoder = new TextEncoder();
let socket = null;

function button(name) {
  return root.querySelector(`[data-action=${name}]`);
}

function sendJson(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function onControl(message) {
  if (message.type === "console.opened") {
    setStatus(root, message.took_over ? "connected (taken over)" : "connected", "ok");
    button("takeover").hidden = true;
    button("reconnect").hidden = true;
    sendJson({ type: "resize", cols: term.cols, rows: term.rows });
    term.focus();
  } else if (message.type === "console.closed") {
    setStatus(root, message.message, "bad");
    button("reconnect").hidden = false;
  } else if (message.type === "error") {
    setStatus(root, message.message, "bad");
    button("reconnect").hidden = false;
    button("takeover").hidden = !(message.code === "console_busy" && root.dataset.mayTakeOver === "true");
  }
}

async function connect({ takeover = false } = {}) {
  setStatus(root, "connecting…");
  let url;
  try {
    url = await consoleSocketUrl(root, "serial", { takeover });
  } catch (error) {
    setStatus(root, error.message, "bad");
    button("reconnect").hidden = false;
    return;
  }
  socket = new WebSocket(url, ["virtconsole.v1"]);
  socket.binaryType = "arraybuffer";
  socket.onmessage = (event) => {
    if (typeof event.data === "string") onControl(JSON.parse(event.data));
    else term.write(new Uint8Array(event.data));
  };
  socket.onclose = (event) => {
    if (event.code === 1006 || event.code === 1000) {
      setStatus(root, "disconnected", "bad");
      button("reconnect").hidden = false;
    }
  };
}

// Typing and pasting both arrive here as text; the guest gets its bytes.
term.onData((data) => {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(data));
});
term.onResize(({ cols, rows }) => sendJson({ type: "resize", cols, rows }));

button("reconnect").addEventListener("click", () => connect());
button("takeover").addEventListener("click", () => connect({ takeover: true }));
button("fit-guest").addEventListener("click", () => {
  // A serial line carries no window size: tell the guest's tty ourselves.
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(encoder.encode(`stty cols ${term.cols} rows ${term.rows}\r`));
  }
});

window.serialConsole = { term, get socket() { return socket; } };
connect();
