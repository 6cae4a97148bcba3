"""Stable hashes and ids: the same content or identity always gives the same key."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sha256_text(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def story_uid(identity: str) -> str:
    """The exported story id: derived from identity, so rebuilding a database keeps ids."""
    return sha256_text(identity)[:16]
