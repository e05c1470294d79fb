// The ISO library page: its upload form sends the chosen file into the chosen pool, then shows the library's
// table as the server renders it now, so the new medium shows without a reload.
import { reportInto, uploadMedium } from "./iso_upload.js";

const form = document.querySelector("[data-iso-upload]");

async function refreshLibrary() {
  const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } }).catch(() => null);
  if (!answer || !answer.ok) return;
  const page = new DOMParser().parseFromString(await answer.text(), "text/html");
  const fresh = page.querySelector("[data-iso-table] tbody");
  if (fresh) document.querySelector("[data-iso-table] tbody").replaceWith(document.importNode(fresh, true));
}

async function upload(event) {
  event.preventDefault();
  const file = form.querySelector("[data-iso-file]").files[0];
  if (!file) return;
  const report = reportInto(form.parentElement);
  form.querySelector("[data-iso-file]").classList.remove("is-invalid");
  try {
    await uploadMedium({
      createUrl: form.dataset.createUrl, pool: form.querySelector("[data-iso-pool]").value, file,
      csrf: form.querySelector("[name=csrfmiddlewaretoken]").value, report,
    });
    await refreshLibrary();
  } catch (error) {
    report.failed(error.message);
    const field = form.querySelector("[data-iso-file]");
    field.classList.add("is-invalid");
    form.querySelector("[data-iso-error]").textContent = error.message;
    field.focus();
  }
}

if (form) form.addEventListener("submit", upload);
