// The OS field searches osinfo-db (GET /api/v1/os-variants) as the user types; picking one fills in its
// recommended vCPUs, memory and disk size.
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
  said.textContent = `${variant.name}: recommended ${sizes.vcpus || 1} vCPU, ${sizes.memory_mib || "?"} MiB, ` +
    `${sizes.disk_gib || "?"} GiB${variant.firmware.includes("efi") ? "; wants UEFI" : ""}.`;
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
