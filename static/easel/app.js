/* Every dashboard page: confirmations, copy buttons, local times. No dependencies. */
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
})();
