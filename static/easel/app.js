/* Every dashboard page: confirmations, copy buttons, local times, focus on a form's result.
   No dependencies. */
(() => {
  "use strict";

  // <form data-confirm="Question?">: ask before a destructive post.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-copy="#selector">: copy the element's value (or text) to the clipboard.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const text = "value" in source ? source.value : source.textContent;
    const label = button.textContent;
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      // No clipboard permission (or not a secure context): select it for a manual copy.
      if (source.select) source.select();
      button.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { button.textContent = label; }, 2000);
  });

  // <time datetime="…" data-local>: show it in the reader's own time zone.
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  window.easelLocalTimes = (root = document) => {
    for (const node of root.querySelectorAll("time[data-local]")) {
      const when = new Date(node.dateTime);
      if (!Number.isNaN(when.getTime())) node.textContent = format.format(when);
    }
  };
  window.easelLocalTimes();

  // A page a form led to starts where the news is, for keyboard and screen-reader users: on what
  // it made ([data-focus-on-load]: a new key, an invitation link), else on the first of the form's
  // errors (an invalid field, or the box of errors about the whole form).
  const firstError = [...document.querySelectorAll('main [aria-invalid="true"], main .form-errors')].find(
    (node) => node.matches("[aria-invalid]") || node.textContent.trim(),
  );
  const result = document.querySelector("[data-focus-on-load]") || firstError;
  if (result) {
    if (!result.matches("a[href], button, input, select, textarea, [tabindex]")) result.tabIndex = -1;
    result.focus();
  }
})();
