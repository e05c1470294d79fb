// Live pool numbers: the pools list and the pool page follow "pool.lifecycle" events of their host (virtconsole.v1).
import { listen, send } from "../events/socket.js";

const hostElement = document.querySelector("[data-host]");

function formatBytes(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB", "PB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function apply(event) {
  for (const holder of document.querySelectorAll(`[data-pool="${event.pool}"]`)) {
    const state = holder.querySelector("[data-field=state]");
    if (state) state.textContent = event.state || (event.event === "undefined" ? "gone" : state.textContent);
    const volumes = holder.querySelector("[data-field=volumes]");
    if (volumes && "volumes" in event) volumes.textContent = event.volumes ?? "(pool not active)";
  }
  if (event.capacity === undefined) return;
  for (const space of document.querySelectorAll(`[data-pool-space="${event.pool}"]`)) {
    for (const key of ["capacity", "allocation", "available"]) {
      const field = space.querySelector(`[data-field=${key}]`);
      if (field) field.textContent = formatBytes(event[key]);
    }
    const meter = space.querySelector("meter");
    if (meter) {
      meter.max = event.capacity || 1;
      meter.value = event.allocation;
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
