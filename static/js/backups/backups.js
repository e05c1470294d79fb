// The domain page's Backups card: while a backup job of the domain runs, its body is re-read in place
// (GET .../backups/) until the job is over, so the list shows the new state without a reload.
const card = document.querySelector(".backups-card");
const POLL_MS = 1000;
const POLLS = 1800; // half an hour: a backup or restore of a big disk takes a while

class BackupsCard {
  constructor(element) {
    this.element = element;
    this.holder = element.querySelector("[data-backups-holder]");
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
      const answer = await fetch(this.element.dataset.backupsUrl, {headers: {"Accept": "text/html"}});
      if (answer.ok) this.holder.innerHTML = await answer.text();
    } finally {
      delete this.holder.dataset.refreshing;
      this.schedule();
    }
  }
}

if (card) new BackupsCard(card);
