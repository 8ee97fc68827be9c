"""Reading untrusted input: the one JSON reader every API body goes through, and the date range
every date filter accepts.

Python's json module recurses once per nesting level, so 100,000 `[` ended in RecursionError (a
500). It also accepts what Easel cannot store or send back: NaN and Infinity (PostgreSQL's jsonb
and strict JSON renderers refuse them), `\\u0000` (PostgreSQL refuses NUL in text and jsonb) and
lone surrogates (no database encodes them). `load_json` refuses each with a reason before
anything looks at the data: the nesting depth is measured by a scan, never by recursion.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from itertools import accumulate
from typing import Any

from django.conf import settings
from rest_framework.parsers import BaseParser

from designs.exceptions import DomainError, Invalid, TooLarge

# Easel stores nothing older than the Unix epoch; year 9999 is the last one Python's dates hold.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date.max
DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"

# No number Easel reads needs more than 20 digits, and int() of thousands costs quadratic time.
MAX_INT_DIGITS = 100
# A JSON string, or an unterminated one running to the end: matching the unterminated case too
# keeps the scan linear (otherwise every escaped quote inside it would start a new attempt).
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*\\?(?:"|\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# `\u` that starts an escape: preceded by an even number of backslashes (`\\u0000` is text).
_ESCAPE = r"(?<!\\)((?:\\\\)*)\\u"
_HIGH, _LOW = "[dD][89abAB][0-9a-fA-F]{2}", "[dD][c-fC-F][0-9a-fA-F]{2}"
_NUL = re.compile(_ESCAPE + "0000")
_SURROGATE_PAIR = re.compile(rf"{_ESCAPE}{_HIGH}\\u{_LOW}")
_SURROGATE = re.compile(rf"{_ESCAPE}(?:{_HIGH}|{_LOW})")


class JSONRefused(ValueError):
    """Why a JSON text was refused: `too_large` when it is over the size limit, else malformed.

    A ValueError, not a DomainError: a JSON string inside a field (serializers) or a websocket
    frame (consumers) is refused in its own words; a whole body is refused with `body_error`."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.too_large = too_large

    def body_error(self) -> DomainError:
        """What a request whose whole body is this JSON is answered with (413 or 400)."""
        return TooLarge(str(self)) if self.too_large else Invalid(f"Malformed JSON body: {self}")


def load_json(text: bytes | str) -> Any:
    """The value of a JSON text (UTF-8 when bytes); JSONRefused says why it is not acceptable."""
    limit = size_limit()
    if len(text) > limit:
        raise JSONRefused(f"The JSON is over the limit of {limit} bytes", too_large=True)
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONRefused(f"not UTF-8 (byte {exc.start})") from exc
    _check_text(text)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_short_int)
    except ValueError as exc:
        raise JSONRefused(str(exc)) from exc


def size_limit() -> int:
    """JSON is bounded like any body that is not a file: EASEL_MAX_FORM_BYTES (Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE), within EASEL_MAX_REQUEST_BYTES."""
    limits = (settings.EASEL_MAX_REQUEST_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return min(limit for limit in limits if limit is not None)


class BoundedJSONParser(BaseParser):
    """The parser for application/json on DRF views, reading through `load_json` (a charset
    parameter is ignored: JSON is UTF-8, RFC 8259). Not a JSONParser subclass: DRF reads those
    from `request.body`, whose size error would be a bare 400 instead of this 413."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            # One byte past the limit is enough to know the body is over it.
            return load_json(stream.read(size_limit() + 1))
        except JSONRefused as exc:
            raise exc.body_error() from exc


def _check_text(text: str) -> None:
    max_depth = settings.EASEL_MAX_JSON_DEPTH
    # Fewer opening brackets than the limit cannot nest past it: most bodies stop here.
    if text.count("[") + text.count("{") > max_depth and _depth(text) > max_depth:
        raise JSONRefused(f"nested deeper than {max_depth} levels")
    if "\\u" not in text:
        return
    if _NUL.search(text):
        raise JSONRefused("\\u0000 (NUL) is not allowed in strings")
    lone = _SURROGATE.search(_SURROGATE_PAIR.sub(r"\1", text))
    if lone:
        raise JSONRefused(f"lone surrogate {lone.group(0)[-6:]} is not allowed in strings")


def _depth(text: str) -> int:
    """How deep the brackets outside strings nest. Past the first syntax error the count may be
    too high, never too low, so json.loads never recurses deeper than this."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _short_int(literal: str) -> int:
    digits = len(literal.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {digits} digits is over the limit of {MAX_INT_DIGITS}")
    return int(literal)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):  # 1e400 parses as infinity
        raise ValueError(f"{literal[:40]} is out of range for a number")
    return value
