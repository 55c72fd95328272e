"""Records: pydantic models, enums and filters. Pure data, no I/O."""

from runstore.models.common import JsonObject, JsonValue, Page, canonical_json, content_hash
from runstore.models.workflows import Workflow

__all__ = ["JsonObject", "JsonValue", "Page", "Workflow", "canonical_json", "content_hash"]
