// The create form shows the fields the chosen forward mode takes; a hidden fieldset is disabled, so it is not sent.
const select = document.querySelector("select[name=forward]");

function show() {
  const mode = select.value;
  for (const element of document.querySelectorAll("[data-modes]")) {
    const shown = element.dataset.modes.split(" ").includes(mode);
    element.hidden = !shown;
    if (element.tagName === "FIELDSET") element.disabled = !shown;
  }
}

if (select) {
  select.addEventListener("change", show);
  show();
}
