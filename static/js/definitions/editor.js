// The raw XML editor: CodeMirror 5 with XML highlighting and line numbers, problems shown under their lines,
// and a Validate button that asks POST /api/v1/domain-xml/validate without defining anything.

function csrfToken(form) {
  var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function issueText(issue) {
  var where = issue.line ? "line " + issue.line + (issue.column ? ", column " + issue.column : "") + ": " : "";
  return where + issue.message + (issue.path ? " (" + issue.path + ")" : "");
}

function IssueMarks(editor) {
  this.editor = editor;
  this.widgets = [];
  this.lines = [];
}

IssueMarks.prototype.clear = function () {
  var editor = this.editor;
  this.widgets.forEach(function (widget) { widget.clear(); });
  this.lines.forEach(function (line) {
    editor.removeLineClass(line, "background", "xml-error-line");
    editor.setGutterMarker(line, "xml-issues", null);
  });
  this.widgets = [];
  this.lines = [];
};

IssueMarks.prototype.show = function (issues) {
  var editor = this.editor;
  var self = this;
  this.clear();
  issues.forEach(function (issue) {
    if (!issue.line) { return; }
    var line = Math.min(issue.line, editor.lineCount()) - 1;
    var note = document.createElement("div");
    note.className = "xml-issue-widget";
    note.setAttribute("data-line", String(issue.line));
    note.textContent = issueText(issue);
    self.widgets.push(editor.addLineWidget(line, note, {coverGutter: false, noHScroll: true}));
    var marker = document.createElement("span");
    marker.className = "xml-issue-marker";
    marker.title = issue.message;
    marker.textContent = "\u25cf";
    editor.setGutterMarker(line, "xml-issues", marker);
    editor.addLineClass(line, "background", "xml-error-line");
    self.lines.push(line);
  });
};

function showResult(box, issues) {
  box.textContent = "";
  if (!issues.length) {
    box.className = "msg-success";
    box.textContent = "Valid: libvirt's schema accepts this definition.";
    return;
  }
  box.className = "error";
  box.textContent = issues.length + (issues.length === 1 ? " problem:" : " problems:");
  var list = document.createElement("ul");
  issues.forEach(function (issue) {
    var item = document.createElement("li");
    item.textContent = issueText(issue);
    list.appendChild(item);
  });
  box.appendChild(list);
}

function validate(editor, marks, textarea, box) {
  editor.save();
  box.className = "muted";
  box.textContent = "Validating…";
  fetch(textarea.getAttribute("data-validate-url"), {
    method: "POST",
    credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": csrfToken(textarea.form)},
    body: JSON.stringify({xml: editor.getValue()})
  }).then(function (response) {
    return response.json().then(function (body) {
      if (!response.ok) { throw new Error(body.message || ("HTTP " + response.status)); }
      return body;
    });
  }).then(function (body) {
    marks.show(body.errors);
    showResult(box, body.errors);
  }).catch(function (error) {
    box.className = "error";
    box.textContent = "Could not validate: " + error.message;
  });
}

function start() {
  var textarea = document.getElementById("xml-editor");
  var viewer = document.getElementById("xml-view");
  if (viewer) {
    CodeMirror.fromTextArea(viewer, {mode: "xml", lineNumbers: true, readOnly: true});
  }
  if (!textarea) { return; }
  var editor = CodeMirror.fromTextArea(textarea, {
    mode: "xml", lineNumbers: true, gutters: ["CodeMirror-linenumbers", "xml-issues"], indentUnit: 2,
    lineWrapping: false
  });
  window.definitionEditor = editor;  // for the browser tests and the console's own scripts
  var marks = new IssueMarks(editor);
  var data = document.getElementById("definition-issues");
  var issues = data ? JSON.parse(data.textContent) || [] : [];
  marks.show(issues);
  if (issues.length && issues[0].line) {
    editor.scrollIntoView({line: issues[0].line - 1, ch: 0}, 100);
  }
  document.querySelectorAll(".issue-where").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var line = parseInt(link.closest("li").getAttribute("data-line"), 10);
      if (line) {
        event.preventDefault();
        editor.focus();
        editor.setCursor({line: line - 1, ch: 0});
      }
    });
  });
  var button = document.getElementById("validate-button");
  var box = document.getElementById("validation-result");
  if (button && box) {
    button.addEventListener("click", function () { validate(editor, marks, textarea, box); });
  }
}

// A module runs after the document is parsed: the textarea is there.
start();
