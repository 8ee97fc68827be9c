/* Product templates and customizations.

   The template form: refine_area.js draws the print area (the form is an always-open area form)
   and, while "Add a protect area" is open, a protect rectangle (its own small area form); this
   script adds that rectangle to the protect list (one "x, y, width, height" a line, the field
   the server reads), outlines the listed ones on the photo, keeps a dragged print area in the
   print file's shape, and says what the numbers mean ("4 × 5 in @ 300 dpi").

   The customization page: while variants are being made it follows the customization's event
   stream, and on each event fetches the page again and swaps in the cards that changed (the
   server renders every card; nothing is drawn twice). Select and Refine post in place; a
   refinement's new round appears and fills in live. Downloads say a refusal in words. */
(() => {
  "use strict";

  const announcer = document.getElementById("announcer");
  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  // --- the template form --------------------------------------------------------------------------
  function editor(form) {
    const svg = document.querySelector("[data-protect-boxes]");
    const protect = form.elements.protect_regions;
    const drawer = document.querySelector("form[data-protect-form]");
    const fit = form.querySelector("[data-fit-output]");
    const shapeNote = form.querySelector("[data-shape-note]");
    const sizeNote = form.querySelector("[data-print-size]");
    const SVG = "http://www.w3.org/2000/svg";

    const whole = (input) => (/^\d+$/.test(input.value.trim()) ? Number(input.value) : null);
    const number = (name) => whole(form.elements[name]);
    function area() {
      const [x, y, width, height] = ["area_x", "area_y", "area_width", "area_height"].map(number);
      return [x, y, width, height].every((v) => v !== null) && width > 0 && height > 0 ? { x, y, width, height } : null;
    }
    const inches = (pixels, dpi) => String(Number((pixels / dpi).toFixed(2)));

    /* The rectangles the protect field lists (lines that are not four numbers are left out). */
    function rectangles() {
      return protect.value.split("\n").map((line) => (line.match(/-?\d+/g) || []).map(Number))
        .filter((values) => values.length === 4 && values[2] > 0 && values[3] > 0)
        .map(([x, y, width, height]) => ({ x, y, width, height }));
    }

    function outline() {
      svg.replaceChildren(...rectangles().map((r) => {
        const rect = document.createElementNS(SVG, "rect");
        for (const [key, value] of Object.entries(r)) rect.setAttribute(key, value);
        return rect;
      }));
    }

    /* What the numbers mean: the print's size in inches, and whether the area has its shape. */
    function notes() {
      const [width, height, dpi] = [number("width_px"), number("height_px"), number("dpi")];
      const drawn = area();
      sizeNote.textContent = width && height && dpi ? `Prints at ${inches(width, dpi)} × ${inches(height, dpi)} in @ ${dpi} dpi.` : "";
      if (!drawn || !width || !height) { shapeNote.textContent = ""; return; }
      const wanted = width / height;
      const actual = drawn.width / drawn.height;
      const dpiNote = dpi ? ` Its ${drawn.width} × ${drawn.height} photo pixels print at ${Math.round(drawn.width / (width / dpi))} dpi.` : "";
      shapeNote.textContent = Math.abs(wanted / actual - 1) <= 0.01
        ? `The print area has the print file’s shape.${dpiNote}`
        : `The print area (${drawn.width} × ${drawn.height}) is not the shape of the print file (${width} × ${height}): drag it again, or change the sizes.`;
    }

    /* A dragged print area, trimmed to the print file's shape (never grown: it stays on the photo). */
    function fitArea() {
      const drawn = area();
      const [width, height] = [number("width_px"), number("height_px")];
      if (!fit.checked || !drawn || !width || !height) return;
      const ratio = width / height;
      const fitted = { ...drawn };
      if (drawn.width / drawn.height > ratio) fitted.width = Math.max(1, Math.round(drawn.height * ratio));
      else fitted.height = Math.max(1, Math.round(drawn.width / ratio));
      if (fitted.width === drawn.width && fitted.height === drawn.height) return;
      form.elements.area_width.value = String(fitted.width);
      form.elements.area_height.value = String(fitted.height);
      // refine_area.js redraws the box (and `regions`) on input from its fields.
      form.elements.area_width.dispatchEvent(new Event("input", { bubbles: true }));
    }

    document.addEventListener("pointerup", (event) => {
      if (form.areaLayer && event.target === form.areaLayer) { fitArea(); notes(); }
    });
    form.addEventListener("change", (event) => {
      if (["width_px", "height_px"].includes(event.target.name)) fitArea();
      notes();
    });
    form.addEventListener("input", notes);
    protect.addEventListener("input", outline);

    drawer?.addEventListener("submit", (event) => {
      event.preventDefault();
      const error = drawer.querySelector("[data-protect-error]");
      const values = ["x", "y", "width", "height"].map((name) => whole(drawer.querySelector(`[data-area="${name}"]`)));
      if (values.some((v) => v === null) || values[2] < 1 || values[3] < 1) {
        error.textContent = "Drag over the part to protect first, or type its x, y, width and height.";
        return;
      }
      error.textContent = "";
      const listed = protect.value.trim();
      protect.value = `${listed ? `${listed}\n` : ""}${values.join(", ")}`;
      outline();
      drawer.dispatchEvent(new CustomEvent("easel:sent"));  // refine_area.js clears its rectangle
      drawer.closest("details").open = false;
      announce(`Protect area added: ${values[2]} × ${values[3]} at x ${values[0]}, y ${values[1]}.`);
    });

    outline();
    notes();
  }

  // --- the customization page ---------------------------------------------------------------------
  function customization(config) {
    const rounds = document.getElementById("rounds");
    const statusLine = document.getElementById("status-line");
    const liveNote = document.getElementById("live-note");
    const END = new Set(["customization_completed", "customization_failed", "run_ended", "run_failed", "run_cancelled", "error"]);
    let stream = null;
    let timer = null;
    let refreshing = Promise.resolve();

    function follow() {
      stream?.close();
      liveNote.hidden = true;
      stream = new EventSource(config.eventsUrl);
      stream.addEventListener("message", (message) => {
        let event;
        try { event = JSON.parse(message.data); } catch { return; }
        if (event.type === "variant_generated") announce(`Variant ${event.index + 1} of this round is made.`);
        else if (event.type === "variant_failed") announce(`Variant ${event.index + 1} of this round failed.`);
        else if (!END.has(event.type)) return;
        if (END.has(event.type)) { stream.close(); stream = null; }
        soon(END.has(event.type));
      });
      stream.addEventListener("error", () => {
        if (stream && stream.readyState === EventSource.CLOSED) {
          liveNote.textContent = "Live updates stopped: reload the page to see the latest.";
          liveNote.hidden = false;
        }
      });
    }

    /* Fetch the page again soon (events come in bursts); after the end, follow on if it still runs. */
    function soon(ended) {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        refreshing = refreshing.then(refresh).then(() => {
          if (ended && statusLine.dataset.state === "running") window.setTimeout(follow, 1000);
        });
      }, 120);
    }

    async function refresh() {
      let html;
      try {
        const response = await fetch(window.location.pathname, { credentials: "same-origin" });
        if (!response.ok) return;
        html = await response.text();
      } catch { return; }
      const fresh = new DOMParser().parseFromString(html, "text/html");
      for (const round of fresh.querySelectorAll("[data-round]")) {
        const here = rounds.querySelector(`[data-round="${CSS.escape(round.dataset.round)}"]`);
        if (!here) { rounds.append(document.adoptNode(round)); continue; }
        here.querySelector("[data-round-status]").textContent = round.querySelector("[data-round-status]").textContent;
        for (const card of round.querySelectorAll("[data-variant]")) {
          const old = here.querySelector(`[data-variant="${CSS.escape(card.dataset.variant)}"]`);
          if (!old) here.querySelector(".variant-grid").append(document.adoptNode(card));
          // A card whose refine panel is open keeps it (and what is typed), unless it was still pending.
          else if (old.dataset.key !== card.dataset.key && !old.querySelector("details[open]")) old.replaceWith(document.adoptNode(card));
        }
      }
      const freshStatus = fresh.getElementById("status-line");
      statusLine.dataset.state = freshStatus.dataset.state;
      statusLine.querySelector("[data-words]").textContent = freshStatus.querySelector("[data-words]").textContent;
      const summary = document.querySelector("[data-selected-summary]");
      summary.innerHTML = fresh.querySelector("[data-selected-summary]").innerHTML;
      window.easelLocalTimes?.(rounds);
    }

    async function post(form) {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return { ok: false, error: response.status === 403 ? "You are not allowed to do that." : "That did not work: try again." };
      return response.json();
    }

    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      if (form.matches("[data-select-form]")) {
        event.preventDefault();
        const answer = await post(form);
        const card = form.closest("[data-variant]");
        if (!answer.ok) { card.querySelector("[data-export-error]").textContent = answer.error; return; }
        await refresh();
        announce("Selected.");
      } else if (form.matches("[data-refine-form]")) {
        event.preventDefault();
        const errors = form.querySelector("[data-errors]");
        if (!form.elements.prompt.value.trim()) { errors.textContent = "Say what to change first."; form.elements.prompt.focus(); return; }
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        errors.textContent = "";
        const answer = await post(form);
        button.disabled = false;
        if (!answer.ok) { errors.textContent = answer.error; return; }
        form.reset();
        form.closest("details").open = false;
        announce("Refining: the new variants appear below as they are made.");
        await refresh();
        follow();
        rounds.lastElementChild?.scrollIntoView({ behavior: "smooth", block: "start" });
      }
    });

    // Downloads: the file, or the export's refusal (held for review, too few pixels) in words.
    document.addEventListener("click", async (event) => {
      const link = event.target.closest?.("a[data-export]");
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      const error = link.closest("[data-variant]").querySelector("[data-export-error]");
      const label = link.textContent;
      error.textContent = "";
      link.textContent = "Preparing…";
      link.setAttribute("aria-busy", "true");
      try {
        const response = await fetch(link.href, { credentials: "same-origin" });
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          const blockers = (body.blockers || []).join("; ");
          error.textContent = `${body.detail || "The download failed"}${blockers ? ` (${blockers})` : ""}.`;
          return;
        }
        const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || "download";
        const url = URL.createObjectURL(await response.blob());
        const save = Object.assign(document.createElement("a"), { href: url, download: name, hidden: true });
        document.body.append(save);
        save.click();
        save.remove();
        window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
        announce(`Downloaded ${name}.`);
      } catch {
        error.textContent = "The download failed: check the connection and try again.";
      } finally {
        link.textContent = label;
        link.removeAttribute("aria-busy");
      }
    });

    if (config.running) follow();
  }

  const form = document.getElementById("template-form");
  if (form) editor(form);
  const config = document.getElementById("customization-config");
  if (config) customization(JSON.parse(config.textContent));
})();
