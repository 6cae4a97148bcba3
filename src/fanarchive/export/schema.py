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


def validate_record(record: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``record`` breaks the contract."""
    import jsonschema

    jsonschema.validate(record, story_schema())
