// A pool's volume section: resizing asks first (through the page's confirmation dialog) only when the user ticked
// "allow shrinking", since only shrinking loses data; the question and its details come from the form's data-.
for (const form of document.querySelectorAll("form.volume-resize")) {
  const shrink = form.querySelector("input[name=shrink]");
  const follow = () => {
    if (shrink.checked) {
      form.dataset.confirm = form.dataset.shrinkConfirm;
      form.dataset.confirmDetails = form.dataset.shrinkDetails;
    } else {
      delete form.dataset.confirm;
      delete form.dataset.confirmDetails;
    }
  };
  shrink.addEventListener("change", follow);
  follow();
}
