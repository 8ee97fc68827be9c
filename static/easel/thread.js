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
  const heading = document.querySelector(".thread-heading");
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
  /* Say `text` through the page's one live region. What is said in the same moment (an image and
     the reply that ends with it) is said together, not the last instead of the first. */
  let toSay = [];
  function announce(text) {
    if (!text) return;
    toSay.push(text);
    if (toSay.length > 1) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = toSay.join(" "); toSay = []; }, 50);
  }
  /* Django's truncatechars: at most `length` characters, the last one "…" when cut. */
  function truncate(text, length) {
    const chars = [...text];
    return chars.length > length ? `${chars.slice(0, length - 1).join("")}…` : text;
  }
  function imageUrl(documentId) {
    return config.imageUrl.replace(config.noId, documentId);
  }

  // --- the thread's name ------------------------------------------------------------------------------
  /* A thread without a title is named by its first message, as the server names it on a reload
     (designs/views/threads.py): the heading at 120 characters, the document's title at 60. */
  function nameThread(content) {
    if (!heading || !("untitled" in heading.dataset) || !content) return;
    const before = heading.textContent;
    delete heading.dataset.untitled;
    heading.textContent = truncate(content, 120);
    const short = truncate(content, 60);
    const title = document.title;
    document.title = title.startsWith(before) ? short + title.slice(before.length) : `${short} · ${title}`;
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
      nameThread(user.content);
      const attached = user.refines ? [user.refines] : user.attachments || [];
      const refines = slot(bubble, "refines");
      if (attached.length && refines.hidden) {
        slot(refines, "refines-label").textContent = user.refines ? "Editing" : "Attached";
        const note = slot(refines, "area-note");
        const alt = user.refines ? "the image being edited" : "an attached image";
        for (const item of attached) refines.insertBefore(chip(item.document_id, item.thumbnail_url, alt), note);
        if (user.areaNote) { note.textContent = `only ${user.areaNote}`; note.dataset.words = user.areaNote; note.hidden = false; }
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

  function figureFor(media, call, turnWords) {
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
    const note = editNote(media.edit_area, turnWords);
    if (note) { slot(figure, "edit-note").textContent = note; slot(figure, "edit-note").hidden = false; }
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

  /* "Edited inside a 160×80 area" for an edit confined to an area (as designs/views/pictures.py says it). */
  function editNote(area, turnWords) {
    if (!area) return "";
    const corners = (area.regions || []).flatMap((r) => r.points || [[r.x, r.y], [r.x + r.width, r.y + r.height]]);
    // An edit confined by its turn records the area on the turn's mask, which the turn shows.
    if (!corners.length) return `Edited ${turnWords || "inside a marked area"}`;
    const span = (i) => Math.round(Math.max(...corners.map((p) => p[i])) - Math.min(...corners.map((p) => p[i])));
    return `Edited inside a ${span(0)}×${span(1)} area`;
  }

  /* Show a finished image once, wherever the page already is; link it under its parent. */
  function addImage(turn, media, call) {
    if (!media || !media.document_id) return;
    const images = imagesOf(turn);
    if (call) images.querySelector(`[data-placeholder="${esc(call)}"]`)?.remove();
    if (document.querySelector(`.image-card[data-document-id="${esc(media.document_id)}"]`)) return;
    const words = slot(turn.querySelector(".bubble.user"), "area-note").dataset.words;
    images.insertBefore(figureFor(media, call, words), images.querySelector("[data-placeholder], .image-failed"));
    linkUnderParent(media);
    document.dispatchEvent(new CustomEvent("easel:image", { detail: media }));
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
    announce(note.textContent);
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
      const error = event.error || "the run failed";
      state.textContent = status === "failed" ? `Failed: ${error}` : status === "cancelled" ? "Stopped." : "";
      // The reply is said once, whole, when it ends: its text streams outside any live region.
      const said = slot(reply, "text").textContent.trim();
      announce(status === "completed" ? said || "The reply is complete."
        : status === "failed" ? `The reply could not be finished: ${error}` : "Stopped.");
    }
    if (event.message_id) reply.dataset.messageId = event.message_id;
    const model = event.model_name ? `${event.model_provider}/${event.model_name}` : "";
    const meta = reply.querySelector(':scope > [data-slot="meta"]');  // not an image card's own meta
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
    if (pinned && !refining()) followLatest();
  }

  // Someone writing in a refine panel keeps it in view while other runs stream in.
  const refining = () => Boolean(document.activeElement?.closest(".turns .refine[open]"));

  // Someone reading the latest turn keeps seeing it grow; someone who scrolled up is left alone.
  let pinned = true;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
  }
  function followLatest() {
    window.scrollTo({ top: document.documentElement.scrollHeight });
  }
  window.addEventListener("scroll", () => { pinned = nearBottom(); }, { passive: true });
  turnList.addEventListener("load", () => { if (pinned && !refining()) followLatest(); }, true); // images growing

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

  // --- for composer.js, which sends turns and shows them here at once ---------------------------------
  window.easelThread = {
    config,
    ensureTurn,
    setRunning,
    placeholder,
    get activeRunId() { return activeRunId; },
    showLatest() { pinned = true; followLatest(); },
    /* Focus on a turn itself (not one of its controls), so what is read next is that turn. */
    focusTurn(turn) {
      turn.tabIndex = -1;
      turn.focus({ preventScroll: true });
    },
  };

  // --- start --------------------------------------------------------------------------------------------
  setActive(activeRunId);
  if (!window.location.hash && turnList.children.length) {
    followLatest();
    window.addEventListener("load", followLatest, { once: true });
  }
  connect();
})();
