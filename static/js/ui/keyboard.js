// A region that scrolls sideways (a wide table on a phone) takes the keyboard focus, so the arrow keys reach
// what is past its edge; it is named after its heading for screen readers. Checked at load and on resize.

function label(region) {
  const heading = region.querySelector("h1, h2, h3, caption, legend");
  return heading ? heading.textContent.trim().replace(/\s+/g, " ").slice(0, 80) : "";
}

function mark() {
  for (const region of document.querySelectorAll("main .card, main .table-responsive")) {
    const scrolls = region.scrollWidth > region.clientWidth + 1;
    if (scrolls && !region.hasAttribute("tabindex")) {
      region.tabIndex = 0;
      region.dataset.scrollRegion = "";
      if (!region.hasAttribute("role")) region.setAttribute("role", "region");
      if (!region.hasAttribute("aria-label") && label(region)) region.setAttribute("aria-label", label(region));
    } else if (!scrolls && "scrollRegion" in region.dataset) {
      region.removeAttribute("tabindex");
      delete region.dataset.scrollRegion;
    }
  }
}

mark();
let pending = 0;
window.addEventListener("resize", () => {
  cancelAnimationFrame(pending);
  pending = requestAnimationFrame(mark);
});
document.addEventListener("htmx:afterSettle", mark);
