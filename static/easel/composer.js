/* A thread's composer and refine forms: sending a turn with fetch (the forms post as they are
   without a script), showing field errors where they belong, the images a message carries
   (uploaded files and images picked from the project's gallery, as removable chips), and the
   model pickers. thread.js shows what is sent; this file only sends it. */
(() => {
  "use strict";

  const thread = window.easelThread;
  const { config } = thread;
  const composer = document.getElementById("composer");
  const stopButton = document.getElementById("stop-button");
  const esc = (value) => CSS.escape(String(value));

  // --- errors ---------------------------------------------------------------------------------------
  function clearErrors(form) {
    form.querySelectorAll("[data-errors]").forEach((node) => { node.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  function showErrors(form, errors) {
    const general = form.querySelector('[data-errors="__all__"]');
    let first = null;
    for (const [field, problems] of Object.entries(errors)) {
      const target = form.querySelector(`[data-errors="${esc(field)}"]`) || general;
      for (const problem of problems) {
        const line = document.createElement(target === general ? "p" : "span");
        line.textContent = problem.message || String(problem);
        target.append(line);
      }
      // A hidden field's error (the area's JSON) marks the control a person uses for it.
      const input = form.elements[(target.dataset && target.dataset.invalid) || field];
      if (input && input.type !== "hidden" && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    (first || general).focus?.();
  }

  // --- sending --------------------------------------------------------------------------------------
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("form[data-send]")) return;
    event.preventDefault();
    if (form.dataset.busy) return;
    clearErrors(form);
    const body = new FormData(form);
    const refining = body.get("refine_document_id");
    if (refining && composer) body.set("image_model", composer.elements.image_model.value);
    form.dataset.busy = "1";
    const button = form.querySelector('button[type="submit"]');
    // A disabled button loses focus to <body>: the person stays in the message they wrote.
    if (document.activeElement === button || document.activeElement === document.body) {
      form.elements.content.focus({ preventScroll: true });
    }
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      const data = await response.json().catch(() => null);
      if (!response.ok || !data || data.errors) {
        showErrors(form, (data && data.errors) || { __all__: [{ message: `Easel answered ${response.status}; try again.` }] });
        return;
      }
      form.elements.content.value = "";
      form.dispatchEvent(new CustomEvent("easel:sent"));
      // A refine panel closes with its focus: back to its Refine button, or on to the turn it started.
      const details = form.closest("details");
      if (details) {
        details.open = false;
        details.querySelector("summary").focus({ preventScroll: true });
      }
      if (data.run_id) {
        const turn = thread.ensureTurn(data.run_id, {
          messageId: data.user_message_id,
          content: data.content,
          refines: data.refines,
          attachments: data.attachments,
          areaNote: data.area_note,
        });
        thread.setRunning(turn, data.run_id);
        if (refining) thread.placeholder(turn, "direct");
        if (details) thread.focusTurn(turn);
        thread.showLatest();
      }
    } catch {
      showErrors(form, { __all__: [{ message: "Easel could not be reached. Check the connection and try again." }] });
    } finally {
      delete form.dataset.busy;
      button.disabled = form === composer && Boolean(thread.activeRunId);
    }
  });

  // Ctrl+Enter sends from the composer and from a refine panel alike.
  document.addEventListener("keydown", (event) => {
    const form = event.target.closest?.("form[data-send]");
    if (form && event.target.name === "content" && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // --- a refine panel opens where it can be seen, its text box focused --------------------------------
  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open || !details.matches(".turns .refine")) return;
    keepClearOfComposer();
    const form = details.querySelector("form");
    form.elements.content.focus({ preventScroll: true });
    form.scrollIntoView({ block: "center" });
  }, true);

  /* While the composer sticks to the bottom of the window, scrolling (to what gets focus, or a
     panel brought into view) leaves its height free, so it never covers what the person is on. */
  function keepClearOfComposer() {
    if (!composer) return;
    const sticky = getComputedStyle(composer).position === "sticky";
    // app.css: html { scroll-padding-bottom: var(--sticky-bottom) }
    document.documentElement.style.setProperty("--sticky-bottom", sticky ? `${composer.offsetHeight + 16}px` : "0px");
  }

  if (!composer) return;

  new ResizeObserver(keepClearOfComposer).observe(composer);
  window.addEventListener("resize", keepClearOfComposer);
  document.addEventListener("toggle", keepClearOfComposer, true);  // a closed refine lets it stick again
  // An error has been read once the person changes what it was about.
  composer.addEventListener("input", () => clearErrors(composer));
  // Without image generation there is no image model, and nothing to make variants of.
  const imageToggle = composer.elements.image_generation;
  const imageControls = [composer.elements.image_model, ...composer.querySelectorAll("[data-image-option]")];
  const syncToggle = () => imageControls.forEach((control) => { control.disabled = !imageToggle.checked; });
  imageToggle.addEventListener("change", syncToggle);
  syncToggle();
  stopButton.addEventListener("click", stopRun);

  async function stopRun() {
    if (!thread.activeRunId) return;
    composer.elements.content.focus({ preventScroll: true });  // Stop disables, then hides: not to <body>
    stopButton.disabled = true;
    try {
      await fetch(`/api/threads/${config.threadId}/runs/${thread.activeRunId}/cancel`, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": composer.elements.csrfmiddlewaretoken.value, "X-Easel-Project": config.projectId },
      });
    } finally {
      stopButton.disabled = false;
    }
  }

  // --- attachments: uploaded files and picked gallery images, shown as chips ------------------------
  const fileInput = composer.elements.files;
  const chips = document.getElementById("attachment-chips");
  const picker = document.getElementById("picker");
  const pickerGrid = document.getElementById("picker-grid");
  let uploads = [];  // File objects, in the order chosen; the file input always holds the same
  let previews = [];  // object URLs of the upload chips, released when the chips are redrawn

  const fileKey = (file) => `${file.name}:${file.size}:${file.lastModified}`;
  const pickedBoxes = () => [...composer.querySelectorAll('input[name="input_image_document_ids"]:checked')];

  function syncFileInput() {
    const transfer = new DataTransfer();
    uploads.forEach((file) => transfer.items.add(file));
    fileInput.files = transfer.files;
  }

  fileInput.addEventListener("change", () => {
    const known = new Set(uploads.map(fileKey));
    for (const file of fileInput.files) if (!known.has(fileKey(file))) uploads.push(file);
    uploads = uploads.slice(0, config.maxAttachments);
    syncFileInput();
    drawChips();
  });
  composer.addEventListener("change", (event) => {
    if (event.target.name === "input_image_document_ids") drawChips();
  });

  function attachmentChip(src, label, remove) {
    const item = document.getElementById("tpl-attachment").content.firstElementChild.cloneNode(true);
    const img = item.querySelector("img");
    img.src = src;
    img.alt = label;
    const button = item.querySelector("button");
    button.setAttribute("aria-label", `Remove ${label}`);
    button.title = `Remove ${label}`;
    button.addEventListener("click", () => {
      const position = [...chips.children].indexOf(item);
      remove();
      drawChips();
      // Focus stays in the list: on the chip that took this one's place, else the last, else the input.
      const left = chips.querySelectorAll("button");
      (left[position] || left[left.length - 1] || fileInput).focus();
    });
    return item;
  }

  function drawChips() {
    previews.forEach((url) => URL.revokeObjectURL(url));
    previews = [];
    chips.replaceChildren();
    uploads.forEach((file, index) => {
      const url = URL.createObjectURL(file);
      previews.push(url);
      chips.append(attachmentChip(url, `upload ${file.name}`, () => { uploads.splice(index, 1); syncFileInput(); }));
    });
    for (const box of pickedBoxes()) {
      const label = `gallery image ${box.closest("label").title || ""}`.trim();
      chips.append(attachmentChip(box.dataset.thumb, label, () => { box.checked = false; }));
    }
    chips.hidden = !chips.children.length;
  }

  composer.addEventListener("easel:sent", () => {
    uploads = [];
    syncFileInput();
    pickedBoxes().forEach((box) => { box.checked = false; });
    if (picker) picker.open = false;
    drawChips();
  });

  // Images made while the page is open can be picked too: newest first, as the page renders them.
  document.addEventListener("easel:image", (event) => {
    const media = event.detail;
    if (!pickerGrid || pickerGrid.querySelector(`input[value="${esc(media.document_id)}"]`)) return;
    const label = document.createElement("label");
    label.className = "pick";
    label.title = (media.prompt || media.filename || "").slice(0, 80);
    const box = Object.assign(document.createElement("input"), { type: "checkbox", name: "input_image_document_ids", value: media.document_id });
    box.dataset.thumb = media.thumbnail_url || media.url;
    const img = Object.assign(document.createElement("img"), { src: box.dataset.thumb, alt: label.title, width: 64, height: 64 });
    label.append(box, img);
    const item = document.createElement("li");
    item.append(label);
    pickerGrid.prepend(item);
    while (pickerGrid.children.length > 24) pickerGrid.lastElementChild.remove();
    picker.hidden = false;
  });

  drawChips();  // a page rendered again with errors keeps what was picked

  // --- model pickers, from the same catalog API clients use ------------------------------------------
  async function loadCatalog() {
    const get = async (path) => {
      const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json", "X-Easel-Project": config.projectId } });
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    };
    try {
      const [images, llms] = await Promise.all([get("/api/models/image/all?limit=500"), get("/api/models/llm")]);
      fillPicker(composer.elements.image_model, images.models);
      fillPicker(composer.elements.llm, llms.models);
    } catch {
      // The pickers keep "Server default", which always works.
    }
  }

  function fillPicker(select, models) {
    const storeKey = `easel:${config.projectId}:${select.name}`;
    let wanted = select.dataset.value;
    try { wanted = wanted || localStorage.getItem(storeKey) || ""; } catch { wanted = wanted || ""; }
    const groups = new Map();
    for (const model of models) {
      if (!groups.has(model.provider)) groups.set(model.provider, []);
      groups.get(model.provider).push(model);
    }
    select.replaceChildren(new Option("Server default", ""));
    for (const [provider, entries] of groups) {
      const group = document.createElement("optgroup");
      group.label = provider === "local" ? "local (offline engine)" : provider;
      for (const model of entries) {
        const note = model.local_engine ? "" : model.configured === false ? " (no key)" : "";
        group.append(new Option(`${model.display_name || model.name}${note}`, `${model.provider}/${model.name}`));
      }
      select.append(group);
    }
    select.value = wanted;
    if (select.value !== wanted) select.value = "";
    select.addEventListener("change", () => {
      try { localStorage.setItem(storeKey, select.value); } catch { /* not remembered */ }
    });
  }

  loadCatalog();
})();
