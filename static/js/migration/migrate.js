// The domain page's Migrate card: starts a migration through the API, follows its job (progress from libvirt's
// job statistics, pushed on the events socket as "job" messages), cancels it or switches it to post-copy, and
// says where the domain went.
import { listen } from "../events/socket.js";

const card = document.querySelector(".migrate-card");
const MiB = 1024 * 1024;
// The words come from the page (templates/migration/_card.html, in the user's language): {name} is filled in here.
const WORDS = JSON.parse(document.getElementById("migrate-words")?.textContent || "{}");

function say(key, values = {}) {
  return (WORDS[key] || key).replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function csrfToken() {
  const field = card.querySelector("input[name=csrfmiddlewaretoken]");
  return field ? field.value : (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
}

async function api(method, path, body) {
  const answer = await fetch(`/api/v1/${path}`, {
    method, credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken()},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(data.message || data.detail || say("answered", { status: answer.status }));
  return data;
}

function mib(bytes) {
  return bytes === undefined || bytes === null ? "?" : `${(bytes / MiB).toFixed(1)} MiB`;
}

class MigrateCard {
  constructor(element) {
    this.element = element;
    this.form = element.querySelector("[data-migrate-form]");
    this.status = element.querySelector("[data-migrate-status]");
    this.words = element.querySelector("[data-migrate-words]");
    this.progress = element.querySelector("[data-migrate-progress]");
    this.detail = element.querySelector("[data-migrate-detail]");
    this.cancel = element.querySelector("[data-migrate-cancel]");
    this.postcopy = element.querySelector("[data-migrate-postcopy]");
    this.moved = element.querySelector("[data-migrate-moved]");
    if (this.form) this.form.addEventListener("submit", (event) => { event.preventDefault(); this.start(); });
    this.cancel.addEventListener("click", () => this.act("cancel"));
    this.postcopy.addEventListener("click", () => this.act("postcopy"));
    listen({
      // Messages sent while the socket was away (a reconnect) reached nobody: the job is read once more.
      open: () => { if (this.following) this.read(); },
      message: (message) => {
        if (message.type === "job" && this.job !== undefined && message.job.id === this.job) this.take(message.job);
      },
    });
    if (element.dataset.job) this.follow(Number(element.dataset.job), false);
  }

  request() {
    const field = (name) => this.form.elements[name];
    const body = {destination: Number(field("destination").value), copy_storage: field("copy_storage").value};
    for (const name of ["persist", "undefine_source", "unsafe", "postcopy", "auto_converge", "compressed",
                        "peer_to_peer", "tunnelled", "tls"]) body[name] = field(name).checked;
    for (const name of ["bandwidth", "max_downtime"]) if (field(name).value) body[name] = Number(field(name).value);
    return body;
  }

  async start() {
    const body = this.request();
    this.show(say("starting"));
    try {
      const job = await api("POST", `domains/${this.element.dataset.domain}/migrate`, body);
      this.follow(job.id, body.postcopy);
    } catch (error) {
      this.show(error.message, true);
    }
  }

  show(words, over = false) {
    this.status.hidden = false;
    this.words.textContent = words;
    this.cancel.hidden = over;
    if (this.form) this.form.querySelector("button[type=submit]").disabled = !over;
  }

  async act(what) {
    try {
      await api("POST", `jobs/${this.job}/${what}`);
    } catch (error) {
      this.words.textContent = error.message;
    }
  }

  follow(jobId, postcopy) {
    this.job = jobId;
    this.following = true;
    this.postcopy.hidden = !postcopy;
    this.read(); // the socket tells what comes next; this reads what came before
  }

  async read() {
    try {
      this.take(await api("GET", `jobs/${this.job}`));
    } catch (error) {
      this.show(error.message, true);
    }
  }

  hostName(id) {
    const option = this.form && [...this.form.elements.destination.options].find((item) => Number(item.value) === id);
    return option ? option.textContent.replace(/ \(.*\)$/, "") : String(id);
  }

  render(job) {
    const detail = job.detail || {};
    const total = detail.data_total || job.progress.total || 0;
    const done = detail.data_processed || job.progress.done || 0;
    this.progress.max = total || 1;
    this.progress.value = done;
    const facts = [[say("processed"), mib(detail.data_processed)], [say("remaining"), mib(detail.data_remaining)],
                   [say("memory_remaining"), mib(detail.memory_remaining)],
                   [say("disk_remaining"), mib(detail.disk_remaining)],
                   [say("dirty_rate"), say("pages_per_second", { count: detail.memory_dirty_rate ?? "?" })],
                   [say("expected_downtime"), say("milliseconds", { count: detail.downtime ?? "?" })]];
    this.detail.replaceChildren(...facts.flatMap(([name, value]) => {
      const dt = document.createElement("dt");
      dt.className = "col-6 col-sm-4";
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.className = "col-6 col-sm-8";
      dd.textContent = value;
      return [dt, dd];
    }));
  }

  take(job) {
    if (!this.following) return; // a message or answer that arrives after the end changes nothing
    this.render(job);
    if (job.state === "queued" || job.state === "running") {
      this.show(say(job.cancel_requested ? "cancelling" : "migrating"));
      return;
    }
    this.following = false;
    this.postcopy.hidden = true;
    if (job.state === "succeeded") {
      // libvirt's statistics of the completed job (the whole move, the real downtime), not the last sample taken
      // while it ran.
      const completed = job.result.statistics || {};
      if (Object.keys(completed).length) this.render({...job, detail: completed});
      this.progress.value = this.progress.max;
      const downtime = job.result.downtime_ms == null ? "" : say("downtime", { ms: job.result.downtime_ms });
      this.show(say("moved", { host: this.hostName(job.result.destination) }) + downtime, true);
      this.moved.hidden = false;
    } else if (job.state === "cancelled") {
      this.show(say("cancelled"), true);
    } else {
      this.show(say(job.state === "interrupted" ? "interrupted" : "failed", { error: job.error }), true);
    }
  }
}

if (card) new MigrateCard(card);
