"""Options every backend accepts for results and artifacts.

``runstore.open(url, allow_pickle=True, inline_limit=65536, artifacts="s3://b/p")``, the
same keys under ``options:`` in ``runstore.yaml``, and ``?artifacts=...`` in the URL.
``allow_pickle`` is never read from a URL: turning on code execution must be explicit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from runstore.errors import InvalidInput
from runstore.registry.url import StoreURL

__all__ = ["DEFAULT_INLINE_LIMIT", "ResultOptions", "split_options", "without_query"]

DEFAULT_INLINE_LIMIT: Final = 1024 * 1024
_KEYS: Final = ("allow_pickle", "inline_limit", "artifacts")


class ResultOptions(BaseModel):
    """``allow_pickle``: the pickle serializer may be used (off: unpickling runs code).
    ``inline_limit``: encoded values larger than this many bytes go to the artifact
    store and the record keeps their ref. ``artifacts``: where blobs live (a URL)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    allow_pickle: bool = False
    inline_limit: int = Field(default=DEFAULT_INLINE_LIMIT, ge=0)
    artifacts: str | None = Field(default=None, min_length=1)


def without_query(url: StoreURL, *names: str) -> StoreURL:
    """``url`` with the query parameters ``names`` removed (others kept in order)."""
    if "?" not in url.rest:
        return url
    base, _, query = url.rest.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in names]
    rest = f"{base}?{urlencode(kept, safe='/:@')}" if kept else base
    return StoreURL(scheme=url.scheme, rest=rest)


def split_options(url: StoreURL, options: Mapping[str, object]
                  ) -> tuple[ResultOptions, dict[str, object], StoreURL]:
    """Take the result and artifact options out of ``options`` and ``url``.

    Returns them, the options left for the backend, and the URL without ``?artifacts``.
    """
    mine = {key: options[key] for key in _KEYS if key in options}
    rest = {key: value for key, value in options.items() if key not in _KEYS}
    in_url = url.query.get("artifacts")
    if in_url is not None:
        if mine.get("artifacts", in_url) != in_url:
            raise InvalidInput(f"{url}: artifacts is given both in the URL and as an option")
        mine["artifacts"] = in_url
    try:
        parsed = ResultOptions.model_validate(mine)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InvalidInput(f"option {where} for {url}: {error['msg']}") from exc
    return parsed, rest, without_query(url, "artifacts")
