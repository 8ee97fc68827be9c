"""The review API: a project's policy, the queue, decisions (one image or many), and comments.

    GET|PUT /api/review/policy                  the policy; PUT changes the fields sent (owners, admins)
    GET     /api/reviews?status=&thread_id=&flag=&model_name=&skip=&limit=   the queue, newest first
    POST    /api/documents/{id}/review          {"decision", "reason"?, "reason_code"?}
    POST    /api/reviews/bulk                   {"document_ids": [...], "decision", "reason"?}
    GET|POST /api/documents/{id}/comments       {"text", "regions"?}
    POST    /api/comments/{id}/resolve

Thin: read the body, name the actor (`who_of`), call designs.services.review or .comments, shape
the answer (designs.payloads). The services decide who may do what; reviewers, read-only
elsewhere, write here (`reviewer_writes`, read by designs.auth). The revise that turns comments
into an edit streams, so it is a plain async view: designs/api/revise.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from designs.api.base import ProjectApiView
from designs.auth import ApiCaller
from designs.exceptions import Invalid
from designs.models import DocumentParent, ReviewStatus
from designs.parsers import BoundedJSONParser
from designs.payloads import comment_payload, decision_payload, policy_payload, review_payload
from designs.selectors import comments_on, review_queue
from designs.services import review
from designs.services.comments import comment_add, comment_resolve, comments_of
from designs.services.review import Who
from designs.services.threads import thread_get

POLICY_FIELDS = ("required", "gate_delivery", "approvals_needed", "blocked_terms")


def who_of(caller: ApiCaller) -> Who:
    """The actor of a review action: the signed-in member by their role, or the key by its own."""
    return Who(role=str(caller.role), via=caller.via, user=caller.user, api_key=caller.api_key)


def text_field(data: dict[str, Any], name: str) -> Any:
    """A body's optional text: absent or null is "" (the service refuses anything not text)."""
    value = data.get(name)
    return "" if value is None else value


class ReviewApiView(ProjectApiView):
    parser_classes = [BoundedJSONParser]

    def who(self) -> Who:
        return who_of(self.request.user)

    def body(self) -> dict[str, Any]:
        if not isinstance(self.request.data, dict):
            raise Invalid("The JSON body must be an object")
        return self.request.data


class ReviewPolicyApi(ReviewApiView):
    def get(self, request: Request) -> Response:
        return Response(policy_payload(review.policy_of(self.project)))

    def put(self, request: Request) -> Response:
        changes = self.body()
        if not changes:
            raise Invalid(f"Send at least one of {', '.join(POLICY_FIELDS)}")
        return Response(policy_payload(review.policy_update(self.project, self.who(), dict(changes))))


class ReviewListApi(ReviewApiView):
    """`GET /reviews`: the images a reviewer goes through → {"reviews": [...], "total": N}."""

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ReviewStatus.values, required=False)
        thread_id = serializers.UUIDField(required=False)
        flag = serializers.CharField(required=False, max_length=64)
        model_name = serializers.CharField(required=False, max_length=200)

    def get(self, request: Request) -> Response:
        skip, limit = self.page()
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        criteria = filters.validated_data
        thread = None
        if thread_id := criteria.get("thread_id"):
            thread = thread_get(project=self.project, thread_id=thread_id)
        queue = review_queue(
            project=self.project, status=criteria.get("status"), flag=criteria.get("flag"), thread=thread
        )
        if model_name := criteria.get("model_name"):
            queue = queue.filter(model_name=model_name)
        links = Prefetch("parent_links", queryset=DocumentParent.objects.order_by("position"))
        page = list(queue.prefetch_related(links)[skip : skip + limit])
        approvals = review.approvals_by_document([d.id for d in page])
        needed = review.policy_of(self.project).approvals_needed
        reviews = [
            review_payload(d, self.base_url(), approvals=approvals.get(d.id, 0), approvals_needed=needed) for d in page
        ]
        return Response({"reviews": reviews, "total": queue.count()})


class DocumentReviewApi(ReviewApiView):
    reviewer_writes = True

    def post(self, request: Request, document_id: uuid.UUID) -> Response:
        document = review.document_of(self.project, document_id)
        data, who = self.body(), self.who()
        decided = review.decide(
            document,
            who,
            data.get("decision"),
            reason=text_field(data, "reason"),
            reason_code=text_field(data, "reason_code"),
        )
        decision = review.decision_by(decided, who)
        return Response(
            {
                "document_id": str(decided.id),
                "review_status": decided.review_status,
                "decision": decision_payload(decision) if decision is not None else None,
                "approvals": review.approvals_of(decided),
                "approvals_needed": review.policy_of(self.project).approvals_needed,
            }
        )


class ReviewBulkApi(ReviewApiView):
    reviewer_writes = True

    def post(self, request: Request) -> Response:
        data = self.body()
        results = review.bulk_decide(
            self.project, self.who(), data.get("document_ids"), data.get("decision"), reason=text_field(data, "reason")
        )
        return Response({"results": results})


class DocumentCommentsApi(ReviewApiView):
    reviewer_writes = True

    def get(self, request: Request, document_id: uuid.UUID) -> Response:
        document = review.document_of(self.project, document_id)
        comments = [comment_payload(c) for c in comments_on(document=document)]
        return Response({"comments": comments, "total": len(comments)})

    def post(self, request: Request, document_id: uuid.UUID) -> Response:
        document = review.document_of(self.project, document_id)
        data = self.body()
        comment = comment_add(document, self.who(), text=data.get("text"), regions=data.get("regions"))
        return Response(comment_payload(comment), status=201)


class CommentResolveApi(ReviewApiView):
    reviewer_writes = True

    def post(self, request: Request, comment_id: uuid.UUID) -> Response:
        (comment,) = comments_of(self.project, [str(comment_id)])
        return Response(comment_payload(comment_resolve(comment, self.who())))
