// The QEMU monitor page: one websocket (virtconsole.qemu.v1), history, completion, pretty results, events.
// Completion offers only the commands the user's grants allow (#monitor-sendable, from the command policy); the
// words come from the page's data-word-* attributes (i18n).
const section = document.getElementById("monitor");
const output = document.getElementById("monitor-output");
const status = document.getElementById("monitor-status");
const form = document.getElementById("monitor-form");
const input = document.getElementById("monitor-input");
const hmpBox = document.getElementById("monitor-hmp");
const agentBox = document.getElementById("monitor-agent");
const datalist = document.getElementById("monitor-commands");
const eventLog = document.getElementById("event-log");
const filterForm = document.getElementById("event-filter-form");
const filterInput = document.getElementById("event-filter");
const words = section.dataset;
const sendableData = document.getElementById("monitor-sendable");
const sendable = sendableData ? JSON.parse(sendableData.textContent) : { everything: true, commands: [], prefixes: [] };
const sendableNames = new Set(sendable.commands);

// Whether the command policy lets this user send a QMP command: what the server will check again.
function maySend(name) {
  return sendable.everything || sendableNames.has(name) || sendable.prefixes.some((prefix) => name.startsWith(prefix));
}

const HISTORY_KEY = "virtconsole.monitor.history";
const HISTORY_MAX = 200;
const EVENTS_MAX = 500;
let history = [];
try { history = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { history = []; }
let historyPos = history.length;
let commands = [];
let nextId = 1;
const pending = new Map();

function line(cls, text) {
  const el = document.createElement("pre");
  el.className = cls;
  el.textContent = text;
  output.appendChild(el);
  output.scrollTop = output.scrollHeight;
  return el;
}

function pretty(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

// A bare command name ("query-status") is sent as {"execute": "query-status"}.
function qmpText(text) {
  return /^[a-z][a-z0-9_-]*$/i.test(text) ? JSON.stringify({ execute: text }) : text;
}

const scheme = location.protocol === "https:" ? "wss://" : "ws://";
const socket = new WebSocket(scheme + location.host + section.dataset.wsPath, [section.dataset.subprotocol]);

const sendButton = document.getElementById("monitor-send");
socket.addEventListener("open", () => {
  status.textContent = words.wordConnected;
  input.disabled = sendButton.disabled = false;
});
socket.addEventListener("close", (event) => {
  status.textContent = `${words.wordDisconnected} ${event.code}`;
  input.disabled = sendButton.disabled = true;
});
socket.addEventListener("message", (event) => {
  let message;
  try { message = JSON.parse(event.data); } catch (e) { return; }
  switch (message.type) {
    case "hello":
      status.textContent = message.running ? words.wordQemu : words.wordNotRunning;
      break;
    case "schema":
      commands = (message.commands || []).filter(maySend);
      datalist.replaceChildren(...commands.map((name) => { const o = document.createElement("option"); o.value = name; return o; }));
      break;
    case "result": {
      pending.delete(message.id);
      line("monitor-result", pretty(message["return"]));
      if (message.generic_equivalent) {
        line("monitor-note text-body-secondary", `${words.wordCoreHas} ${message.generic_equivalent.api} (libvirt ${message.generic_equivalent.since}).`);
      }
      break;
    }
    case "error": {
      pending.delete(message.id);
      let text = message.message;
      if (message.permission) text += ` [${words.wordNeeds} ${message.permission}]`;
      line("monitor-error", text);
      break;
    }
    case "event": {
      const item = document.createElement("li");
      const when = new Date(message.timestamp * 1000).toLocaleTimeString();
      item.textContent = when + "  " + message.event + (message.data ? "  " + JSON.stringify(message.data) : "");
      eventLog.prepend(item);
      while (eventLog.children.length > EVENTS_MAX) eventLog.lastChild.remove();
      break;
    }
    case "filter":
      filterInput.value = (message.events || []).join(" ");
      break;
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text || socket.readyState !== WebSocket.OPEN) return;
  const agent = Boolean(agentBox && agentBox.checked);
  const hmp = hmpBox.checked && !agent;
  const id = nextId++;
  pending.set(id, text);
  line("monitor-command", (agent ? "(agent) " : hmp ? "(hmp) " : "(qmp) ") + text);
  socket.send(JSON.stringify({ type: "command", id: id, command: hmp ? text : qmpText(text), hmp: hmp, agent: agent }));
  if (history[history.length - 1] !== text) history.push(text);
  history = history.slice(-HISTORY_MAX);
  try { localStorage.setItem(HISTORY_KEY, JSON.stringify(history)); } catch (e) { /* private mode: memory only */ }
  historyPos = history.length;
  input.value = "";
});

input.addEventListener("keydown", (event) => {
  if (event.key === "ArrowUp" && historyPos > 0) {
    historyPos -= 1;
    input.value = history[historyPos];
    event.preventDefault();
  } else if (event.key === "ArrowDown") {
    historyPos = Math.min(history.length, historyPos + 1);
    input.value = history[historyPos] || "";
    event.preventDefault();
  } else if (event.key === "Tab" && !event.shiftKey && !hmpBox.checked && !(agentBox && agentBox.checked) && input.value) {
    const prefix = input.value.replace(/^\{"execute":\s*"/, "");
    const matches = commands.filter((name) => name.startsWith(prefix));
    if (matches.length === 1 && input.value !== matches[0]) input.value = matches[0];
    else if (matches.length > 1) line("monitor-note text-body-secondary", matches.join("  "));
    else return; // nothing to complete: Tab moves on, so the keyboard never gets stuck here
    event.preventDefault();
  }
});

filterForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const names = filterInput.value.split(/\s+/).filter(Boolean);
  socket.send(JSON.stringify({ type: "filter", events: names }));
});
