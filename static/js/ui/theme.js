// The colour mode follows the system setting, now and when it changes (Bootstrap's data-bs-theme).
// A classic script loaded in <head>: it runs before the first paint.
(() => {
  const dark = window.matchMedia("(prefers-color-scheme: dark)");
  const apply = () => document.documentElement.setAttribute("data-bs-theme", dark.matches ? "dark" : "light");
  apply();
  dark.addEventListener("change", apply);
})();
