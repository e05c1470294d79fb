// Jobs, live: the top bar's count of running jobs on every page, and the rows of the jobs page,
// both from "job" messages on the page's events socket (./events/socket.js; docs/websocket-protocol.md).
import { listen } from "../events/socket.js";

const ACTIVE = new Set(["queued", "running"]);

function formatAmount(value, unit) {
  if (value == null) return "?";
  if (unit !== "bytes") return `${value}`;
  const steps = ["B", "KiB", "MiB", "GiB", "TiB"];
  let amount = value;
  let step = 0;
  while (amount >= 1024 && step < steps.length - 1) {
    amount /= 1024;
    step += 1;
  }
  return `${amount.toFixed(step ? 1 : 0)} ${steps[step]}`;
}

function progressText(job) {
  const { done, total, unit } = job.progress;
  const amount = unit === "bytes" ? "" : ` ${unit}`;
  let text = total == null ? formatAmount(done, unit) : `${formatAmount(done, unit)} / ${formatAmount(total, unit)}`;
  text += amount;
  if (job.rate != null && ACTIVE.has(job.state)) text += ` · ${formatAmount(Math.round(job.rate), unit)}/s`;
  return text;
}

class JobsLive {
  constructor(link) {
    this.link = link;
    this.count = link.querySelector("[data-jobs-count]");
    const ids = (link.dataset.runningJobs || "").split(",").filter(Boolean).map(Number);
    this.running = new Set(ids);
    this.table = document.querySelector("[data-jobs-table] tbody");
    listen({
      open: () => this.catchUp(),
      message: (message) => { if (message.type === "job") this.update(message.job); },
    });
  }

  // A job that ended between the page's rendering and the socket's opening sent its last message to nobody:
  // the rows still shown running are read once through the API as soon as the socket listens.
  async catchUp() {
    if (!this.table) return;
    const ids = [...this.table.querySelectorAll("tr[data-job]")]
      .filter((row) => ACTIVE.has(row.querySelector("[data-job-state]")?.textContent.trim().split(/\s/)[0]))
      .map((row) => row.dataset.job);
    for (const id of ids) {
      try {
        const answer = await fetch(`/api/v1/jobs/${id}`, {headers: {"Accept": "application/json"}});
        if (answer.ok) this.update(await answer.json());
      } catch {
        // The next message on the socket, or a reload, shows it.
      }
    }
  }

  update(job) {
    if (ACTIVE.has(job.state)) this.running.add(job.id);
    else this.running.delete(job.id);
    this.count.textContent = this.running.size ? `(${this.running.size})` : "";
    if (this.table) this.updateRow(job);
  }

  updateRow(job) {
    let row = this.table.querySelector(`tr[data-job="${job.id}"]`);
    if (!row) {
      if (!ACTIVE.has(job.state)) return; // an old job the page never listed: a reload shows it
      this.table.querySelector("[data-no-jobs]")?.remove();
      row = this.newRow(job);
      this.table.prepend(row);
    }
    const state = row.querySelector("[data-job-state]");
    state.className = `job-state state-${job.state}`;
    state.textContent = job.state;
    if (job.error) {
      const error = document.createElement("small");
      error.className = "error";
      error.textContent = job.error;
      state.append(document.createElement("br"), error);
    }
    const bar = row.querySelector("[data-job-progress]");
    if (job.progress.total != null) {
      bar.max = job.progress.total;
      bar.value = job.progress.done;
    } else if (job.state === "succeeded") {
      bar.max = 1;
      bar.value = 1;
    } else {
      bar.removeAttribute("value"); // indeterminate: the amount of work is not known
    }
    row.querySelector("[data-job-progress-text]").textContent = progressText(job);
    if (!ACTIVE.has(job.state) || job.cancel_requested) {
      const form = row.querySelector("[data-job-cancel]");
      if (form) form.remove();
    }
  }

  newRow(job) {
    const row = document.createElement("tr");
    row.dataset.job = job.id;
    const cells = [String(job.id), job.kind, job.target.label, job.user, "", "", job.started ? job.started.replace("T", " ").slice(0, 19) : "", ""];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    row.children[1].innerHTML = "";
    const code = document.createElement("code");
    code.textContent = job.kind;
    row.children[1].append(code);
    row.children[4].dataset.jobState = "";
    const bar = document.createElement("progress");
    bar.dataset.jobProgress = "";
    const text = document.createElement("small");
    text.dataset.jobProgressText = "";
    row.children[5].append(bar, " ", text);
    // Cancelling needs the page's CSRF form; a reload offers it where the user may cancel.
    return row;
  }
}

const link = document.querySelector("[data-jobs-link]");
if (link) new JobsLive(link);
