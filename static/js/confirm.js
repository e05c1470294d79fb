// Asks before a form with data-confirm="question" is sent (CSP forbids onsubmit attributes).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset && event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
