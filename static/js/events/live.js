// Live updates for the overview and the domain page, from the page's events socket (./socket.js): states changed
// in place, rows added, drawn again and removed as domains are defined, change state or are undefined (the server
// draws each row: htmx fetches it), host health, uptimes that keep counting, and small live graphs for the
// domains on screen.
//
// Every domain.lifecycle message is also dispatched as a DOM event `vc:lifecycle` on document.body ({detail:
// message}), so a part of a page can follow its domain with hx-trigger="vc:lifecycle from:body".
//
// Words come from the page: #vc-state-words (state -> plain word), #vc-live-words (banner, health words); without
// them (a page not yet giving them) the script falls back to libvirt's words and English.

import { SIGNED_OUT, listen, send } from "./socket.js";
import { Sparkline, formatKiB, formatRate } from "./sparkline.js";

// A lifecycle event says what happened; the page shows the state it leads to.
const STATE_AFTER = {
  started: "running", resumed: "running", suspended: "paused", stopped: "shutoff",
  shutdown: "shutdown", pmsuspended: "pmsuspended", crashed: "crashed", undefined: "gone",
};
const GRAPHS = [
  { key: "cpu", figure: "cpu", label: "CPU", color: "#2f6fed", max: 100, value: (s) => s.cpu_percent, text: (s) => s.cpu_percent == null ? "—" : `${s.cpu_percent} %` },
  { key: "mem", figure: "memory", label: "Memory", color: "#1e9e4a", value: (s) => s.memory_kib, text: (s) => formatKiB(s.memory_kib) },
  { key: "disk", figure: "disk", label: "Disk", color: "#c27c0e", value: (s) => sum(s.disk_read_bps, s.disk_write_bps), text: (s, w) => `${formatRate(s.disk_read_bps)} ${w.read || "r"} · ${formatRate(s.disk_write_bps)} ${w.written || "w"}` },
  { key: "net", figure: "net", label: "Network", color: "#8b5cf6", value: (s) => sum(s.net_rx_bps, s.net_tx_bps), text: (s, w) => `${formatRate(s.net_rx_bps)} ${w.received || "rx"} · ${formatRate(s.net_tx_bps)} ${w.sent || "tx"}` },
];
const UPTIME_TICK_MS = 30000;

function sum(a, b) {
  return a == null && b == null ? null : (a || 0) + (b || 0);
}

function wordsFrom(id) {
  const element = document.getElementById(id);
  if (!element) return {};
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

// Uptime as a short duration in the page's language ("3 d 4 h", "12 min"): Intl's own unit words.
function formatUptime(seconds) {
  const lang = document.documentElement.lang || undefined;
  const unit = (value, name) => new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "short" }).format(value);
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days) return `${unit(days, "day")} ${unit(hours, "hour")}`;
  if (hours) return `${unit(hours, "hour")} ${unit(minutes, "minute")}`;
  return unit(minutes, "minute");
}

// Rows in the server's order: gone rows last, the others by their key (data-sort-key, the JSON of the sort's key
// as the server computed it), reversed when the list is sorted descending.
function rowOrder(a, b, descending) {
  const goneA = a.dataset.state === "gone", goneB = b.dataset.state === "gone";
  if (goneA !== goneB) return goneA ? 1 : -1;
  const keyA = JSON.parse(a.dataset.sortKey || "[]"), keyB = JSON.parse(b.dataset.sortKey || "[]");
  let order = 0;
  for (let i = 0; i < Math.min(keyA.length, keyB.length) && !order; i++) {
    if (keyA[i] < keyB[i]) order = -1; else if (keyA[i] > keyB[i]) order = 1;
  }
  order = order || keyA.length - keyB.length;
  return descending ? -order : order;
}

// Whether tr sorts within the page the server drew: a paged list says where its page began (with pages before) and
// ended (with pages after), as the state and sort key of its first and last rows.
function onThisPage(tr, body, descending) {
  const bounds = body.dataset;
  const bound = (state, sortKey) => ({ dataset: { state, sortKey } });
  if (bounds.firstKey !== undefined && rowOrder(bound(bounds.firstState, bounds.firstKey), tr, descending) > 0) {
    return false;
  }
  return !(bounds.lastKey !== undefined && rowOrder(tr, bound(bounds.lastState, bounds.lastKey), descending) > 0);
}

// A row added or drawn again by an event goes where the server would have put it: after the last row that does not
// come after it (a binary search: the others are in order already). False when that is another page of a paged
// list: that page shows it.
function placeInOrder(tr) {
  const body = tr.parentElement;
  if (!body || body.dataset.sortDir === undefined) return true;
  const descending = body.dataset.sortDir === "desc";
  if (!onThisPage(tr, body, descending)) return false;
  const others = [...body.children].filter((other) => other !== tr && other.dataset.uuid);
  let low = 0, high = others.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (rowOrder(others[middle], tr, descending) <= 0) low = middle + 1; else high = middle;
  }
  const before = others[low] || null;
  if (tr.nextElementSibling !== before) body.insertBefore(tr, before);
  return true;
}

class LivePage {
  constructor() {
    this.rows = new Map(); // uuid -> {element, graphs, hostId}
    this.lines = new WeakMap(); // canvas -> Sparkline: a row drawn again keeps its canvases (hx-preserve), and its line
    this.hosts = new Set();
    this.onScreen = new Set();
    this.fetching = new Set(); // uuids of rows asked of the server now
    this.fetchAgain = new Set();
    this.rescanQueued = false;
    this.stateWords = wordsFrom("vc-state-words");
    this.words = wordsFrom("vc-live-words");
    this.domainPage = document.querySelector("[data-live-domain]");
    this.rowList = document.querySelector("[data-domain-rows]") ? document.getElementById("domain-list") : null;
    this.banner = this.makeBanner();
    this.observer = new IntersectionObserver((entries) => this.visibility(entries));
    this.collect();
    if (this.rowList) {
      // The list swapped by the filters, the sort links, or a row fetched below: follow what is there now. On the
      // swap itself, once per swap, so a fetched row is in its place before its fetch counts as done (htmx's settle
      // comes 20 ms later, and a row appended at the end showed there meanwhile).
      document.body.addEventListener("htmx:afterSwap", () => this.rescanSoon());
      setInterval(() => this.tickUptimes(), UPTIME_TICK_MS);
    }
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
          ? this.words.signed_out || "Signed out: live updates stopped. Sign in again to resume them."
          : this.words.reconnecting || "Live updates paused: reconnecting to the console server…");
      },
    });
  }

  makeBanner() {
    const banner = document.createElement("p");
    banner.className = "live-banner alert alert-warning py-2";
    banner.setAttribute("role", "status");
    banner.hidden = true;
    document.querySelector("main").prepend(banner);
    return banner;
  }

  collect() {
    const detail = this.domainPage;
    if (detail) {
      const hostId = Number(detail.dataset.host);
      this.hosts.add(hostId);
      const graphs = {};
      for (const spec of GRAPHS) {
        const canvas = detail.querySelector(`canvas[data-graph=${spec.key}]`);
        if (canvas) graphs[spec.key] = { line: this.lineFor(canvas, spec), text: detail.querySelector(`[data-graph-text=${spec.key}]`) };
      }
      this.rows.set(detail.dataset.liveDomain, { element: detail, graphs, hostId });
      this.observer.observe(detail);
      return;
    }
    for (const card of document.querySelectorAll("[data-live-host-health]")) this.hosts.add(Number(card.dataset.liveHostHealth));
    this.rescan();
  }

  lineFor(canvas, spec) {
    let line = this.lines.get(canvas);
    if (!line) {
      line = new Sparkline(canvas, spec);
      this.lines.set(canvas, line);
      canvas.dataset.label = canvas.dataset.label || canvas.title || spec.label;
    }
    return line;
  }

  // rescan() once the swap under way is done (htmx tells each swapped element on its own).
  rescanSoon() {
    if (this.rescanQueued) return;
    this.rescanQueued = true;
    queueMicrotask(() => {
      this.rescanQueued = false;
      this.rescan();
    });
  }

  // The rows on the page now: new ones followed, ones gone from the page forgotten.
  rescan() {
    if (!this.rowList) return;
    const seen = new Set();
    const added = [];
    for (const tr of this.rowList.querySelectorAll("tr[data-uuid]")) {
      const uuid = tr.dataset.uuid;
      if (seen.has(uuid)) {
        tr.remove(); // fetched twice (defined, then started at once): one row is enough
        continue;
      }
      seen.add(uuid);
      const known = this.rows.get(uuid);
      if (known && known.element === tr) continue;
      if (!placeInOrder(tr)) {
        tr.remove(); // it sorts onto another page now: forgotten below if it was followed
        seen.delete(uuid);
        continue;
      }
      if (known) this.observer.unobserve(known.element);
      const graphs = {};
      for (const spec of GRAPHS) {
        const canvas = tr.querySelector(`canvas[data-graph=${spec.key}]`);
        if (canvas) graphs[spec.key] = { line: this.lineFor(canvas, spec), canvas };
      }
      this.rows.set(uuid, { element: tr, graphs, hostId: Number(tr.dataset.host) });
      this.observer.observe(tr);
      if (!known) added.push(uuid);
    }
    for (const [uuid, row] of this.rows) {
      if (seen.has(uuid)) continue;
      this.observer.unobserve(row.element);
      this.rows.delete(uuid);
      this.onScreen.delete(uuid);
    }
    const empty = document.querySelector("[data-empty-list]");
    if (empty) empty.hidden = this.rows.size > 0;
    if (added.length) send({ type: "subscribe", domains: added, hosts: [] });
    this.tickUptimes();
  }

  showBanner(text) {
    this.banner.textContent = text;
    this.banner.hidden = false;
  }

  visibility(entries) {
    for (const entry of entries) {
      const uuid = entry.target.dataset.uuid || entry.target.dataset.liveDomain;
      // A row drawn again replaces its element: the old one's last entry (off screen, being detached) may come
      // after the new one's and must not stop the domain's stats.
      if (this.rows.get(uuid)?.element !== entry.target) continue;
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
      case "domain.lifecycle":
        document.body.dispatchEvent(new CustomEvent("vc:lifecycle", { detail: message }));
        return this.lifecycle(message);
      case "domain.stats": return message.domains.forEach((stats) => this.stats(stats));
      case "host.health": return this.hostHealth(message);
      default:
        if (message.type && message.type.startsWith("domain.")) this.note(message);
    }
  }

  setState(uuid, state, reason) {
    const row = this.rows.get(uuid);
    if (!row) return false;
    const scope = this.domainPage ? document : row.element;
    const word = this.stateWords[state] || state;
    for (const span of scope.querySelectorAll("[data-field=state]")) {
      if ((span.dataset.state || span.textContent) === state) continue;
      span.textContent = word;
      span.className = `state state-${state}`;
      span.dataset.state = state;
      span.dataset.changedLive = "true";
      const why = span.parentElement?.querySelector("[data-field=state-reason]");
      if (why && reason !== undefined) why.textContent = reason;
    }
    if (row.element.dataset.state !== undefined && !this.domainPage) row.element.dataset.state = state;
    const text = scope.querySelector("[data-field=state-text]");
    if (text) text.textContent = word;
    return true;
  }

  lifecycle(event) {
    const state = STATE_AFTER[event.event];
    if (this.domainPage) {
      // The page's state, actions and facts are drawn again by htmx (static/js/lifecycle/domain_page.js).
      if (state) this.setState(event.uuid, state);
      return;
    }
    if (!this.rowList) return;
    if (this.rows.has(event.uuid)) {
      if (state) this.setState(event.uuid, state, event.detail);
      // Drawn again by the server: its actions fit the new state, its uptime starts; gone from the list when it no
      // longer matches it (undefined, with undefined domains hidden; or out of the state filtered by).
      this.fetchRow(event.uuid);
    } else if (event.event === "defined" || event.event === "started") {
      this.fetchRow(event.uuid);
    }
  }

  // One request per row at a time (a start sends several events): a row swapped while an older answer is on its
  // way would lose its graphs to the older swap. An event meanwhile asks once more when the answer is in.
  fetchRow(uuid) {
    if (!window.htmx) return;
    if (this.fetching.has(uuid)) {
      this.fetchAgain.add(uuid);
      return;
    }
    this.fetching.add(uuid);
    const params = new URLSearchParams(location.search);
    params.set("row", uuid);
    const shown = this.rowList.querySelector(`tr[data-uuid="${uuid}"]`);
    const target = shown || this.rowList.querySelector("[data-domain-rows]");
    window.htmx.ajax("GET", `${location.pathname}?${params}`, { target, swap: shown ? "outerHTML" : "beforeend" })
      .finally(() => {
        this.fetching.delete(uuid);
        if (this.fetchAgain.delete(uuid)) this.fetchRow(uuid);
      });
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
      const text = spec.text(stats, this.words.rates || {});
      if (graph.text) graph.text.textContent = text;
      if (graph.canvas) {
        const words = `${graph.canvas.dataset.label || spec.label}: ${text}`;
        graph.canvas.title = words;
        graph.canvas.setAttribute("aria-label", words);
      }
    }
  }

  tickUptimes() {
    const now = Date.now();
    for (const cell of document.querySelectorAll("[data-field=uptime][data-since]")) {
      const since = Date.parse(cell.dataset.since);
      const text = cell.querySelector("[data-field=uptime-text]");
      if (!text || Number.isNaN(since)) continue;
      text.textContent = formatUptime(Math.max(0, (now - since) / 1000));
    }
  }

  hostHealth(message) {
    const words = this.words.health || {};
    for (const place of document.querySelectorAll(`[data-live-host-health="${message.host}"]`)) {
      let badge = place.querySelector(".health");
      if (!badge) {
        badge = document.createElement("span");
        place.append(" ", badge);
      }
      badge.className = `health health-${message.state}`;
      const word = words[message.state] || message.state;
      if (this.domainPage && !words[message.state]) {
        badge.textContent = message.message ? `${message.state}: ${message.message}` : message.state;
      } else {
        badge.textContent = word;
        if (message.message) badge.title = message.message; else badge.removeAttribute("title");
      }
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
}

window.livePage = new LivePage();
