"""Moderation: the classifiers that look at each generated image and what they flag.

A classifier is any callable named in EASEL_MODERATION_CLASSIFIERS (dotted paths) with this shape:

    def classify(document: Document, *, blocked_terms: list[str]) -> list[dict]

returning flags `{"code": str, "label": str, "score": float}` (an empty list when all is well). It
runs after the image is stored, in the worker; it must not call out to the network without its own
timeout. A flagged image goes to `pending` with its flags, and is never delivered while the project
gates delivery. The default is `blocked_terms`, a word rule over the prompts.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from designs.models import Document

logger = logging.getLogger(__name__)
DEFAULT_CLASSIFIERS = ("designs.services.moderation.blocked_terms",)

Classifier = Callable[..., list[dict[str, Any]]]


def blocked_terms(document: Document, *, blocked_terms: list[str]) -> list[dict[str, Any]]:
    """A flag for each of the project's blocked terms found, as a whole word or phrase, in the
    prompt or the provider's revised prompt (case does not matter)."""
    text = f"{document.prompt or ''}\n{document.revised_prompt or ''}".lower()
    flags = []
    for term in blocked_terms:
        words = str(term).strip().lower()
        if words and re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text):
            flags.append({"code": "blocked_term", "label": f"Blocked term: {words}", "score": 1.0})
    return flags


@functools.cache
def _classifiers(paths: tuple[str, ...]) -> tuple[Classifier, ...]:
    return tuple(import_string(path) for path in paths)


def classify(document: Document, *, terms: list[str]) -> list[dict[str, Any]]:
    """Every configured classifier's flags for `document`. A classifier that fails is logged and
    flags the image for a person to look at, rather than letting it through unseen."""
    paths = tuple(getattr(settings, "EASEL_MODERATION_CLASSIFIERS", None) or DEFAULT_CLASSIFIERS)
    flags: list[dict[str, Any]] = []
    for path, classifier in zip(paths, _classifiers(paths), strict=True):
        try:
            found = classifier(document, blocked_terms=list(terms))
        except Exception:
            logger.exception("moderation classifier %s failed on document %s", path, document.id)
            found = [{"code": "classifier_error", "label": f"{path.rsplit('.', 1)[-1]} could not decide", "score": 0.0}]
        flags += [_flag(flag) for flag in found or []]
    return flags


def _flag(flag: Any) -> dict[str, Any]:
    flag = flag if isinstance(flag, dict) else {}
    return {
        "code": str(flag.get("code") or "flagged")[:64],
        "label": str(flag.get("label") or flag.get("code") or "Flagged")[:200],
        "score": float(flag.get("score") or 0.0),
    }
