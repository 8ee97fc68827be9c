"""One mapping from the domain's errors to what a client sees, the same through DRF's handler
and through the async views' wrapper."""

from __future__ import annotations

import asyncio
import json

import pytest

from designs import errors, exceptions
from designs.services.threads import assistant_default, thread_create


def every_domain_error() -> list[type[exceptions.DomainError]]:
    """DomainError and every subclass of it, wherever it is defined."""
    found, todo = [], [exceptions.DomainError]
    while todo:
        kind = todo.pop()
        found.append(kind)
        todo += kind.__subclasses__()
    return found


def raised(kind: type[exceptions.DomainError]) -> exceptions.DomainError:
    return kind("it went wrong", retry_after=7) if kind is exceptions.LimitReached else kind("it went wrong")


@pytest.mark.parametrize("kind", every_domain_error(), ids=lambda k: k.__name__)
def test_every_domain_error_has_a_status_and_both_edges_answer_it_alike(kind):
    exc = raised(kind)

    drf = errors.api_exception_handler(exc, {})

    @errors.json_errors
    async def view(request):
        raise exc

    plain = asyncio.run(view(None))
    assert drf.status_code == plain.status_code == errors.status_of(exc)
    assert drf.data == json.loads(plain.content) == {"detail": "it went wrong", **getattr(exc, "fields", {})}
    assert dict(drf.headers).get("Retry-After") == plain.headers.get("Retry-After")


def test_the_table_has_a_row_for_every_kind():
    assert set(every_domain_error()) <= set(errors.STATUSES)


def test_the_table_gives_each_kind_its_own_status():
    statuses = {kind.__name__: errors.status_of(raised(kind)) for kind in every_domain_error()}
    assert statuses == {
        "DomainError": 400,
        "Invalid": 400,
        "NotConfigured": 400,
        "Forbidden": 403,
        "NotFound": 404,
        "Conflict": 409,
        "Mismatch": 422,
        "TooLarge": 413,
        "UnsupportedMedia": 415,
        "LimitReached": 429,
        "BudgetSpent": 429,
    }
    assert errors.headers_of(raised(exceptions.LimitReached)) == {"Retry-After": "7"}


def test_another_projects_thread_is_not_found_through_the_real_api(alpha, bravo):
    theirs = thread_create(project=bravo.project, assistant=assistant_default(project=bravo.project))

    drf_view = alpha.client.get(f"/api/threads/{theirs.id}")
    async_view = alpha.client.post(
        "/api/threads/messages",
        data=json.dumps({"content": "hi", "thread_id": str(theirs.id)}),
        content_type="application/json",
    )

    for answer in (drf_view, async_view):
        assert (answer.status_code, answer.json()) == (404, {"detail": "Thread not found"})


def test_a_spent_budget_tells_a_program_which_limit_how_much_is_used_and_when_it_resets():
    exc = exceptions.BudgetSpent(
        "The project's image budget for today is spent", 120, limit=5, used=5, resets_at="2026-12-08T00:00:00Z"
    )

    drf = errors.api_exception_handler(exc, {})

    assert drf.status_code == 429
    assert drf.data == {
        "detail": "The project's image budget for today is spent",
        "limit": 5,
        "used": 5,
        "resets_at": "2026-12-08T00:00:00Z",
    }
    assert dict(drf.headers)["Retry-After"] == "120"
