"""Store URLs: immutable values that never print a password."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from runstore.errors import InvalidInput

__all__ = ["StoreURL"]

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://(.*)$", re.DOTALL)
_USERINFO_PASSWORD = re.compile(r"^([^/@:?#]*):([^@/?#]*)@")
_QUERY_PASSWORD = re.compile(r"((?:^|[?&])password=)[^&#]*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A parsed store URL: ``scheme://rest``.

    ``scheme`` keeps the driver part (``mysql+pymysql``); :attr:`backend` drops it.
    ``str()`` and ``repr()`` mask any password.
    """

    scheme: str
    rest: str

    @classmethod
    def parse(cls, url: str | StoreURL) -> StoreURL:
        """Parse ``url``; ``InvalidInput`` when it has no ``scheme://``."""
        if isinstance(url, StoreURL):
            return url
        match = _SCHEME.match(url.strip()) if isinstance(url, str) else None
        if match is None:
            shown = _mask(url) if isinstance(url, str) else repr(url)
            raise InvalidInput(
                f"invalid store URL {shown!r}: expected scheme://..., for example "
                "'sqlite:///./runstore.db' or 'memory://'"
            )
        return cls(scheme=match.group(1).lower(), rest=match.group(2))

    @property
    def backend(self) -> str:
        """The backend name: the scheme without its ``+driver`` part."""
        return self.scheme.split("+", 1)[0]

    @property
    def path(self) -> str:
        """The part before any ``?query``."""
        return self.rest.split("?", 1)[0]

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (``?key=value&...``) as a dict."""
        if "?" not in self.rest:
            return {}
        return dict(parse_qsl(self.rest.split("?", 1)[1], keep_blank_values=True))

    def render(self, *, hide_password: bool = True) -> str:
        """The URL as text, with any password replaced by ``***`` unless told otherwise."""
        text = f"{self.scheme}://{self.rest}"
        return _mask(text) if hide_password else text

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"StoreURL({self.render()!r})"


def _mask(text: str) -> str:
    match = _SCHEME.match(text)
    if match is None:
        return _USERINFO_PASSWORD.sub(r"\1:***@", text)
    rest = _USERINFO_PASSWORD.sub(r"\1:***@", match.group(2))
    rest = _QUERY_PASSWORD.sub(r"\1***", rest)
    return f"{match.group(1)}://{rest}"
