// The install form. The OS field searches osinfo-db (GET /api/v1/os-variants) as the user types; picking one fills
// in its recommended vCPUs, memory and disk size. An ISO chosen to upload goes into the library before the form.
// The words it says come from the page (data-recommended* of [data-os-said], the uploader's data-upload-words).
import { reportInto, uploadMedium } from "../storage/iso_upload.js";

const input = document.querySelector("input[data-os-search]");
const list = document.getElementById("os-variants");
const said = document.querySelector("[data-os-said]");
const found = new Map();
let asked = 0;

function fill(variant) {
  const sizes = variant.recommended;
  const set = (name, value) => {
    const field = document.querySelector(`input[name=${name}]`);
    if (field && value) field.value = value;
  };
  set("vcpus", sizes.vcpus);
  set("memory_mib", sizes.memory_mib);
  set("disk_gib", sizes.disk_gib);
  const values = { os: variant.name, vcpus: sizes.vcpus || 1, memory: sizes.memory_mib || "?", disk: sizes.disk_gib || "?" };
  const words = variant.firmware.includes("efi") ? said.dataset.recommendedEfi : said.dataset.recommended;
  said.textContent = words.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

async function search() {
  const text = input.value.trim();
  if (found.has(text)) {
    fill(found.get(text));
    return;
  }
  const mine = ++asked;
  const answer = await fetch(`${input.dataset.osSearch}?limit=20&search=${encodeURIComponent(text)}`,
                             {credentials: "same-origin"});
  if (!answer.ok || mine !== asked) return;
  list.replaceChildren();
  for (const variant of (await answer.json()).results) {
    found.set(variant.short_id, variant);
    const option = document.createElement("option");
    option.value = variant.short_id;
    option.textContent = variant.name;
    list.append(option);
  }
  if (found.has(text)) fill(found.get(text));
}

if (input) input.addEventListener("input", search);

// "Or upload one now": the chosen file goes into the host's ISO library first (the ISO library page's own
// upload), becomes the selected medium, and only then is the form sent.
const createForm = document.querySelector("form.install-create");
const uploader = document.querySelector("[data-install-upload]");

async function uploadThenCreate(event) {
  const file = uploader.querySelector("[data-iso-file]").files[0];
  if (!file || createForm.querySelector("input[name=kind]:checked")?.value !== "iso") return;
  event.preventDefault();
  const button = createForm.querySelector("button[type=submit]");
  button.disabled = true;
  const report = reportInto(uploader);
  try {
    const medium = await uploadMedium({
      createUrl: uploader.dataset.createUrl, pool: uploader.querySelector("[data-iso-pool]").value, file,
      csrf: createForm.querySelector("[name=csrfmiddlewaretoken]").value, report,
    });
    const select = createForm.querySelector("select[data-medium]");
    select.append(new Option(medium, medium, true, true));
    uploader.querySelector("[data-iso-file]").value = "";
    report.say(report.word("then-create", { medium }));
    createForm.submit();
  } catch (error) {
    report.say(report.word("nothing-created", { error: error.message }));
    button.disabled = false;
  }
}

if (createForm && uploader) createForm.addEventListener("submit", uploadThenCreate);
