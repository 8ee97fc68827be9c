/* The review pages' shared parts: the project's feed (review news arrives on it), status badges,
   posting for a JSON answer, and telling a shortcut key from typing.

   The server renders what is stored and says from which event of the project's feed to go on
   (config.feedPosition); the page applies each event idempotently, so a replay after a dropped
   connection changes nothing twice. */
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("review-config").textContent);
  const announcer = document.getElementById("announcer");
  const feedStatus = document.getElementById("feed-status");

  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function setBadge(badge, status) {
    if (!badge) return;
    badge.dataset.status = status;
    badge.textContent = config.labels[status] || status;
  }

  function url(template, documentId) {
    return template.replace(config.noId, documentId);
  }

  /* POST `body` (FormData) and read the JSON answer; refusals the page did not expect (a 403
     page, a lost session) come back as { ok: false, error } in words too. */
  async function send(action, body) {
    try {
      const response = await fetch(action, {
        method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
      });
      if ((response.headers.get("Content-Type") || "").includes("application/json")) return await response.json();
      if (response.redirected && new URL(response.url).pathname.startsWith("/accounts/login")) {
        return { ok: false, error: "You are signed out: reload the page to sign in again." };
      }
      return { ok: false, error: response.status === 403 ? "You are not allowed to do that." : `The server answered ${response.status}.` };
    } catch {
      return { ok: false, error: "Easel could not be reached: check the connection and try again." };
    }
  }

  function csrfToken() {
    return document.querySelector("input[name=csrfmiddlewaretoken]")?.value || "";
  }

  /* A letter is a shortcut unless it is typed into something, held with a modifier, or a dialog is open. */
  function isShortcut(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return false;
    if (document.querySelector("dialog[open]")) return false;
    const target = event.target;
    if (target.isContentEditable || target.matches("textarea, select")) return false;
    return !(target.matches("input") && !["checkbox", "radio", "button", "submit"].includes(target.type));
  }

  // --- the project's feed -----------------------------------------------------------------------
  let socket = null;
  let attempts = 0;
  let retryTimer = null;
  let lastHeard = 0;
  let cursor = config.feedPosition;
  let gone = false;
  const listeners = [];

  function setStatus(state, text) {
    if (!feedStatus) return;
    feedStatus.dataset.state = state;
    feedStatus.textContent = text;
  }

  function connect() {
    window.clearTimeout(retryTimer);
    if (gone || (socket && socket.readyState <= WebSocket.OPEN)) return;
    const address = new URL(`/ws/projects/${config.projectId}`, window.location.href);
    address.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
    if (cursor) address.searchParams.set("last_event_id", cursor);
    setStatus("connecting", attempts ? "Reconnecting…" : "Connecting…");
    const ws = new WebSocket(address);
    socket = ws;
    ws.addEventListener("open", () => { attempts = 0; lastHeard = Date.now(); setStatus("live", "Live"); });
    ws.addEventListener("message", (message) => {
      lastHeard = Date.now();
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (event.type === "pong") return;
      if (event.event_id) cursor = event.event_id;
      for (const listener of listeners) listener(event);
    });
    ws.addEventListener("close", (closed) => {
      if (socket !== ws) return;
      socket = null;
      if (closed.code === 4404 || closed.code === 4403) {
        gone = true;
        setStatus("closed", "This project is no longer available to you.");
        return;
      }
      attempts += 1;
      const delay = Math.min(10000, 500 * 2 ** Math.min(attempts - 1, 5)) * (0.75 + Math.random() / 2);
      setStatus("offline", "Connection lost: reconnecting…");
      retryTimer = window.setTimeout(connect, delay);
    });
  }

  window.setInterval(() => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > 45000) { socket.close(); return; }
    socket.send(JSON.stringify({ type: "ping" }));
  }, 20000);
  window.addEventListener("online", () => { attempts = 0; connect(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) connect(); });

  window.easelReview = {
    config,
    announce,
    setBadge,
    url,
    send,
    csrfToken,
    isShortcut,
    /* Call `listener` with every review event of the project (review_updated, comment_added). */
    follow(listener) {
      listeners.push((event) => {
        if (event.type === "review_updated" || event.type === "comment_added") listener(event);
      });
      connect();
    },
    get connected() { return Boolean(socket && socket.readyState === WebSocket.OPEN); },
  };
})();
