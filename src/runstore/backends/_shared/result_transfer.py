"""What every backend's results and definitions transfer shares."""

from __future__ import annotations

from typing import Final

from runstore.backends._shared.results import definition_hash
from runstore.errors import InvalidInput
from runstore.models.transfer import StoredDefinition, StoredResult

__all__ = ["DEFINITION_RECORD_TYPES", "RESULT_RECORD_TYPES", "checked_definition",
           "value_size"]

RESULT_RECORD_TYPES: Final = ("results",)
DEFINITION_RECORD_TYPES: Final = ("definitions",)


def checked_definition(record: StoredDefinition) -> bytes:
    """The canonical JSON of an imported definition; ``InvalidInput`` unless it hashes
    to the record's ``content_hash``."""
    digest, body = definition_hash(record.definition)
    if digest != record.content_hash:
        raise InvalidInput(f"cannot import definition {record.content_hash}: its content "
                           f"hashes to {digest}")
    return body


def value_size(record: StoredResult) -> int:
    """The inline bytes a result carries (the weight of a transfer batch)."""
    return 0 if record.value is None else len(record.value)
