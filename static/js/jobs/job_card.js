// A domain page card that follows its jobs (Snapshots, Backups): while one runs, the card's body is re-read in
// place (GET data-body-url, the body alone) as the events socket tells of the job ("job" messages, see jobs.js),
// so it shows the progress and then the new state without a reload. A card: <section data-job-card
// data-body-url="..."><div data-card-body>...</div></section>; a job under way is an element with
// data-active-job="<its id>" inside the body.
import { listen } from "../events/socket.js";

// Progress messages come up to four times a second; the body is re-read at most this often meanwhile (a job's
// end is always shown at once).
const PROGRESS_EVERY_MS = 1000;
const ACTIVE = new Set(["queued", "running"]);

class JobCard {
  constructor(element) {
    this.element = element;
    this.holder = element.querySelector("[data-card-body]");
    this.lastRead = 0;
    this.reading = false;
    this.again = false;
    this.waitingForFocus = false;
    listen({
      // A job that ended while the socket was away (or before it first listened) sent its last message to nobody.
      open: () => { if (this.runningIds().size) this.refresh(); },
      message: (message) => { if (message.type === "job") this.told(message.job); },
    });
  }

  runningIds() {
    return new Set([...this.holder.querySelectorAll("[data-active-job]")].map((job) => Number(job.dataset.activeJob)));
  }

  told(job) {
    if (!this.runningIds().has(job.id)) return;
    if (!ACTIVE.has(job.state) || Date.now() - this.lastRead >= PROGRESS_EVERY_MS) this.refresh();
  }

  busy() {
    // Never swap the body from under someone filling the form.
    return this.holder.contains(document.activeElement) && document.activeElement !== document.body;
  }

  async refresh() {
    if (this.reading) {
      this.again = true; // one more read once this one is in: the job moved on meanwhile
      return;
    }
    if (this.busy()) {
      // The form keeps its focus; the body is read once the user leaves it.
      if (!this.waitingForFocus) {
        this.waitingForFocus = true;
        const left = (event) => {
          if (this.holder.contains(event.relatedTarget)) return; // from one field to the next: still filling
          this.holder.removeEventListener("focusout", left);
          this.waitingForFocus = false;
          this.refresh();
        };
        this.holder.addEventListener("focusout", left);
      }
      return;
    }
    this.reading = true;
    this.lastRead = Date.now();
    this.holder.dataset.refreshing = "";
    try {
      const answer = await fetch(this.element.dataset.bodyUrl, {headers: {"Accept": "text/html"}});
      if (answer.ok) this.holder.innerHTML = await answer.text();
    } finally {
      delete this.holder.dataset.refreshing;
      this.reading = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    }
  }
}

for (const card of document.querySelectorAll("[data-job-card]")) new JobCard(card);
