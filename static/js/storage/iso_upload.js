// ISO library upload: make the volume, then PUT the file in parts of at most PART bytes, one after another
// (the browser reads each slice from disk as it goes). After a failed part, ask the server where the upload
// stands (the job's progress, or the offset a 409 names) and go on from there, never from the start.
const form = document.querySelector("[data-iso-upload]");
// The server's largest body (uploads.PART_LIMIT, docs/api.md): a larger one is refused unread.
const PART = 8 * 1024 * 1024;
const ATTEMPTS = 5;

function csrfToken() {
  return form.querySelector("[name=csrfmiddlewaretoken]").value;
}

function say(text) {
  document.querySelector("[data-iso-status]").textContent = text;
}

function showProgress(done, total) {
  const bar = document.querySelector("[data-iso-progress]");
  bar.hidden = false;
  bar.max = Math.max(total, 1);
  bar.value = done;
  say(`${total ? Math.floor((100 * done) / total) : 100} %`);
}

async function answerOf(request) {
  try {
    const response = await request;
    return { status: response.status, body: await response.json().catch(() => ({})) };
  } catch (error) {
    return { status: 0, body: {} }; // the connection failed: nobody answered
  }
}

function sendPart(url, file, first) {
  const headers = { "Content-Type": "application/octet-stream", "X-CSRFToken": csrfToken() };
  if (file.size === 0) return answerOf(fetch(url, { method: "PUT", headers, body: file }));
  const last = Math.min(first + PART, file.size) - 1;
  headers["Content-Range"] = `bytes ${first}-${last}/${file.size}`;
  return answerOf(fetch(url, { method: "PUT", headers, body: file.slice(first, last + 1) }));
}

// Where the upload stands by its job: null when it cannot go on (failed, cancelled, not visible).
async function whereItStands(jobId) {
  if (jobId === null) return 0; // no part was taken yet
  const answer = await answerOf(fetch(`/api/v1/jobs/${jobId}`, { headers: { Accept: "application/json" } }));
  const job = answer.body;
  if (answer.status !== 200 || !["running", "interrupted", "succeeded"].includes(job.state)) return null;
  return job.progress.done;
}

function pause(seconds) {
  return new Promise((resolve) => { setTimeout(resolve, seconds * 1000); });
}

async function sendFile(url, file) {
  let offset = 0;
  let jobId = null;
  let failures = 0;
  while (failures < ATTEMPTS) {
    const answer = await sendPart(url, file, offset);
    const { status, body } = answer;
    if (status === 200) return body;
    if (status === 202) {
      offset = body.received;
      jobId = body.job.id;
      failures = 0;
      showProgress(offset, file.size);
      continue;
    }
    failures += 1;
    if (status === 409 && body.fields && Number.isInteger(body.fields.offset)) {
      offset = body.fields.offset; // the part did not follow (one that failed had arrived after all)
      if (body.code === "part_in_progress") await pause(failures);
      continue;
    }
    if (status !== 0 && status < 500) throw new Error(body.message || `The upload failed (HTTP ${status}).`);
    await pause(failures);
    const next = await whereItStands(jobId);
    if (next === null) throw new Error("The upload stopped and cannot resume: reload the page and try again.");
    if (next === file.size) return {};
    offset = next;
    say(`Connection lost; resuming from byte ${offset}…`);
  }
  throw new Error("The upload kept failing: check the connection and try again.");
}

// The library's table as the server renders it now, so the new medium shows without a reload.
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
  const data = new FormData();
  data.append("pool", form.querySelector("[data-iso-pool]").value);
  data.append("name", file.name);
  data.append("size", String(file.size));
  say("Creating the volume…");
  const created = await answerOf(fetch(form.dataset.createUrl, {
    method: "POST", body: data, headers: { "X-CSRFToken": csrfToken() },
  }));
  if (created.status < 200 || created.status >= 300) {
    say(created.body.message || `The volume could not be made (HTTP ${created.status}).`);
    return;
  }
  try {
    const result = await sendFile(created.body.content_url, file);
    showProgress(file.size, file.size);
    say(result.sha256 ? `100 % — uploaded, SHA-256 ${result.sha256}` : "100 % — uploaded");
    await refreshLibrary();
  } catch (error) {
    say(error.message);
  }
}

if (form) form.addEventListener("submit", upload);
