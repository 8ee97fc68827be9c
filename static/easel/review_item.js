/* One image under review: J/K go to the older/newer image of the queue; A approves; C and R
   request changes or reject, asking for the reason first when none is written; "Apply comments"
   starts the revise run and follows it in place (progress, then the new version or the error).
   Others' decisions and comments on this image are announced from the project's feed.

   Drawing an area for a comment is refine_area.js's (the comment form is an always-open area form). */
(() => {
  "use strict";

  const review = window.easelReview;
  const config = review.config;

  // --- deciding ----------------------------------------------------------------------------------------
  const decision = document.getElementById("decision-form");
  const reason = decision?.querySelector("textarea[name=reason]");
  const hint = decision?.querySelector("[data-reason-hint]");
  const hintText = hint?.innerHTML;
  const VERBS = { changes_requested: "request changes", rejected: "reject" };
  let pending = null;  // the decision waiting for its reason

  const button = (value) => decision.querySelector(`button[name=decision][value="${value}"]`);

  function decide(value) {
    if (!decision) return;
    if (value !== "approved" && !reason.value.trim()) {
      pending = value;
      hint.textContent = `Say why, then press Enter to ${VERBS[value]} (Esc cancels).`;
      hint.classList.add("asking");
      reason.focus();
      return;
    }
    decision.requestSubmit(button(value));
  }

  function stopAsking() {
    pending = null;
    if (hint) { hint.innerHTML = hintText; hint.classList.remove("asking"); }
  }

  reason?.addEventListener("keydown", (event) => {
    if (!pending) return;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      decision.requestSubmit(button(pending));
    } else if (event.key === "Escape") {
      stopAsking();
      reason.blur();
    }
  });

  document.addEventListener("keydown", (event) => {
    if (!review.isShortcut(event)) return;
    const key = event.key.toLowerCase();
    const go = (url) => { if (url) window.location.assign(url); else review.announce("That is the end of the queue."); };
    const handled = {
      j: () => go(config.olderUrl),
      k: () => go(config.newerUrl),
      a: () => (decision ? decide("approved") : false),
      c: () => (decision ? decide("changes_requested") : false),
      r: () => (decision ? decide("rejected") : false),
    }[key];
    if (handled && handled() !== false) event.preventDefault();
  });

  // --- applying comments -----------------------------------------------------------------------------
  const revise = document.querySelector("form[data-revise]");
  const result = revise?.querySelector("[data-revise-result]");
  const reviseErrors = revise?.querySelector("[data-errors]");
  const FINISHED = new Set(["run_ended", "run_failed", "run_cancelled"]);

  function say(html, text) {
    result.hidden = false;
    result.innerHTML = html;
    if (text != null) result.querySelector("[data-text]").textContent = text;
  }

  function sayError(text) {
    say('<p class="revise-error" data-text></p>', `The revision failed: ${text}`);
    review.announce(`The revision failed: ${text}`);
  }

  async function showVersion(documentId) {
    const response = await fetch(`${review.url(config.cardUrl, documentId)}?status=all`, { credentials: "same-origin" });
    if (response.status !== 200) {
      say('<p data-text></p>', "The new version is ready.");
      return;
    }
    say('<p class="revise-done">The new version:</p><ul class="queue single"></ul>');
    const holder = document.createElement("template");
    holder.innerHTML = (await response.text()).trim();
    const card = holder.content.querySelector(".queue-item");
    card.querySelector(".queue-check")?.remove();
    result.querySelector("ul").append(card);
    window.easelLocalTimes?.(card);
    review.announce("The new version is ready for review.");
  }

  /* The applied comments are resolved by the new version: say so on them, and untick them. */
  function markApplied(ids) {
    for (const id of ids) {
      const note = document.querySelector(`.comment[data-comment="${CSS.escape(id)}"]`);
      if (!note) continue;
      note.classList.add("resolved");
      const box = note.querySelector("input[name=comment_ids]");
      if (box) box.remove();
      const tag = document.createElement("span");
      tag.className = "tag ok";
      tag.textContent = "Resolved by the new version";
      note.querySelector(".comment-tags").append(tag);
    }
  }

  function follow(eventsUrl, submit, applied) {
    say('<p class="revise-progress"><span class="spinner" aria-hidden="true"></span> <span data-text></span></p>', "Applying the comments… the new version is being made.");
    const stream = new EventSource(eventsUrl);
    const made = [];
    stream.addEventListener("message", (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (event.type === "media_preview" && event.preview?.data_url && !made.length) {
        let preview = result.querySelector("img.revise-preview");
        if (!preview) {
          preview = document.createElement("img");
          preview.className = "revise-preview";
          preview.alt = "A preview of the new version";
          result.append(preview);
        }
        preview.src = event.preview.data_url;
      } else if (event.type === "media_generated" && event.media?.document_id) {
        if (!made.includes(event.media.document_id)) made.push(event.media.document_id);
      } else if (event.type === "media_failed") {
        sayError(event.error || "the image could not be made");
      }
      if (!FINISHED.has(event.type)) return;
      stream.close();
      submit.disabled = false;
      if (event.type === "run_failed") sayError(event.error || "the run failed");
      else if (event.type === "run_cancelled") say('<p data-text></p>', "The revision was stopped.");
      else if (made.length) { markApplied(applied); showVersion(made[made.length - 1]); }
      else if (!result.querySelector(".revise-error")) say('<p class="revise-error" data-text></p>', `No new image was made. ${event.final_content || event.content || ""}`.trim());
    });
  }

  revise?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(revise, event.submitter);
    reviseErrors.textContent = "";
    if (!body.getAll("comment_ids").length) {
      reviseErrors.innerHTML = "<p></p>";
      reviseErrors.firstChild.textContent = "Tick the comments to apply first.";
      return;
    }
    const submit = revise.querySelector("[data-revise-button]");
    submit.disabled = true;
    const answer = await review.send(revise.action, body);
    if (!answer.ok) {
      submit.disabled = false;
      reviseErrors.innerHTML = "<p></p>";
      reviseErrors.firstChild.textContent = answer.error;
      return;
    }
    follow(answer.events_url, submit, body.getAll("comment_ids"));
  });

  // --- others, live ----------------------------------------------------------------------------------
  const badge = document.querySelector("#status-heading [data-status-badge]");
  const approvals = document.querySelector("[data-approvals]");
  const seenComments = new Set([...document.querySelectorAll("[data-comment]")].map((node) => node.dataset.comment));

  review.follow((event) => {
    if (event.document_id !== config.documentId) return;
    if (event.type === "review_updated") {
      if (badge && badge.dataset.status !== event.review_status) {
        review.setBadge(badge, event.review_status);
        review.announce(`This image is now: ${config.labels[event.review_status]}.`);
      }
      if (approvals && event.approvals) approvals.textContent = `${event.approvals} approval${event.approvals === 1 ? "" : "s"} so far`;
    } else if (event.type === "comment_added" && !seenComments.has(event.comment_id)) {
      seenComments.add(event.comment_id);
      const list = document.getElementById("comment-list");
      list.querySelector("[data-no-comments]")?.remove();
      const note = document.createElement("li");
      note.className = "comment new";
      note.innerHTML = '<div class="comment-head"><strong class="comment-actor"></strong> <span class="muted small">just now · <a href="">reload to draw it</a></span></div><p class="comment-text"></p>';
      note.querySelector(".comment-actor").textContent = event.actor;
      note.querySelector(".comment-text").textContent = event.text;
      list.append(note);
      review.announce(`New comment from ${event.actor}.`);
    }
  });
})();
