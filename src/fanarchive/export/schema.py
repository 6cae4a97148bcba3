"""The JSON Schema of the export record, shipped in the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def story_schema() -> dict[str, Any]:
    text = resources.files("fanarchive.export").joinpath("story.schema.json").read_text("utf-8")
    return dict(json.loads(text))


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    cls = jsonschema.validators.validator_for(story_schema())
    cls.check_schema(story_schema())
    return cls(story_schema())


def validate_record(record: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``record`` breaks the contract."""
    # The validator is built once: checking the schema itself on every call cost ~50 ms.
    error = next(iter(_validator().iter_errors(record)), None)
    if error is not None:
        raise error
