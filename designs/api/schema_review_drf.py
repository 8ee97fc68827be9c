"""The descriptions of the review routes (designs/api/review.py), as in `schema_drf`, and the
stand-in for the revise view (designs/api/revise.py, a plain async view like the turn's)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from designs.api.schema import PAGE, READ, WRITE, answers, errors, path_id, query
from designs.api.schema_components import REVIEW_STATUS, STRING, ref
from designs.api.schema_drf import described
from designs.api.schema_review import BULK_BODY, COMMENT_BODY, DECISION_BODY, POLICY_BODY, REVISE_BODY

DOCUMENT_ID = path_id("document_id", "An image of the project (another project's is not found).")
JSON = "application/json"
WHO_DECIDES = (
    "Owners, admins and reviewers decide, and keys of the reviewer or admin role; members and member keys get 403."
)

EXTENSIONS = [
    described(
        "designs.api.review.ReviewPolicyApi",
        "review",
        get={"summary": "The project's review policy", "responses": answers(200, "ReviewPolicy", "", *READ)},
        put={
            "summary": "Change the review policy (the fields sent)",
            "description": "Owners and admins, and admin keys. Every switch is off until set.",
            "request": {JSON: POLICY_BODY},
            "responses": answers(200, "ReviewPolicy", "The policy as changed.", *WRITE),
        },
    ),
    described(
        "designs.api.review.ReviewListApi",
        "review",
        get={
            "summary": "The review queue: generated and edited images, newest first",
            "parameters": [
                *PAGE,
                query("status", REVIEW_STATUS, "Only images in this review status."),
                query("thread_id", {"type": "string", "format": "uuid"}, "Only this thread's images."),
                query("flag", {"type": "string", "maxLength": 64}, "Only images with this flag code (`any`: flagged)."),
                query("model_name", {"type": "string", "maxLength": 200}, "Only this image model's images."),
            ],
            "responses": answers(200, "ReviewList", "", *READ),
        },
    ),
    described(
        "designs.api.review.DocumentReviewApi",
        "review",
        post={
            "summary": "Decide on an image: approve, request changes or reject",
            "description": WHO_DECIDES + " A decision is final; deciding twice, or on an image a newer "
            "version supersedes, is a 409 naming its state.",
            "parameters": [DOCUMENT_ID],
            "request": {JSON: DECISION_BODY},
            "responses": answers(200, "ReviewDecided", "The image's status after the decision.", *WRITE, 409),
        },
    ),
    described(
        "designs.api.review.ReviewBulkApi",
        "review",
        post={
            "summary": "Decide on many images at once (at most 500)",
            "description": WHO_DECIDES + " Each image is decided on its own: one that is unknown, another "
            "project's or already decided fails only itself.",
            "request": {JSON: BULK_BODY},
            "responses": answers(200, "BulkReview", "One result per id, in order.", *WRITE),
        },
    ),
    described(
        "designs.api.review.DocumentCommentsApi",
        "review",
        get={
            "summary": "An image's review comments, oldest first, with their resolved state",
            "parameters": [DOCUMENT_ID],
            "responses": answers(200, "CommentList", "", *READ),
        },
        post={
            "summary": "Comment on an image, optionally on regions of it",
            "description": "Every member and key of the project comments. Regions are in the image's pixels "
            "(at most 32); one outside the image or without an area is a 400.",
            "parameters": [DOCUMENT_ID],
            "request": {JSON: COMMENT_BODY},
            "responses": answers(201, "Comment", "The comment.", *WRITE),
        },
    ),
    described(
        "designs.api.review.CommentResolveApi",
        "review",
        post={
            "summary": "Mark a comment resolved (again: no change)",
            "parameters": [path_id("comment_id")],
            "request": None,
            "responses": answers(200, "Comment", "The comment, resolved.", *WRITE),
        },
    ),
]


class ReviseDoc(APIView):
    @extend_schema(
        operation_id="document_revise",
        tags=["review"],
        summary="Apply comments: one edit of the image confined to their regions",
        description=(
            "One run edits the image inside the comments' regions (every pixel farther than the 6 px feather "
            "stays the image's), with a prompt built from their texts and `prompt`. Its image is a new pending "
            "version that resolves the comments. Comments of another image are a 400."
        ),
        parameters=[DOCUMENT_ID],
        request={JSON: REVISE_BODY},
        responses={
            (202, JSON): OpenApiResponse(response=ref("Revision"), description="Started."),
            (200, "text/event-stream"): OpenApiResponse(response=STRING, description="The run's events (stream=true)."),
            **errors(*WRITE, 409),
        },
    )
    def post(self, request: Any, document_id: str) -> None: ...


class FeedEventsDoc(APIView):
    @extend_schema(
        operation_id="feed_events",
        tags=["review"],
        summary="Follow the project's feed (or one thread's) as Server-Sent Events",
        description=(
            "Run events and the review news no run carries (review_updated, comment_added), replayed after "
            "Last-Event-ID (or ?after=), then live. A connection lasts EASEL_FEED_SECONDS at most (300 by "
            "default); reconnect with the last event id, as EventSource does."
        ),
        parameters=[
            query("thread_id", {"type": "string", "format": "uuid"}, "Only this thread's feed."),
            query("types", {"type": "string", "maxLength": 400}, "Comma-separated event types to keep."),
            query("after", {"type": "string", "pattern": r"^\d{1,20}-\d{1,20}$"}, "Resume after this event id."),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(response=STRING, description="The feed's events."),
            **errors(*READ),
        },
    )
    def get(self, request: Any) -> None: ...


# (path, stand-in): joined to schema.PLAIN_VIEWS by its preprocessing hook.
REVIEW_PLAIN_VIEWS = [("/api/documents/{document_id}/revise", ReviseDoc), ("/api/events", FeedEventsDoc)]
