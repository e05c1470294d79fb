// The create form shows the source fields and target path the chosen pool type needs (from the host's capabilities).
const select = document.querySelector("select[name=type]");

function show() {
  const option = select.selectedOptions[0];
  if (!option) return;
  const fields = new Set((option.dataset.source || "").split(",").filter(Boolean));
  for (const label of document.querySelectorAll("[data-source-field]")) {
    label.hidden = !fields.has(label.dataset.sourceField);
  }
  document.querySelector("[data-needs=target]").hidden = option.dataset.target !== "1";
}

if (select) {
  select.addEventListener("change", show);
  show();
}
