// Live network state: the networks list and the network page follow "network.lifecycle" events of their host
// (virtconsole.v1: host, network UUID, name, event, gone, and active/persistent/autostart while not gone).
// The events socket sends it only to users who may see the network (network.getattr).
import { listen, send } from "../events/socket.js";

const NETWORK_EVENT = "network.lifecycle";
const hostElement = document.querySelector("[data-host]");

// What each lifecycle event leaves the network as, when the message does not say "active" itself.
const STATE_AFTER = { started: true, stopped: false, defined: null, undefined: null };

function holdersOf(event) {
  const byUuid = event.network ? document.querySelectorAll(`[data-network="${event.network}"]`) : [];
  if (byUuid.length) return byUuid;
  return event.name ? document.querySelectorAll(`[data-network-name="${CSS.escape(event.name)}"]`) : [];
}

// The page's own (translated) words for what an event says: <template data-network-words>.
const pageWords = document.querySelector("template[data-network-words]")?.content;

function word(key) {
  return pageWords?.querySelector(`[data-word="${key}"]`)?.textContent || key;
}

export function applyNetworkEvent(event) {
  const active = "active" in event ? event.active : STATE_AFTER[event.event];
  for (const holder of holdersOf(event)) {
    const state = holder.querySelector("[data-field=state] .state");
    if (state && event.gone) {
      state.textContent = word("gone");
      state.className = "state state-gone";
    } else if (state && typeof active === "boolean") {
      state.textContent = word(active ? "active" : "inactive");
      state.className = active ? "state state-running" : "state";
    }
    const autostart = holder.querySelector("[data-field=autostart]");
    if (autostart && typeof event.autostart === "boolean") autostart.textContent = word(event.autostart ? "yes" : "no");
  }
}

if (hostElement) {
  const host = Number(hostElement.dataset.host);
  listen({
    open: () => send({ type: "subscribe", domains: [], hosts: [host] }),
    message: (event) => { if (event.type === NETWORK_EVENT) applyNetworkEvent(event); },
  });
}
