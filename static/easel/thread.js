/* A thread, live: follows the thread's websocket feed and applies each run event to the page.

   The server renders everything stored when the page was made and says from which event of
   the feed to go on (config.feedPosition). Every event is applied idempotently (images by
   document id, turns by run id, text by its accumulated content), so replays after a dropped
   connection or a reload never show anything twice, and the resume cursor is kept in
   sessionStorage after each event so nothing in between is missed. */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("thread-config").textContent);
  const turnList = document.getElementById("turns");
  const feedStatus = document.getElementById("feed-status");
  const announcer = document.getElementById("announcer");
  const composer = document.getElementById("composer");
  const stopButton = document.getElementById("stop-button");
  const sendButton = document.getElementById("send-button");
  const FINISHED = new Set(["completed", "failed", "cancelled", "saved"]);
  const cursorKey = `easel:thread-feed:${config.threadId}`;

  // --- where the feed resumes ---------------------------------------------------------------
  let cursor = config.feedPosition || readCursor();
  saveCursor(cursor);

  function readCursor() {
    try { return sessionStorage.getItem(cursorKey); } catch { return null; }
  }
  function saveCursor(eventId) {
    if (!eventId) return;
    cursor = eventId;
    try { sessionStorage.setItem(cursorKey, eventId); } catch { /* private mode: memory only */ }
  }

  // --- small DOM helpers -----------------------------------------------------------------------
  const esc = (value) => CSS.escape(String(value));
  const slot = (root, name) => root.querySelector(`[data-slot="${name}"]`);
  function fromTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }
  function imageUrl(documentId) {
    return config.imageUrl.replace(config.noId, documentId);
  }

  // --- turns ------------------------------------------------------------------------------------
  let activeRunId = config.activeRunId;

  function findTurn(runId) {
    return turnList.querySelector(`.turn[data-turn="${esc(runId)}"]`);
  }

  /* The turn of a run, created if the page has not seen it yet. `user` fills in its message. */
  function ensureTurn(runId, user) {
    let turn = findTurn(runId);
    if (!turn) {
      turn = fromTemplate("tpl-turn");
      turn.dataset.turn = runId;
      turn.id = `turn-${runId}`;
      turn.querySelector(".bubble.assistant").dataset.runId = runId;
      turnList.append(turn);
      document.getElementById("empty-thread").hidden = true;
    }
    if (user) {
      const bubble = turn.querySelector(".bubble.user");
      if (user.messageId) bubble.dataset.messageId = user.messageId;
      if (user.content != null && !slot(bubble, "text").textContent) slot(bubble, "text").textContent = user.content;
      if (user.refines && slot(bubble, "refines").hidden) {
        const refines = slot(bubble, "refines");
        refines.append(chip(user.refines.document_id, user.refines.thumbnail_url, "the image being edited"));
        refines.hidden = false;
      }
      bubble.hidden = false;
    }
    return turn;
  }

  const finished = (turn) => FINISHED.has(turn.dataset.status);

  function setRunning(turn, runId) {
    if (finished(turn)) return;
    turn.dataset.status = "running";
    turn.setAttribute("aria-busy", "true");
    setActive(runId);
  }

  function setActive(runId) {
    activeRunId = runId;
    if (stopButton) stopButton.hidden = !runId;
    if (sendButton) sendButton.disabled = Boolean(runId);
  }

  function setReplyText(turn, text, force) {
    const node = slot(turn.querySelector(".bubble.assistant"), "text");
    // Text only grows within a run; a replayed, older event must not shorten it.
    if (text != null && (force || text.length >= node.textContent.length)) node.textContent = text;
  }

  // --- images -----------------------------------------------------------------------------------
  function imagesOf(turn) {
    return slot(turn.querySelector(".bubble.assistant"), "images");
  }

  function placeholder(turn, call) {
    if (!call || finished(turn)) return null;
    const images = imagesOf(turn);
    const existing = images.querySelector(`[data-placeholder="${esc(call)}"]`);
    if (existing) return existing;
    if (images.querySelector(`.image-card[data-tool-call-id="${esc(call)}"]`)) return null; // already made
    const node = fromTemplate("tpl-placeholder");
    node.dataset.placeholder = call;
    images.append(node);
    return node;
  }

  function showPreview(turn, call, index, dataUrl) {
    const node = placeholder(turn, call);
    if (!node || !dataUrl) return;
    const frame = node.querySelector(".placeholder-frame");
    let preview = frame.querySelector(`img.preview[data-index="${esc(index)}"]`);
    if (!preview) {
      preview = document.createElement("img");
      preview.className = "preview";
      preview.alt = "";
      preview.dataset.index = index;
      frame.prepend(preview);
    }
    preview.src = dataUrl;
    node.classList.add("has-preview");
  }

  function chip(documentId, src, alt) {
    const link = fromTemplate("tpl-chip");
    link.href = imageUrl(documentId);
    link.dataset.child = documentId;
    const img = link.querySelector("img");
    img.src = src || "";
    img.alt = alt;
    return link;
  }

  function figureFor(media, call) {
    const figure = fromTemplate("tpl-image");
    const id = media.document_id;
    figure.id = `doc-${id}`;
    figure.dataset.documentId = id;
    figure.dataset.toolCallId = call || "";
    figure.dataset.thumb = media.thumbnail_url || media.url;
    slot(figure, "link").href = imageUrl(id);
    const img = slot(figure, "img");
    img.src = media.url;
    img.alt = (media.prompt || "Generated image").slice(0, 160);
    if (media.width && media.height) { img.width = media.width; img.height = media.height; }
    slot(figure, "meta").textContent = `${media.model_name || "upload"} · ${media.width}×${media.height}`;
    const download = slot(figure, "download");
    download.href = media.url;
    download.download = media.filename || "";
    const parentId = media.input_image_document_id;
    if (parentId) {
      const parentFigure = document.querySelector(`.image-card[data-document-id="${esc(parentId)}"]`);
      const parentSlot = slot(figure, "parent");
      parentSlot.append(chip(parentId, parentFigure ? parentFigure.dataset.thumb : "", "the image this was refined from"));
      parentSlot.hidden = false;
    }
    const refineId = slot(figure, "refine-id");
    if (refineId) {
      refineId.value = id;
      slot(figure, "refine-text").id = `refine-${id}`;
      slot(figure, "refine-label").htmlFor = `refine-${id}`;
    }
    return figure;
  }

  /* Show a finished image once, wherever the page already is; link it under its parent. */
  function addImage(turn, media, call) {
    if (!media || !media.document_id) return;
    const images = imagesOf(turn);
    if (call) images.querySelector(`[data-placeholder="${esc(call)}"]`)?.remove();
    if (document.querySelector(`.image-card[data-document-id="${esc(media.document_id)}"]`)) return;
    images.insertBefore(figureFor(media, call), images.querySelector("[data-placeholder], .image-failed"));
    linkUnderParent(media);
    announce("A new image is ready.");
  }

  function linkUnderParent(media) {
    const parentId = media.input_image_document_id;
    const parent = parentId && document.querySelector(`.image-card[data-document-id="${esc(parentId)}"]`);
    if (!parent) return;
    const children = slot(parent, "children");
    if (children.querySelector(`[data-child="${esc(media.document_id)}"]`)) return;
    children.append(chip(media.document_id, media.thumbnail_url || media.url, "a refinement of this image"));
    children.hidden = false;
  }

  function imageFailed(turn, call, error) {
    const images = imagesOf(turn);
    images.querySelector(`[data-placeholder="${esc(call)}"]`)?.remove();
    if (finished(turn) || images.querySelector(`[data-failed-call="${esc(call)}"]`)) return;
    const note = document.createElement("p");
    note.className = "image-failed";
    note.dataset.failedCall = call;
    note.textContent = `The image could not be made: ${error || "unknown error"}`;
    images.append(note);
  }

  // --- run endings ------------------------------------------------------------------------------
  function finish(turn, status, event) {
    const reply = turn.querySelector(".bubble.assistant");
    imagesOf(turn).querySelectorAll("[data-placeholder]").forEach((node) => node.remove());
    if (status === "completed") {
      for (const media of event.generated_media || []) addImage(turn, media, null);
      setReplyText(turn, event.final_content ?? event.content, true);
    } else if (event.content) {
      setReplyText(turn, event.content, false);
    }
    const state = slot(reply, "state");
    if (!finished(turn)) {
      state.textContent = status === "failed" ? `Failed: ${event.error || "the run failed"}`
        : status === "cancelled" ? "Stopped." : "";
      announce(status === "completed" ? "The reply is complete." : state.textContent);
    }
    if (event.message_id) reply.dataset.messageId = event.message_id;
    const model = event.model_name ? `${event.model_provider}/${event.model_name}` : "";
    const meta = slot(reply, "meta");
    if (model && !meta.textContent.includes(model)) meta.textContent = meta.textContent ? `${meta.textContent} · ${model}` : model;
    turn.dataset.status = status;
    turn.removeAttribute("aria-busy");
    if (activeRunId === event.run_id) setActive(null);
  }

  // --- the feed's events ----------------------------------------------------------------------------
  const handlers = {
    user_message(e) {
      setRunning(ensureTurn(e.run_id, { messageId: e.message_id, content: e.content }), e.run_id);
    },
    content_streaming(e) {
      const turn = ensureTurn(e.run_id);
      setRunning(turn, e.run_id);
      setReplyText(turn, e.accumulated_content ?? null, false);
    },
    tool_call_start(e) { if (e.hosted) placeholder(ensureTurn(e.run_id), e.tool_call_id); },
    tool_call_ready(e) { if (e.hosted && e.tool_call) placeholder(ensureTurn(e.run_id), e.tool_call.id); },
    media_preview(e) { showPreview(ensureTurn(e.run_id), e.tool_call_id, e.index ?? 0, e.preview && e.preview.data_url); },
    media_generated(e) { addImage(ensureTurn(e.run_id), e.media, e.tool_call_id); },
    media_failed(e) { imageFailed(ensureTurn(e.run_id), e.tool_call_id, e.error); },
    run_restarted(e) {
      const turn = ensureTurn(e.run_id);
      if (finished(turn)) return;
      setReplyText(turn, "", true);
      imagesOf(turn).querySelectorAll("[data-placeholder], .image-failed").forEach((node) => node.remove());
    },
    run_ended(e) { finish(ensureTurn(e.run_id), "completed", e); },
    run_failed(e) { finish(ensureTurn(e.run_id), "failed", e); },
    run_cancelled(e) { finish(ensureTurn(e.run_id), "cancelled", e); },
  };

  function apply(event) {
    const handler = handlers[event.type];
    if (!handler || !event.run_id) return;
    handler(event);
    if (pinned) followLatest();
  }

  // Someone reading the latest turn keeps seeing it grow; someone who scrolled up is left alone.
  let pinned = true;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
  }
  function followLatest() {
    window.scrollTo({ top: document.documentElement.scrollHeight });
  }
  window.addEventListener("scroll", () => { pinned = nearBottom(); }, { passive: true });
  turnList.addEventListener("load", () => { if (pinned) followLatest(); }, true); // images growing

  // --- the websocket ------------------------------------------------------------------------------
  let socket = null;
  let attempts = 0;
  let retryTimer = null;
  let lastHeard = 0;
  let gone = false;

  function setStatus(state, text) {
    feedStatus.dataset.state = state;
    feedStatus.textContent = text;
  }

  function connect() {
    window.clearTimeout(retryTimer);
    if (gone || (socket && socket.readyState <= WebSocket.OPEN)) return;
    const url = new URL(`/ws/threads/${config.threadId}`, window.location.href);
    url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    if (cursor) url.searchParams.set("last_event_id", cursor);
    setStatus("connecting", attempts ? "Reconnecting…" : "Connecting…");
    const ws = new WebSocket(url);
    let opened = false;
    socket = ws;
    ws.addEventListener("open", () => {
      opened = true;
      attempts = 0;
      lastHeard = Date.now();
      setStatus("live", "Live");
    });
    ws.addEventListener("message", (message) => {
      lastHeard = Date.now();
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (event.type === "pong") return;
      apply(event);
      saveCursor(event.event_id);
    });
    ws.addEventListener("close", async (closed) => {
      if (socket !== ws) return;
      socket = null;
      // A refused handshake looks like any network failure to a browser: ask the page itself.
      const refusal = closed.code === 4404 || closed.code === 4403 ? "gone" : opened ? null : await refused();
      if (refusal) {
        gone = true;
        setStatus("closed", refusal === "signed-out" ? "You are signed out: reload the page to sign in again."
          : "This thread is no longer available to you.");
        if (sendButton) sendButton.disabled = true;
        return;
      }
      retry();
    });
  }

  async function refused() {
    try {
      const response = await fetch(window.location.href, { method: "HEAD", credentials: "same-origin", cache: "no-store" });
      if (response.redirected && new URL(response.url).pathname.startsWith("/accounts/login")) return "signed-out";
      return response.status === 404 ? "gone" : null;
    } catch {
      return null; // offline: keep trying
    }
  }

  function retry() {
    attempts += 1;
    const delay = Math.min(10000, 500 * 2 ** Math.min(attempts - 1, 5)) * (0.75 + Math.random() / 2);
    setStatus("offline", "Connection lost: reconnecting…");
    retryTimer = window.setTimeout(connect, delay);
  }

  // A silent connection (a sleeping laptop, a dead proxy) is noticed by its missing pongs.
  window.setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > 45000) { socket.close(); return; }
    socket.send(JSON.stringify({ type: "ping" }));
  }, 20000);
  window.addEventListener("online", () => { attempts = 0; connect(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) connect(); });
  window.addEventListener("pageshow", (event) => { if (event.persisted) connect(); });

  // For tests and the curious: drop the connection as a network failure would.
  window.easelFeed = {
    drop() { if (socket) socket.close(); },
    get cursor() { return cursor; },
    get connected() { return Boolean(socket && socket.readyState === WebSocket.OPEN); },
  };

  // --- sending --------------------------------------------------------------------------------------
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
      const input = form.elements[field];
      if (input && input.type !== "hidden" && input.setAttribute) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    (first || general).focus?.();
  }

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
      if (data.run_id) {
        const turn = ensureTurn(data.run_id, { messageId: data.user_message_id, content: data.content, refines: data.refines });
        setRunning(turn, data.run_id);
        if (refining) placeholder(turn, "direct");
        pinned = true;
        followLatest();
      }
      const details = form.closest("details");
      if (details) details.open = false;
    } catch {
      showErrors(form, { __all__: [{ message: "Easel could not be reached. Check the connection and try again." }] });
    } finally {
      delete form.dataset.busy;
      button.disabled = form === composer && Boolean(activeRunId);
    }
  });

  if (composer) {
    const text = composer.elements.content;
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    const imageToggle = composer.elements.image_generation;
    const syncToggle = () => { composer.elements.image_model.disabled = !imageToggle.checked; };
    imageToggle.addEventListener("change", syncToggle);
    syncToggle();
    stopButton.addEventListener("click", stopRun);
    loadCatalog();
  }

  async function stopRun() {
    if (!activeRunId) return;
    stopButton.disabled = true;
    try {
      await fetch(`/api/threads/${config.threadId}/runs/${activeRunId}/cancel`, {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": composer.elements.csrfmiddlewaretoken.value, "X-Easel-Project": config.projectId },
      });
    } finally {
      stopButton.disabled = false;
    }
  }

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

  // --- start --------------------------------------------------------------------------------------------
  setActive(activeRunId);
  if (!window.location.hash && turnList.children.length) {
    followLatest();
    window.addEventListener("load", followLatest, { once: true });
  }
  connect();
})();
