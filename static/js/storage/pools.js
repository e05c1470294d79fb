// Live pool numbers: the pools list and the pool page follow "pool.lifecycle" events of their host (virtconsole.v1).
// The state words come from the page (<template data-pool-states>), so they are translated like the rest of it.
import { listen, send } from "../events/socket.js";

const hostElement = document.querySelector("[data-host]");
const stateWords = document.querySelector("template[data-pool-states]")?.content;

function formatBytes(bytes) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value}\u00a0B` : `${value.toFixed(1)}\u00a0${units[unit]}`;
}

function showState(holder, state) {
  const badge = holder.querySelector("[data-field=state] [data-state]");
  if (!badge) return;
  const words = stateWords?.querySelector(`[data-state="${state}"]`)?.textContent;
  badge.dataset.state = state;
  badge.className = `state state-${state}`;
  badge.textContent = words || state;
}

function apply(event) {
  for (const holder of document.querySelectorAll(`[data-pool="${event.pool}"]`)) {
    const state = event.state || (event.event === "undefined" ? "gone" : null);
    if (state) showState(holder, state);
    const volumes = holder.querySelector("[data-field=volumes]");
    if (volumes && "volumes" in event) volumes.textContent = event.volumes ?? volumes.dataset.inactiveWords;
  }
  if (event.capacity === undefined) return;
  for (const space of document.querySelectorAll(`[data-pool-space="${event.pool}"]`)) {
    for (const key of ["capacity", "allocation", "available"]) {
      const field = space.querySelector(`[data-field=${key}]`);
      if (field) field.textContent = formatBytes(event[key]);
    }
    const bar = space.querySelector("[data-space-bar]");
    if (bar) {
      const share = event.capacity ? Math.min(100, Math.round((100 * event.allocation) / event.capacity)) : 0;
      bar.setAttribute("aria-valuenow", String(share));
      bar.querySelector(".progress-bar").style.width = `${share}%`;
    }
  }
}

if (hostElement) {
  const host = Number(hostElement.dataset.host);
  listen({
    open: () => send({ type: "subscribe", domains: [], hosts: [host] }),
    message: (event) => { if (event.type === "pool.lifecycle") apply(event); },
  });
}
