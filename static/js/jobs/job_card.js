// A domain page card that follows its jobs (Snapshots, Backups): while one runs, the card's body is re-read
// in place (GET data-body-url, the body alone) until the job is over, so it shows the new state without a
// reload. A card: <section data-job-card data-body-url="..."><div data-card-body>...</div></section>; a job
// under way is an element with data-active-job inside the body.
const POLL_MS = 1000;
const POLLS = 1800; // half an hour: a block commit, backup or restore of a big disk takes a while

class JobCard {
  constructor(element) {
    this.element = element;
    this.holder = element.querySelector("[data-card-body]");
    this.polls = 0;
    this.timer = null;
    this.schedule();
  }

  running() {
    return this.holder.querySelector("[data-active-job]") !== null;
  }

  busy() {
    // Never swap the body from under someone filling the form.
    return this.holder.contains(document.activeElement) && document.activeElement !== document.body;
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.running() && this.polls < POLLS) {
      this.timer = setTimeout(() => { this.polls += 1; this.refresh(); }, POLL_MS);
    }
  }

  async refresh() {
    if (this.busy()) {
      this.schedule();
      return;
    }
    this.holder.dataset.refreshing = "";
    try {
      const answer = await fetch(this.element.dataset.bodyUrl, {headers: {"Accept": "text/html"}});
      if (answer.ok) this.holder.innerHTML = await answer.text();
    } finally {
      delete this.holder.dataset.refreshing;
      this.schedule();
    }
  }
}

for (const card of document.querySelectorAll("[data-job-card]")) new JobCard(card);
