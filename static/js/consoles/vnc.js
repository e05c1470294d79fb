// The graphical console page: noVNC (unmodified, from node_modules) <-> websocket <-> the domain's VNC server.

import RFB from "/static/vendor/@novnc/novnc/core/rfb.js";
import { consoleSocketUrl, setStatus } from "./ticket.js";

const root = document.getElementById("vnc-console");
const screen = root.querySelector("[data-field=screen]");
const clipboard = root.querySelector("[data-field=clipboard]");
let rfb = null;

function control(name) {
  return root.querySelector(`[data-action=${name}]`);
}

async function connect() {
  setStatus(root, "connecting…");
  control("reconnect").hidden = true;
  let url;
  try {
    url = await consoleSocketUrl(root, "vnc");
  } catch (error) {
    setStatus(root, error.message, "bad");
    control("reconnect").hidden = false;
    return;
  }
  // "binary" is the subprotocol noVNC speaks; each ticket opens one socket, so no automatic retries.
  rfb = new RFB(screen, url, { wsProtocols: ["binary"], shared: control("shared").checked });
  rfb.scaleViewport = control("scale").checked;
  rfb.resizeSession = false;
  rfb.addEventListener("connect", () => {
    setStatus(root, "connected", "ok");
    rfb.focus();
  });
  rfb.addEventListener("disconnect", (event) => {
    setStatus(root, event.detail.clean ? "disconnected" : "connection lost (the domain stopped, or you lost access)", "bad");
    control("reconnect").hidden = false;
    rfb = null;
  });
  rfb.addEventListener("desktopname", (event) => { document.title = `${event.detail.name} · virtconsole`; });
  rfb.addEventListener("clipboard", (event) => { clipboard.value = event.detail.text; });
  rfb.addEventListener("securityfailure", (event) => setStatus(root, `refused: ${event.detail.reason}`, "bad"));
}

control("reconnect").addEventListener("click", connect);
control("ctrl-alt-del").addEventListener("click", () => rfb && rfb.sendCtrlAltDel());
control("scale").addEventListener("change", (event) => { if (rfb) rfb.scaleViewport = event.target.checked; });
control("shared").addEventListener("change", () => { if (rfb) rfb.disconnect(); else connect(); });
control("paste").addEventListener("click", () => rfb && rfb.clipboardPasteFrom(clipboard.value));

window.vncConsole = { get rfb() { return rfb; } };
connect();
