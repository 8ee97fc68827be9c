/* Refine: confine an edit to a rectangle of its image.

   While a refine panel is open, a layer over its image (the nearest [data-area-image] of the
   form's [data-area-scope]) takes a drag and draws the rectangle: outlined, the rest dimmed.
   The rectangle is kept in the image's own pixels (naturalWidth x naturalHeight) in four number
   inputs, which are also how a keyboard sets it, and as the `regions` JSON the form sends.
   Without this script the four numbers are still form fields, so a plain post works too. */
(() => {
  "use strict";

  const MIN_DRAG = 4;  // display pixels: a shorter drag is a click, not an area
  const NAMES = ["x", "y", "width", "height"];

  const field = (form, name) => form.querySelector(`[data-area="${name}"]`);
  const imageOf = (form) => form.closest("[data-area-scope]")?.querySelector("[data-area-image]") || null;

  /* The image's own pixels: its width and height attributes first, because a copy chosen from
     srcset reports a natural size of its own (an 832 px display copy at 2x: 416). */
  function naturalSize(img) {
    return {
      w: Number(img.getAttribute("width")) || img.naturalWidth || 0,
      h: Number(img.getAttribute("height")) || img.naturalHeight || 0,
    };
  }

  /* The rectangle the four inputs hold, or null unless all four are whole numbers and it has an area. */
  function typedArea(form) {
    const values = NAMES.map((name) => field(form, name).value.trim());
    if (values.some((v) => !/^-?\d+$/.test(v))) return null;
    const [x, y, width, height] = values.map(Number);
    return width > 0 && height > 0 ? { x, y, width, height } : null;
  }

  // --- the layer over the image ----------------------------------------------------------------------
  function layerOf(form) {
    if (form.areaLayer) return form.areaLayer;
    const img = imageOf(form);
    const frame = img && img.closest("[data-area-frame]");
    if (!frame) return null;
    const layer = document.createElement("div");
    layer.className = "area-layer";
    layer.dataset.areaLayer = "";
    layer.setAttribute("aria-hidden", "true");  // the number inputs are the accessible control
    layer.innerHTML = '<div class="area-box" hidden><span class="area-size"></span></div>';
    frame.append(layer);
    form.areaLayer = layer;
    listen(form, layer, img);
    new ResizeObserver(() => place(form)).observe(img);
    img.addEventListener("load", () => { place(form); draw(form); });
    return layer;
  }

  /* Lay the layer exactly over the picture (the img may be letterboxed by object-fit: contain). */
  function place(form) {
    const layer = form.areaLayer;
    const img = imageOf(form);
    if (!layer || layer.hidden || !img) return;
    const { w, h } = naturalSize(img);
    const box = img.getBoundingClientRect();
    const frame = layer.parentElement.getBoundingClientRect();
    if (!w || !h || !box.width || !box.height) return;
    const scale = Math.min(box.width / w, box.height / h);
    const width = w * scale;
    const height = h * scale;
    layer.style.left = `${box.left - frame.left + (box.width - width) / 2}px`;
    layer.style.top = `${box.top - frame.top + (box.height - height) / 2}px`;
    layer.style.width = `${width}px`;
    layer.style.height = `${height}px`;
  }

  /* Show the typed rectangle on the layer and put it in `regions`; the shape option gives way to it. */
  function draw(form) {
    const area = typedArea(form);
    form.elements.regions.value = area ? JSON.stringify([area]) : "";
    const aspect = form.elements.aspect_ratio;
    if (aspect) aspect.disabled = Boolean(area);
    const shapeNote = form.querySelector("[data-area-shape]");
    if (shapeNote) shapeNote.hidden = !area;
    const layer = form.areaLayer;
    if (!layer) return;
    const boxNode = layer.querySelector(".area-box");
    const { w, h } = naturalSize(imageOf(form));
    layer.classList.toggle("has-area", Boolean(area));
    boxNode.hidden = !area || !w || !h;
    if (boxNode.hidden) return;
    boxNode.style.left = `${(area.x / w) * 100}%`;
    boxNode.style.top = `${(area.y / h) * 100}%`;
    boxNode.style.width = `${(area.width / w) * 100}%`;
    boxNode.style.height = `${(area.height / h) * 100}%`;
    boxNode.querySelector(".area-size").textContent = `${area.width}×${area.height}`;
  }

  function setArea(form, area) {
    NAMES.forEach((name) => { field(form, name).value = area ? String(area[name]) : ""; });
    draw(form);
  }

  // --- dragging ---------------------------------------------------------------------------------------
  function listen(form, layer, img) {
    let start = null;

    const pointAt = (event) => {
      const rect = layer.getBoundingClientRect();
      return {
        x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
        y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height),
        rect,
      };
    };

    /* The dragged box, from layer pixels to the image's own, rounded to whole pixels inside it. */
    const toImage = (a, b) => {
      const { w, h } = naturalSize(img);
      const sx = w / a.rect.width;
      const sy = h / a.rect.height;
      const x = Math.round(Math.min(a.x, b.x) * sx);
      const y = Math.round(Math.min(a.y, b.y) * sy);
      const right = Math.min(w, Math.round(Math.max(a.x, b.x) * sx));
      const bottom = Math.min(h, Math.round(Math.max(a.y, b.y) * sy));
      return { x, y, width: Math.max(1, right - x), height: Math.max(1, bottom - y) };
    };

    const big = (a, b) => Math.abs(a.x - b.x) >= MIN_DRAG && Math.abs(a.y - b.y) >= MIN_DRAG;

    let before = null;  // the area before this drag: a click (or a cancelled drag) keeps it
    layer.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      layer.setPointerCapture(event.pointerId);
      start = pointAt(event);
      before = typedArea(form);
    });
    layer.addEventListener("pointermove", (event) => {
      if (!start) return;
      const here = pointAt(event);
      if (big(start, here)) setArea(form, toImage(start, here));
    });
    layer.addEventListener("pointerup", (event) => {
      if (!start) return;
      const here = pointAt(event);
      setArea(form, big(start, here) ? toImage(start, here) : before);
      start = null;
    });
    layer.addEventListener("pointercancel", () => {
      if (!start) return;
      setArea(form, before);
      start = null;
    });
  }

  // --- panels opening and closing, typing, clearing ------------------------------------------------------
  function activate(form, open) {
    const layer = layerOf(form);
    if (!layer) return;
    layer.hidden = !open;
    if (!open) return;
    const { w, h } = naturalSize(imageOf(form));
    if (w && h) {
      field(form, "x").max = String(w - 1);
      field(form, "y").max = String(h - 1);
      field(form, "width").max = String(w);
      field(form, "height").max = String(h);
    }
    place(form);
    draw(form);
  }

  document.addEventListener("toggle", (event) => {
    const details = event.target;
    if (!(details instanceof HTMLDetailsElement)) return;
    const form = details.querySelector(":scope > form[data-area-form]");
    if (form) activate(form, details.open);
  }, true);

  document.addEventListener("input", (event) => {
    const form = event.target.closest?.("form[data-area-form]");
    if (form && event.target.matches("[data-area]")) draw(form);
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("[data-area-clear]");
    const form = button && button.closest("form[data-area-form]");
    if (!form) return;
    setArea(form, null);
    field(form, "x").focus();
  });

  // A sent refine starts afresh next time.
  document.addEventListener("easel:sent", (event) => {
    if (event.target.matches?.("form[data-area-form]")) setArea(event.target, null);
  }, true);

  window.addEventListener("resize", () => {
    document.querySelectorAll("form[data-area-form]").forEach((form) => place(form));
  });

  // A form that is always open (a review comment) takes drags from the start.
  document.querySelectorAll("form[data-area-form][data-area-open]").forEach((form) => activate(form, true));
})();
