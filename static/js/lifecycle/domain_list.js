// The overview's domain list: selecting rows, and the bulk actions' confirmation listing what will happen to which
// domain. The words come from the bulk bar's data-attributes (the template's translations); the server checks and
// does each domain again (domains/lifecycle/bulk.py): this only tells the user beforehand what it will do.

const list = document.getElementById("domain-list");

function bar() {
  return list.querySelector("[data-bulk-bar]");
}

function boxes() {
  return [...list.querySelectorAll("[data-select-row]")];
}

function selectedRows() {
  return boxes().filter((box) => box.checked).map((box) => box.closest("tr[data-uuid]")).filter(Boolean);
}

function words(rowList) {
  return (rowList || "").split(" ").filter(Boolean);
}

// What the action will do to each selected row, in the same terms as the server: done, or skipped and why.
function plan(action, label) {
  const place = bar();
  return selectedRows().map((row) => {
    const name = row.dataset.name;
    const state = row.querySelector("[data-field=state]")?.textContent.trim() || row.dataset.state;
    if (words(row.dataset.actions).includes(action)) return `${name}: ${label}`;
    if (!words(row.dataset.allowed).includes(action)) return `${name}: ${place.dataset.refusedWord}`;
    return `${name}: ${place.dataset.skipWord} (${state})`;
  });
}

function refresh() {
  const place = bar();
  if (!place) return;
  const chosen = selectedRows();
  const count = place.querySelector("[data-selected-count]");
  count.textContent = chosen.length ? count.dataset.some.replace("%(count)s", chosen.length) : count.dataset.none;
  for (const button of place.querySelectorAll("[data-bulk-action]")) button.disabled = chosen.length === 0;
  const all = list.querySelector("[data-select-all]");
  if (all) {
    const total = boxes().length;
    all.checked = total > 0 && chosen.length === total;
    all.indeterminate = chosen.length > 0 && chosen.length < total;
  }
}

if (list) {
  list.addEventListener("change", (event) => {
    if (event.target.matches("[data-select-all]")) {
      for (const box of boxes()) box.checked = event.target.checked;
    }
    refresh();
  });
  // Before htmx asks the confirmation dialog (htmx:confirm, feedback.js): the question and the list for this click.
  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-bulk-action]");
    if (!button) return;
    const place = bar();
    const label = button.dataset.label;
    const details = plan(button.dataset.bulkAction, label);
    button.dataset.confirm = place.dataset.question.replace("%(action)s", label).replace("%(count)s", details.length);
    button.dataset.confirmDetails = JSON.stringify(details);
  }, true);
  // Done: the states change live; the selection is cleared for the next one.
  list.addEventListener("htmx:afterRequest", (event) => {
    if (!event.detail.elt.matches?.("[data-bulk-action]") || !event.detail.successful) return;
    for (const box of boxes()) box.checked = false;
    refresh();
  });
  document.body.addEventListener("htmx:afterSettle", refresh);
  refresh();
}
