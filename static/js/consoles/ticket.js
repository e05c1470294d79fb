// Console tickets: ask the API for a single-use ticket, then build the websocket URL it names.

import { word } from "./page.js";

export async function consoleSocketUrl(root, kind, { takeover = false } = {}) {
  const csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  const response = await fetch(root.dataset.ticketsUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify({ kind }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.message || word("ticket_refused", { status: response.status }));
  }
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${body.url}${takeover ? "&takeover=1" : ""}`;
}
