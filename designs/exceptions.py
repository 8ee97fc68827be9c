"""What can go wrong in Easel's domain, said without HTTP.

Services raise these; the edges translate them: `designs/errors.py` turns each into
`{"detail": ...}` with its status for the API, and the dashboard views show `detail` as words.
Every message is one readable sentence a caller can act on; the edges never rewrite it.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request Easel understood and will not carry out, and why (`detail`)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Invalid(DomainError):
    """The request is malformed or asks for something impossible (a 400)."""


class NotConfigured(Invalid):
    """The request needs a provider, key or setting this project or server does not have."""


class Forbidden(DomainError):
    """The caller is who they say, and their role does not allow this (a 403)."""


class NotFound(DomainError):
    """No such object in the caller's project; other projects' objects are not found either."""


class Conflict(DomainError):
    """The object's current state forbids the change (e.g. a request still in progress)."""


class Mismatch(DomainError):
    """The request repeats a key of an earlier, different request (a 422)."""


class TooLarge(DomainError):
    """The request carries more than Easel accepts (a 413)."""


class UnsupportedMedia(DomainError):
    """The content is of a type Easel does not take (a 415)."""


class LimitReached(DomainError):
    """A configured limit is reached; `retry_after` (seconds) says when trying again can work."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, int(retry_after))


class BudgetSpent(LimitReached):
    """An image budget or quota is spent: the answer says which (`limit`), how much is `used`,
    and when it starts again (`resets_at`, and `retry_after` until then)."""

    def __init__(
        self, detail: str, retry_after: int = 60, *, limit: float = 0, used: float = 0, resets_at: str = ""
    ) -> None:
        super().__init__(detail, retry_after)
        self.fields = {"limit": limit, "used": used, "resets_at": resets_at}
