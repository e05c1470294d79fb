// Jobs, live: the top bar's count of running jobs on every page, and the rows of the jobs page,
// both from "job" messages on the page's events socket (./events/socket.js; docs/websocket-protocol.md).
import { listen } from "../events/socket.js";

const ACTIVE = new Set(["queued", "running"]);
const REREAD_SECONDS = 5;

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
  const amount = unit === "bytes" ? "" : ` ${unitWord(unit)}`;
  let text = total == null ? formatAmount(done, unit) : `${formatAmount(done, unit)} / ${formatAmount(total, unit)}`;
  text += amount;
  if (job.rate != null && ACTIVE.has(job.state)) text += ` · ${formatAmount(Math.round(job.rate), unit)}/s`;
  return text;
}

// The page's (translated) words for a job's state: <template data-job-states> of the jobs page.
const stateWords = document.querySelector("template[data-job-states]")?.content;

function stateWord(state) {
  return stateWords?.querySelector(`[data-state="${state}"]`)?.textContent.trim() || state;
}

function unitWord(unit) {
  return stateWords?.querySelector(`[data-unit="${unit}"]`)?.textContent.trim() || unit;
}

// A Bootstrap progress bar: done of total; striped while the amount of work is unknown; coloured once ended.
function showProgress(bar, job) {
  const fill = bar.querySelector(".progress-bar") || bar.firstElementChild;
  const { done, total } = job.progress;
  let width = 100;
  if (total != null) {
    bar.setAttribute("aria-valuemax", String(total));
    bar.setAttribute("aria-valuenow", String(done));
    if (job.state !== "succeeded") width = total ? Math.min(100, Math.round((100 * done) / total)) : 0;
  } else {
    bar.removeAttribute("aria-valuenow"); // indeterminate: the amount of work is not known
  }
  const ended = { succeeded: "bg-success", failed: "bg-danger", interrupted: "bg-danger", cancelled: "bg-secondary" };
  fill.className = "progress-bar";
  if (ended[job.state]) fill.classList.add(ended[job.state]);
  else if (total == null) fill.classList.add("progress-bar-striped", "progress-bar-animated");
  fill.style.width = `${width}%`;
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
    // And again every few seconds while any row is shown running: a job's last message can still miss the page
    // (one ended by another process while the bus lost messages), and a page must not show a job running for
    // ever. (The clone page's test once saw the end announced and the row left running: the keeper's progress
    // message had followed the end's; domains/jobs/progress.py write_progress no longer sends one after the
    // end.) Rows shown ended cost nothing.
    setInterval(() => this.catchUp(), REREAD_SECONDS * 1000);
  }

  // A job that ended between the page's rendering and the socket's opening sent its last message to nobody:
  // the rows still shown running are read through the API as soon as the socket listens, and every
  // REREAD_SECONDS after.
  async catchUp() {
    if (!this.table) return;
    const ids = [...this.table.querySelectorAll("tr[data-job]")]
      .filter((row) => ACTIVE.has(row.querySelector("[data-job-state]")?.dataset.jobState))
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
    state.className = `job-state state state-${job.state}`;
    state.dataset.jobState = job.state;
    state.textContent = stateWord(job.state);
    const cell = state.parentElement;
    cell.querySelector("[data-job-error]")?.remove();
    if (job.error) {
      const error = document.createElement("small");
      error.className = "d-block text-danger-emphasis text-break";
      error.dataset.jobError = "";
      error.textContent = job.error;
      cell.append(error);
    }
    showProgress(row.querySelector("[data-job-progress]"), job);
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
    // As the page's rows (the breaks_after_slashes filter): a narrow column breaks the label after its slashes.
    const target = row.children[2];
    target.className = "job-target";
    target.textContent = "";
    job.target.label.split("/").forEach((part, index) => {
      if (index) target.append("/", document.createElement("wbr"));
      target.append(part);
    });
    const state = document.createElement("span");
    state.dataset.jobState = job.state;
    row.children[4].append(state);
    const bar = document.createElement("div");
    bar.className = "progress";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", `#${job.id}`);
    bar.setAttribute("aria-valuemin", "0");
    bar.dataset.jobProgress = "";
    bar.append(document.createElement("div"));
    const text = document.createElement("small");
    text.className = "text-body-secondary text-nowrap";
    text.dataset.jobProgressText = "";
    row.children[5].append(bar, text);
    for (const [index, hidden] of [[1, "d-md-table-cell"], [3, "d-lg-table-cell"], [6, "d-md-table-cell"]]) {
      row.children[index].classList.add("d-none", hidden); // the columns a phone leaves out, as the page's rows
    }
    // Cancelling needs the page's CSRF form; a reload offers it where the user may cancel.
    return row;
  }
}

const link = document.querySelector("[data-jobs-link]");
if (link) new JobsLive(link);
