// ISO library upload: make the volume, then PUT the file in one streamed request (the browser reads it from
// disk as it goes); after a failure, resume from the offset the server reports. One request, not chunks: the
// server hashes the whole volume, and a resumed request re-reads what is already there.
const form = document.querySelector("[data-iso-upload]");

function csrfToken() {
  return form.querySelector("[name=csrfmiddlewaretoken]").value;
}

function say(text) {
  document.querySelector("[data-iso-status]").textContent = text;
}

function showProgress(done, total) {
  const bar = document.querySelector("[data-iso-progress]");
  bar.hidden = false;
  bar.max = total;
  bar.value = done;
  say(`${Math.floor((100 * done) / total)} %`);
}

// XMLHttpRequest, not fetch(): only it reports how much of a request body has gone out.
function put(url, file, offset) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("PUT", url);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("X-CSRFToken", csrfToken());
    if (offset > 0) {
      request.setRequestHeader("Content-Range", `bytes ${offset}-${file.size - 1}/${file.size}`);
    }
    request.upload.onprogress = (event) => showProgress(offset + event.loaded, file.size);
    request.onload = () => resolve({ status: request.status, body: JSON.parse(request.responseText || "{}") });
    request.onerror = () => resolve({ status: 0, body: {} });
    request.send(offset > 0 ? file.slice(offset) : file);
  });
}

async function resumeOffset(url, file) {
  // A PUT at an offset past what was written answers 409 naming the offset to use.
  const probe = await fetch(url, {
    method: "PUT",
    headers: { "X-CSRFToken": csrfToken(), "Content-Range": `bytes ${file.size - 1}-${file.size - 1}/${file.size}` },
    body: file.slice(file.size - 1),
  });
  const body = await probe.json();
  if (probe.status === 200) return file.size; // everything but the last byte had arrived: now all of it has
  return probe.status === 409 && body.fields && Number.isInteger(body.fields.offset) ? body.fields.offset : null;
}

async function upload(event) {
  event.preventDefault();
  const file = form.querySelector("[data-iso-file]").files[0];
  if (!file) return;
  const data = new FormData();
  data.append("pool", form.querySelector("[data-iso-pool]").value);
  data.append("name", file.name);
  data.append("size", String(file.size));
  say("Creating the volume…");
  const created = await fetch(form.dataset.createUrl, {
    method: "POST", body: data, headers: { "X-CSRFToken": csrfToken() },
  });
  const made = await created.json();
  if (!created.ok) {
    say(made.message);
    return;
  }
  let offset = 0;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const answer = await put(made.content_url, file, offset);
    if (answer.status === 200) {
      showProgress(file.size, file.size);
      say(`100 % — uploaded, SHA-256 ${answer.body.sha256}`);
      return;
    }
    if (answer.status !== 0 && answer.status !== 409) {
      say(answer.body.message || `The upload failed (HTTP ${answer.status}).`);
      return;
    }
    const next = await resumeOffset(made.content_url, file);
    if (next === null) {
      say("The upload stopped and cannot resume: reload the page and try again.");
      return;
    }
    if (next === file.size) {
      showProgress(file.size, file.size);
      say("100 % — uploaded");
      return;
    }
    offset = next;
    say(`Connection lost; resuming from byte ${offset}…`);
  }
  say("The upload kept failing: check the connection and try again.");
}

if (form) form.addEventListener("submit", upload);
