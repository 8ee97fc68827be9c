/* The review queue: J/K move through the images, Enter opens one, X selects it, A approves it,
   C and R ask for a reason and then request changes or reject; many selected images are decided
   at once from the bar above. New images and others' decisions arrive over the project's feed.

   Without this script the page still works: links open images, and the checkboxes and the bar
   are one form that posts. */
(() => {
  "use strict";

  const review = window.easelReview;
  const config = review.config;
  const list = document.getElementById("queue");
  const empty = document.getElementById("queue-empty");
  const summary = document.getElementById("queue-summary");
  const bulk = document.querySelector("form[data-bulk]");
  const dialog = document.getElementById("reason-dialog");
  const esc = (value) => CSS.escape(String(value));

  const items = () => [...list.querySelectorAll(".queue-item")];
  const itemOf = (id) => list.querySelector(`.queue-item[data-document-id="${esc(id)}"]`);
  const boxes = () => [...list.querySelectorAll(".queue-check")];

  // --- moving through the queue -------------------------------------------------------------------
  let current = null;

  function mark(item) {
    if (current === item) return;
    if (current) { current.classList.remove("is-current"); current.removeAttribute("aria-current"); }
    current = item;
    if (item) { item.classList.add("is-current"); item.setAttribute("aria-current", "true"); }
  }

  function focusItem(item) {
    if (!item) return;
    mark(item);
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const at = all.indexOf(current);
    focusItem(all[at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step))]);
  }

  list.addEventListener("focusin", (event) => mark(event.target.closest(".queue-item")));
  list.addEventListener("click", (event) => {
    const item = event.target.closest(".queue-item");
    if (item && !event.target.closest("a, input")) focusItem(item);
  });

  // --- deciding ----------------------------------------------------------------------------------------
  function showResult(item, text, failed) {
    const node = item.querySelector("[data-result]");
    node.textContent = text;
    node.classList.toggle("failed", Boolean(failed));
  }

  const FINAL = new Set(["approved", "changes_requested", "rejected"]);

  function applyStatus(item, status, words) {
    item.dataset.status = status;
    const box = item.querySelector(".queue-check");
    if (box && FINAL.has(status)) { box.checked = false; box.disabled = true; }
    review.setBadge(item.querySelector("[data-status-badge]"), status);
    // Left where it is, dimmed, so the reviewer's place in the queue does not jump.
    item.classList.toggle("is-decided", Boolean(config.status) && status !== config.status);
    if (words) showResult(item, words, false);
  }

  async function decideOne(item, decision, reason) {
    const body = new FormData();
    body.set("csrfmiddlewaretoken", review.csrfToken());
    body.set("decision", decision);
    body.set("reason", reason || "");
    showResult(item, "Saving…", false);
    const answer = await review.send(review.url(config.decideUrl, item.dataset.documentId), body);
    if (!answer.ok) {
      showResult(item, answer.error, true);
      review.announce(answer.error);
      return;
    }
    const label = config.labels[answer.review_status];
    applyStatus(item, answer.review_status, answer.review_status === "pending" ? "Approved: it needs another approval." : "");
    if (answer.review_status !== "pending") showResult(item, "", false);
    review.announce(`${label}.`);
  }

  const DIALOG_TITLES = { changes_requested: "Request changes", rejected: "Reject this image" };

  function askReason(decision, then) {
    if (!dialog) return;
    dialog.querySelector("[data-title]").textContent = DIALOG_TITLES[decision];
    dialog.querySelector("[data-confirm]").textContent = DIALOG_TITLES[decision];
    const reason = dialog.querySelector("textarea");
    reason.value = "";
    dialog.returnValue = "";
    dialog.onclose = () => { if (dialog.returnValue === "confirm") then(reason.value); };
    dialog.showModal();
    reason.focus();
  }

  dialog?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && event.target.matches("textarea")) {
      event.preventDefault();
      dialog.close("confirm");
    }
  });
  dialog?.addEventListener("close", () => { if (current) current.focus({ preventScroll: true }); });

  // --- selecting many ------------------------------------------------------------------------------------
  const selectAll = bulk?.querySelector("[data-select-all]");
  const counter = bulk?.querySelector("[data-selected-count]");
  const bulkErrors = bulk?.querySelector("[data-errors]");

  function countSelected() {
    if (!bulk) return;
    const all = boxes().filter((box) => !box.disabled);
    const chosen = all.filter((box) => box.checked).length;
    counter.textContent = chosen ? `${chosen} selected` : "None selected";
    selectAll.checked = chosen > 0 && chosen === all.length;
    selectAll.indeterminate = chosen > 0 && chosen < all.length;
  }

  selectAll?.addEventListener("change", () => {
    boxes().forEach((box) => { if (!box.disabled) box.checked = selectAll.checked; });
    countSelected();
  });
  list.addEventListener("change", (event) => { if (event.target.matches(".queue-check")) countSelected(); });

  // Enter in the reason would submit with the first button (approve): deciding takes a click.
  bulk?.querySelector("input[name=reason]")?.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });

  bulk?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(bulk, event.submitter);
    const chosen = body.getAll("document_ids");
    bulkErrors.textContent = "";
    if (!chosen.length) {
      bulkErrors.innerHTML = "<p></p>";
      bulkErrors.firstChild.textContent = "Select images first: tick them, or press X on one.";
      return;
    }
    const buttons = bulk.querySelectorAll("[data-bulk-decision]");
    buttons.forEach((button) => { button.disabled = true; });
    const answer = await review.send(bulk.action, body);
    buttons.forEach((button) => { button.disabled = false; });
    if (answer.error) {
      bulkErrors.innerHTML = "<p></p>";
      bulkErrors.firstChild.textContent = answer.error;
      return;
    }
    let done = 0;
    for (const result of answer.results || []) {
      const item = itemOf(result.document_id);
      if (!item) continue;
      if (result.ok) {
        done += 1;
        applyStatus(item, result.review_status, result.review_status === "pending" ? "Approved: it needs another approval." : "");
      } else {
        showResult(item, result.detail, true);
      }
    }
    const failed = (answer.results || []).length - done;
    countSelected();
    review.announce(`${done} image${done === 1 ? "" : "s"} decided${failed ? `; ${failed} could not be (see each image)` : ""}.`);
  });

  // --- keys ------------------------------------------------------------------------------------------------
  document.addEventListener("keydown", (event) => {
    if (!review.isShortcut(event)) return;
    const key = event.key.toLowerCase();
    const handled = {
      j: () => move(1),
      k: () => move(-1),
      enter: () => {
        if (current && event.target === current) window.location.assign(current.querySelector("[data-open]").href);
        else return false;
      },
      x: () => {
        const box = current?.querySelector(".queue-check");
        if (!box || box.disabled) return false;
        box.checked = !box.checked;
        countSelected();
      },
      a: () => { if (config.canDecide && current) decideOne(current, "approved", ""); },
      c: () => { if (config.canDecide && current) { const item = current; askReason("changes_requested", (why) => decideOne(item, "changes_requested", why)); } },
      r: () => { if (config.canDecide && current) { const item = current; askReason("rejected", (why) => decideOne(item, "rejected", why)); } },
    }[key];
    if (handled && handled() !== false) event.preventDefault();
  });

  // --- live: new images, others' decisions and comments ----------------------------------------------
  const fetching = new Set();

  async function showNew(documentId) {
    if (!config.live || fetching.has(documentId) || itemOf(documentId)) return;
    fetching.add(documentId);
    try {
      const query = config.query ? `?${config.query}` : "";
      const response = await fetch(review.url(config.cardUrl, documentId) + query, { credentials: "same-origin" });
      if (response.status !== 200 || itemOf(documentId)) return;
      const holder = document.createElement("template");
      holder.innerHTML = (await response.text()).trim();
      const item = holder.content.querySelector(".queue-item");
      if (!item) return;
      list.prepend(item);
      window.easelLocalTimes?.(item);
      list.hidden = false;
      if (summary) summary.hidden = false;
      if (bulk) bulk.hidden = false;
      if (empty) empty.hidden = true;
      countSelected();
      review.announce("A new image is waiting for review.");
    } finally {
      fetching.delete(documentId);
    }
  }

  function showFlags(item, flags) {
    const holder = item.querySelector("[data-flags]");
    holder.replaceChildren(...(flags || []).map((flag) => {
      const tag = document.createElement("span");
      tag.className = "tag flag";
      tag.textContent = flag.label || flag.code;
      return tag;
    }));
  }

  review.follow((event) => {
    const item = itemOf(event.document_id);
    if (event.type === "comment_added") {
      const count = item?.querySelector("[data-comment-count]");
      if (!count) return;
      const seen = (count.dataset.seen || "").split(" ");
      if (seen.includes(event.comment_id)) return;  // a replay
      count.dataset.seen = `${count.dataset.seen || ""} ${event.comment_id}`;
      const n = Number(count.dataset.commentCount) + 1;
      count.dataset.commentCount = String(n);
      count.textContent = `${n} comment${n === 1 ? "" : "s"}`;
      return;
    }
    if (!item) { showNew(event.document_id); return; }
    if (item.dataset.status !== event.review_status) applyStatus(item, event.review_status, "");
    showFlags(item, event.flags);
  });
})();
