// Live updates for the dashboard and the domain page, from the page's events socket (./socket.js): states
// changed in place, host health, and small live graphs for the domains on screen.

import { SIGNED_OUT, listen, send } from "./socket.js";
import { Sparkline, formatKiB, formatRate } from "./sparkline.js";

// A lifecycle event says what happened; the page shows the state it leads to.
const STATE_AFTER = {
  started: "running", resumed: "running", suspended: "paused", stopped: "shutoff",
  shutdown: "shutdown", pmsuspended: "pmsuspended", crashed: "crashed", undefined: "gone",
};
const GRAPHS = [
  { key: "cpu", figure: "cpu", label: "CPU", color: "#2557d6", max: 100, value: (s) => s.cpu_percent, text: (s) => s.cpu_percent == null ? "—" : `${s.cpu_percent} %` },
  { key: "mem", figure: "memory", label: "Memory", color: "#137333", value: (s) => s.memory_kib, text: (s) => formatKiB(s.memory_kib) },
  { key: "disk", figure: "disk", label: "Disk", color: "#a15c07", value: (s) => sum(s.disk_read_bps, s.disk_write_bps), text: (s) => `${formatRate(s.disk_read_bps)} r · ${formatRate(s.disk_write_bps)} w` },
  { key: "net", figure: "net", label: "Network", color: "#7c3aed", value: (s) => sum(s.net_rx_bps, s.net_tx_bps), text: (s) => `${formatRate(s.net_rx_bps)} rx · ${formatRate(s.net_tx_bps)} tx` },
];

function sum(a, b) {
  return a == null && b == null ? null : (a || 0) + (b || 0);
}

class LivePage {
  constructor() {
    this.rows = new Map(); // uuid -> {element, graphs, hostId}
    this.hosts = new Set();
    this.onScreen = new Set();
    this.banner = this.makeBanner();
    this.domainPage = document.querySelector("[data-live-domain]");
    this.collect();
    this.observer = new IntersectionObserver((entries) => this.visibility(entries));
    for (const row of this.rows.values()) this.observer.observe(row.element);
    listen({
      open: () => {
        this.banner.hidden = true;
        document.body.dataset.live = "connected";
        send({ type: "subscribe", domains: [...this.rows.keys()], hosts: [...this.hosts] });
        this.sendWatch();
      },
      message: (message) => this.receive(message),
      close: (event) => {
        document.body.dataset.live = "disconnected";
        this.showBanner(event.code === SIGNED_OUT
          ? "Signed out: live updates stopped. Sign in again to resume them."
          : "Live updates paused: reconnecting to the console server…");
      },
    });
  }

  makeBanner() {
    const banner = document.createElement("p");
    banner.className = "live-banner";
    banner.setAttribute("role", "status");
    banner.hidden = true;
    document.querySelector("main").prepend(banner);
    return banner;
  }

  collect() {
    const detail = document.querySelector("[data-live-domain]");
    if (detail) {
      const hostId = Number(detail.dataset.host);
      this.hosts.add(hostId);
      const graphs = {};
      for (const spec of GRAPHS) {
        const canvas = detail.querySelector(`canvas[data-graph=${spec.key}]`);
        if (canvas) graphs[spec.key] = { line: new Sparkline(canvas, spec), text: detail.querySelector(`[data-graph-text=${spec.key}]`) };
      }
      this.rows.set(detail.dataset.liveDomain, { element: detail, graphs, hostId });
      return;
    }
    for (const section of document.querySelectorAll(".host-section[data-host]")) {
      const hostId = Number(section.dataset.host);
      this.hosts.add(hostId);
      const headRow = section.querySelector("thead tr");
      if (headRow && !headRow.querySelector(".live-head")) {
        const th = document.createElement("th");
        th.className = "live-head";
        th.textContent = "Live";
        headRow.append(th);
      }
      for (const tr of section.querySelectorAll("tr[data-uuid]")) {
        const cell = document.createElement("td");
        cell.className = "live-graphs";
        const graphs = {};
        for (const spec of GRAPHS) {
          const canvas = document.createElement("canvas");
          canvas.width = 48;
          canvas.height = 18;
          canvas.dataset.graph = spec.key;
          canvas.title = spec.label;
          cell.append(canvas);
          graphs[spec.key] = { line: new Sparkline(canvas, spec), canvas };
        }
        tr.append(cell);
        this.rows.set(tr.dataset.uuid, { element: tr, graphs, hostId });
      }
    }
  }

  showBanner(text) {
    this.banner.textContent = text;
    this.banner.hidden = false;
  }

  visibility(entries) {
    for (const entry of entries) {
      const uuid = entry.target.dataset.uuid || entry.target.dataset.liveDomain;
      if (entry.isIntersecting) this.onScreen.add(uuid); else this.onScreen.delete(uuid);
    }
    this.sendWatch();
  }

  sendWatch() {
    // Only the domains on screen and the figures the page draws: the server asks libvirt for just those.
    send({ type: "watch_stats", domains: [...this.onScreen], stats: this.figuresShown() });
  }

  figuresShown() {
    const shown = new Set();
    for (const row of this.rows.values()) {
      for (const spec of GRAPHS) if (row.graphs[spec.key]) shown.add(spec.figure);
    }
    return [...shown];
  }

  receive(message) {
    switch (message.type) {
      case "domain.lifecycle": return this.lifecycle(message);
      case "domain.stats": return message.domains.forEach((stats) => this.stats(stats));
      case "host.health": return this.hostHealth(message);
      default:
        if (message.type && message.type.startsWith("domain.")) this.note(message);
    }
  }

  setState(uuid, state) {
    const row = this.rows.get(uuid);
    if (!row) return false;
    const scope = this.domainPage ? document : row.element;
    for (const span of scope.querySelectorAll("[data-field=state]")) {
      if (span.textContent === state) continue;
      span.textContent = state;
      span.className = `state state-${state}`;
      span.dataset.changedLive = "true";
    }
    const text = scope.querySelector("[data-field=state-text]");
    if (text) text.textContent = state;
    return true;
  }

  lifecycle(event) {
    const state = STATE_AFTER[event.event];
    if (state && this.setState(event.uuid, state)) {
      if (this.domainPage) this.refreshDomainPage();
    } else if (!this.rows.has(event.uuid) && (event.event === "defined" || event.event === "started")) {
      this.showBanner(`Domain '${event.name}' appeared on this host: reload to list it.`);
    }
  }

  stats(stats) {
    const row = this.rows.get(stats.uuid);
    if (!row) return;
    this.setState(stats.uuid, stats.state);
    const cpu = row.element.querySelector("[data-field=cpu]");
    if (cpu) cpu.textContent = stats.cpu_percent == null ? "—" : `${stats.cpu_percent} %`;
    for (const spec of GRAPHS) {
      const graph = row.graphs[spec.key];
      if (!graph) continue;
      graph.line.push(spec.value(stats));
      const words = `${spec.label}: ${spec.text(stats)}`;
      if (graph.text) graph.text.textContent = spec.text(stats);
      if (graph.canvas) graph.canvas.title = words;
    }
  }

  hostHealth(message) {
    const places = document.querySelectorAll(
      `.host-section[data-host="${message.host}"] h2, [data-live-host-health="${message.host}"]`);
    for (const place of places) {
      let badge = place.querySelector(".health");
      if (!badge) {
        badge = document.createElement("span");
        place.append(" ", badge);
      }
      badge.className = `health health-${message.state}`;
      badge.textContent = message.message ? `${message.state}: ${message.message}` : message.state;
      badge.dataset.field = "host-health";
    }
  }

  note(event) {
    const log = document.querySelector("[data-field=live-events]");
    if (!log || !this.rows.has(event.uuid)) return;
    const item = document.createElement("li");
    const what = event.type.replace("domain.", "").replace("_", " ");
    const extra = event.device || event.phase || event.status || event.state || "";
    item.textContent = `${new Date().toLocaleTimeString()} ${what} ${extra}`.trim();
    log.prepend(item);
    while (log.children.length > 20) log.lastChild.remove();
  }

  async refreshDomainPage() {
    // The actions that fit the new state, and the overview, without reloading the page.
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const selector of [".actions", ".facts"]) {
      const now = document.querySelector(selector);
      const next = fresh.querySelector(selector);
      if (now && next) now.replaceWith(document.importNode(next, true));
    }
  }
}

window.livePage = new LivePage();
