// The XML editor: CodeMirror 5 with XML highlighting and line numbers, problems shown under their lines, and a
// Validate button that asks POST /api/v1/domain-xml/validate without defining anything. Read-only (a revision,
// or a user without write) it is a viewer. Its words come from the textarea's data-word-* attributes (i18n).

function csrfToken(form) {
  const input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function wordsOf(textarea) {
  const data = textarea.dataset;
  return {
    valid: data.wordValid || "Valid.", validating: data.wordValidating || "…", failed: data.wordFailed || "Error:",
    line: data.wordLine || "line", column: data.wordColumn || "column",
    problem: data.wordProblem || "problem:", problems: data.wordProblems || "problems:",
  };
}

function issueText(issue, words) {
  const where = issue.line
    ? `${words.line} ${issue.line}${issue.column ? `, ${words.column} ${issue.column}` : ""}: ` : "";
  return where + issue.message + (issue.path ? ` (${issue.path})` : "");
}

class IssueMarks {
  constructor(editor, words) {
    this.editor = editor;
    this.words = words;
    this.widgets = [];
    this.lines = [];
  }

  clear() {
    for (const widget of this.widgets) widget.clear();
    for (const line of this.lines) {
      this.editor.removeLineClass(line, "background", "xml-error-line");
      this.editor.setGutterMarker(line, "xml-issues", null);
    }
    this.widgets = [];
    this.lines = [];
  }

  show(issues) {
    const editor = this.editor;
    this.clear();
    for (const issue of issues) {
      if (!issue.line) continue;
      const line = Math.min(issue.line, editor.lineCount()) - 1;
      const note = document.createElement("div");
      note.className = "xml-issue-widget";
      note.setAttribute("data-line", String(issue.line));
      note.textContent = issueText(issue, this.words);
      this.widgets.push(editor.addLineWidget(line, note, { coverGutter: false, noHScroll: true }));
      const marker = document.createElement("span");
      marker.className = "xml-issue-marker";
      marker.title = issue.message;
      marker.setAttribute("aria-hidden", "true");
      marker.textContent = "\u25cf";
      editor.setGutterMarker(line, "xml-issues", marker);
      editor.addLineClass(line, "background", "xml-error-line");
      this.lines.push(line);
    }
  }
}

function showResult(box, issues, words) {
  box.replaceChildren();
  if (!issues.length) {
    box.className = "mt-2 alert alert-success py-2";
    box.textContent = words.valid;
    return;
  }
  box.className = "mt-2 alert alert-danger py-2";
  const head = document.createElement("p");
  head.className = "mb-1 fw-semibold";
  head.textContent = `${issues.length} ${issues.length === 1 ? words.problem : words.problems}`;
  const list = document.createElement("ul");
  list.className = "mb-0";
  for (const issue of issues) {
    const item = document.createElement("li");
    item.textContent = issueText(issue, words);
    list.appendChild(item);
  }
  box.append(head, list);
}

function validate(editor, marks, textarea, box, words) {
  editor.save();
  box.className = "mt-2 text-body-secondary";
  box.textContent = words.validating;
  fetch(textarea.getAttribute("data-validate-url"), {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(textarea.form) },
    body: JSON.stringify({ xml: editor.getValue() }),
  }).then((response) => response.json().then((body) => {
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    return body;
  })).then((body) => {
    marks.show(body.errors);
    showResult(box, body.errors, words);
  }).catch((error) => {
    box.className = "mt-2 alert alert-danger py-2";
    box.textContent = `${words.failed} ${error.message}`;
  });
}

// The editor's scroll area takes the keyboard focus (arrow keys scroll a read-only or wide definition) and is
// named for screen readers; the typing area itself is labelled through screenReaderLabel.
function reachable(editor, textarea) {
  const scroller = editor.getScrollerElement();
  scroller.tabIndex = 0;
  scroller.setAttribute("role", "region");
  scroller.setAttribute("aria-label", textarea.dataset.scrollLabel || textarea.dataset.label || "XML");
}

function start() {
  const textarea = document.getElementById("xml-editor");
  if (!textarea) return;
  const readOnly = textarea.hasAttribute("data-read-only");
  const words = wordsOf(textarea);
  const editor = CodeMirror.fromTextArea(textarea, {
    mode: "xml", lineNumbers: true, gutters: ["CodeMirror-linenumbers", "xml-issues"], indentUnit: 2,
    lineWrapping: false, readOnly, screenReaderLabel: textarea.dataset.label || "XML",
  });
  if (readOnly) editor.getWrapperElement().setAttribute("data-read-only", "");
  reachable(editor, textarea);
  window.definitionEditor = editor; // for the browser tests and the console's own scripts
  const marks = new IssueMarks(editor, words);
  const data = document.getElementById("definition-issues");
  const issues = data ? JSON.parse(data.textContent) || [] : [];
  marks.show(issues);
  if (issues.length && issues[0].line) {
    editor.scrollIntoView({ line: issues[0].line - 1, ch: 0 }, 100);
  }
  for (const link of document.querySelectorAll(".issue-where")) {
    link.addEventListener("click", (event) => {
      const line = parseInt(link.closest("li").getAttribute("data-line"), 10);
      if (line) {
        event.preventDefault();
        editor.focus();
        editor.setCursor({ line: line - 1, ch: 0 });
      }
    });
  }
  const button = document.getElementById("validate-button");
  const box = document.getElementById("validation-result");
  if (button && box && !readOnly) {
    button.addEventListener("click", () => validate(editor, marks, textarea, box, words));
  }
}

// A module runs after the document is parsed: the textarea is there.
start();
