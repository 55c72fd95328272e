"""Configuration: which URL serves which repository, from YAML, a URL or the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from runstore.errors import InvalidInput
from runstore.registry.url import StoreURL
from runstore.services.retention import RetentionPolicy
from runstore.store import REPOSITORIES

__all__ = ["DEFAULT_URL", "ENV_VAR", "StoreConfig", "load_config", "resolve_default_url"]

ENV_VAR = "RUNSTORE_URL"
DEFAULT_URL = "sqlite:///./.runstore/runstore.db"


class StoreConfig(BaseModel):
    """A parsed ``runstore.yaml``.

    ``default`` serves every repository not named in ``repositories``; ``options`` holds
    keyword options per backend name (``{env: NAME}`` reads an environment variable).
    ``artifacts`` is where every backend keeps its blobs (``file://PATH`` or
    ``s3://bucket/prefix``); by default each backend keeps them beside its data.
    ``retention`` is the policy ``runstore prune --config`` applies (see ``RetentionPolicy``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str = DEFAULT_URL
    repositories: dict[str, str] = {}
    options: dict[str, dict[str, Any]] = {}
    artifacts: str | None = None
    retention: RetentionPolicy | None = None

    @field_validator("repositories")
    @classmethod
    def _known_repositories(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(REPOSITORIES))
        if unknown:
            known = ", ".join(REPOSITORIES)
            raise ValueError(f"unknown repository {unknown[0]!r}; known: {known}")
        return value

    def backend_options(self, backend: str) -> dict[str, object]:
        """Options for one backend name, with ``{env: NAME}`` values read from the environment."""
        resolved = {key: _resolve(value, f"options.{backend}.{key}")
                    for key, value in self.options.get(backend, {}).items()}
        if self.artifacts is not None:
            resolved.setdefault("artifacts", self.artifacts)
        return resolved


def _resolve(value: Any, where: str) -> object:
    if isinstance(value, dict) and set(value) == {"env"}:
        name = value["env"]
        if name not in os.environ:
            raise InvalidInput(f"{where}: environment variable {name!r} is not set")
        return os.environ[name]
    return value


def resolve_default_url(url: str | None) -> str:
    """``url``, else ``$RUNSTORE_URL``, else the embedded SQLite default."""
    return url or os.environ.get(ENV_VAR) or DEFAULT_URL


def _relative_to(url: str, base: Path) -> str:
    """Make a relative ``file://`` or ``sqlite:///`` path relative to the config file."""
    parsed = StoreURL.parse(url)
    if parsed.backend == "file" and not parsed.rest.startswith("/"):
        return f"file://{base / parsed.rest}"
    if parsed.backend in {"sqlite", "duckdb"} and parsed.rest.startswith("/") \
            and not parsed.rest.startswith("//") and parsed.rest[1:] not in {"", ":memory:"}:
        return f"{parsed.scheme}:///{base / parsed.rest[1:]}"
    return url


def load_config(path: str | os.PathLike[str]) -> StoreConfig:
    """Read and validate a YAML config; ``InvalidInput`` names the file and the key."""
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InvalidInput(f"cannot read config {file}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"config {file} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidInput(f"config {file}: expected a mapping at the top level")
    try:
        config = StoreConfig.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise InvalidInput(f"config {file}: {where}: {error['msg']}") from exc
    base = file.resolve().parent
    return config.model_copy(update={
        "default": _relative_to(config.default, base),
        "repositories": {k: _relative_to(v, base) for k, v in config.repositories.items()},
        "artifacts": None if config.artifacts is None else _relative_to(config.artifacts, base),
        "retention": _retention_relative_to(config.retention, base),
    })


def _retention_relative_to(policy: RetentionPolicy | None, base: Path) -> RetentionPolicy | None:
    if policy is None or not isinstance(policy.archive_to, str):
        return policy
    return policy.model_copy(update={"archive_to": _relative_to(policy.archive_to, base)})
