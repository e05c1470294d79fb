// Feedback every page shares: toasts for results, and one dialog that asks before a destructive form is sent.
//
// toast(text, kind): kind is success, info, warning or error; failures stay until closed, the rest for a few
//   seconds. A server answer to an htmx request can raise one with the header HX-Trigger: {"vc-toast": {...}}.
// <form data-confirm="question" data-confirm-details='["what will happen", ...]'>: asks in the dialog first;
//   a submit button may carry its own data-confirm. The Content-Security-Policy forbids onsubmit attributes and
//   window.confirm cannot list what will happen, hence this.

const STAYS = new Set(["error", "warning"]);

function container() {
  return document.querySelector("[data-toasts]");
}

export function toast(text, kind = "success") {
  const place = container();
  if (!place) return null;
  const box = document.createElement("div");
  box.className = `toast msg-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  const row = document.createElement("div");
  row.className = "d-flex";
  const body = document.createElement("div");
  body.className = "toast-body";
  body.textContent = text;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "btn-close me-2 m-auto";
  close.dataset.bsDismiss = "toast";
  close.setAttribute("aria-label", place.dataset.closeLabel); // in the page's language (base.html)
  row.append(body, close);
  box.append(row);
  place.append(box);
  show(box, !STAYS.has(kind));
  return box;
}

function show(box, autohide) {
  const shown = window.bootstrap.Toast.getOrCreateInstance(box, { autohide, delay: 6000 });
  box.addEventListener("hidden.bs.toast", () => box.remove());
  shown.show();
}

// The server's messages arrive already shown (readable without JavaScript); successes fade after a while.
for (const box of document.querySelectorAll("[data-toasts] .toast")) {
  show(box, box.dataset.bsAutohide === "true");
}

document.body.addEventListener("vc-toast", (event) => toast(event.detail.text, event.detail.kind));

// --- the confirmation dialog ---

const dialog = document.getElementById("confirm-dialog");
let pending = null; // what to do once the user accepts

function ask(question, details, accept) {
  dialog.querySelector("[data-confirm-question]").textContent = question;
  const list = dialog.querySelector("[data-confirm-details]");
  list.replaceChildren(...details.map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  list.hidden = details.length === 0;
  pending = accept;
  window.bootstrap.Modal.getOrCreateInstance(dialog).show();
}

function detailsOf(element) {
  const raw = element?.dataset?.confirmDetails;
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.map(String) : [String(parsed)];
  } catch {
    return [raw];
  }
}

if (dialog) {
  dialog.querySelector("[data-confirm-accept]").addEventListener("click", () => {
    const accept = pending;
    pending = null;
    window.bootstrap.Modal.getInstance(dialog).hide();
    accept?.();
  });
  dialog.addEventListener("shown.bs.modal", () => dialog.querySelector("[data-confirm-accept]").focus());

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const submitter = event.submitter;
    const asker = submitter?.dataset?.confirm ? submitter : form;
    const question = asker.dataset?.confirm;
    if (!question || form.dataset.confirmed === "yes") return;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-put") || form.hasAttribute("hx-delete")) return; // htmx:confirm asks
    event.preventDefault();
    event.stopPropagation(); // the page's own submit handlers run once the user has said yes
    ask(question, detailsOf(asker), () => {
      form.dataset.confirmed = "yes";
      form.requestSubmit(submitter || undefined);
      delete form.dataset.confirmed;
    });
  }, true);

  // Requests htmx makes from an element with data-confirm wait for the same dialog.
  document.addEventListener("htmx:confirm", (event) => {
    const element = event.detail.elt;
    const asker = element.closest("[data-confirm]");
    if (!asker) return;
    event.preventDefault();
    ask(asker.dataset.confirm, detailsOf(asker), () => event.detail.issueRequest(true));
  });
}
