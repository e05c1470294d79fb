// Uploading an ISO into a host's library, for the ISO library page and the install form: make the volume, then
// PUT the file in parts of PART bytes, one after another (the browser reads each slice from disk as it
// goes). After a failed part, ask the server where the upload stands (the job's progress, or the offset a 409
// names) and go on from there, never from the start. Its words come from the page (<template data-upload-words>
// of templates/storage/_upload_progress.html), so they are translated like the rest of it.
// The server streams each part into libvirt as it arrives, so a part may be any size (docs/api.md): parts are
// what the progress bar moves by and where a failed upload goes on from, so they stay a few seconds' worth.
const PART = 32 * 1024 * 1024;
const ATTEMPTS = 5;

async function answerOf(request) {
  try {
    const response = await request;
    return { status: response.status, body: await response.json().catch(() => ({})) };
  } catch (error) {
    return { status: 0, body: {} }; // the connection failed: nobody answered
  }
}

function sendPart(url, file, first, csrf) {
  const headers = { "Content-Type": "application/octet-stream", "X-CSRFToken": csrf };
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

async function sendFile(url, file, csrf, report) {
  let offset = 0;
  let jobId = null;
  let failures = 0;
  while (failures < ATTEMPTS) {
    const answer = await sendPart(url, file, offset, csrf);
    const { status, body } = answer;
    if (status === 200) return body;
    if (status === 202) {
      offset = body.received;
      jobId = body.job.id;
      failures = 0;
      report.progress(offset, file.size);
      continue;
    }
    failures += 1;
    if (status === 409 && body.fields && Number.isInteger(body.fields.offset)) {
      offset = body.fields.offset; // the part did not follow (one that failed had arrived after all)
      if (body.code === "part_in_progress") await pause(failures);
      continue;
    }
    if (status !== 0 && status < 500) throw new Error(body.message || report.word("failed", { status }));
    await pause(failures);
    const next = await whereItStands(jobId);
    if (next === null) throw new Error(report.word("cannot-resume"));
    if (next === file.size) return {};
    offset = next;
    report.say(report.word("resuming", { offset }));
  }
  throw new Error(report.word("kept-failing"));
}

// Uploads file as a new medium in pool through the page's ISO create URL (console/storage/isos.py); returns
// "pool/name" once every byte arrived. report: reportInto's {say, word, progress}. Throws an Error whose message
// says what went wrong and what to do.
export async function uploadMedium({ createUrl, pool, file, csrf, report }) {
  const data = new FormData();
  data.append("pool", pool);
  data.append("name", file.name);
  data.append("size", String(file.size));
  report.say(report.word("creating"));
  const created = await answerOf(fetch(createUrl, { method: "POST", body: data, headers: { "X-CSRFToken": csrf } }));
  if (created.status < 200 || created.status >= 300) {
    throw new Error(created.body.message || report.word("not-made", { status: created.status }));
  }
  const result = await sendFile(created.body.content_url, file, csrf, report);
  report.progress(file.size, file.size);
  report.say(result.sha256 ? report.word("uploaded-sha", { sha256: result.sha256 }) : report.word("uploaded"));
  return `${pool}/${file.name}`;
}

// What a form's progress bar ([data-iso-progress], a Bootstrap .progress counting bytes in aria-valuenow of
// aria-valuemax) and status line ([data-iso-status]) show of an upload; word(key, values) is the container's
// <template data-upload-words> entry for key with each {name} in it replaced by values[name].
export function reportInto(container) {
  const status = container.querySelector("[data-iso-status]");
  const bar = container.querySelector("[data-iso-progress]");
  const say = (text) => { status.textContent = text; };
  const word = (key, values = {}) => {
    let text = key;
    for (const words of container.querySelectorAll("template[data-upload-words]")) {
      const found = words.content.querySelector(`[data-word="${key}"]`);
      if (found) text = found.textContent.trim();
    }
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
  };
  return {
    say,
    word,
    progress(done, total) {
      const percent = total ? Math.floor((100 * done) / total) : 100;
      bar.hidden = false;
      bar.setAttribute("aria-valuemax", String(Math.max(total, 1)));
      bar.setAttribute("aria-valuenow", String(done));
      bar.setAttribute("aria-valuetext", `${percent} %`);
      const fill = bar.querySelector(".progress-bar");
      fill.style.width = `${percent}%`;
      fill.classList.toggle("progress-bar-animated", done < total);
      say(`${percent} %`);
    },
    failed(text) {
      bar.querySelector(".progress-bar").classList.add("bg-danger");
      bar.querySelector(".progress-bar").classList.remove("progress-bar-animated");
      say(text);
    },
  };
}
