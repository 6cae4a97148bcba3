"""Limits come from [fanarchive.limits] in the config."""

from __future__ import annotations

import pytest
from sources_helpers import make_config

from fanarchive.config import load_config
from fanarchive.errors import UsageError
from fanarchive.sources.limits import RATIO_FLOOR_BYTES, Limits


def test_shipped_config_matches_the_defaults() -> None:
    assert Limits.from_config(load_config()) == Limits()
    assert Limits.from_config(None) == Limits()


def test_values_override_the_defaults() -> None:
    limits = Limits.from_config(make_config(max_document_bytes=10, max_compression_ratio=12.5))

    assert (limits.max_document_bytes, limits.max_compression_ratio) == (10, 12.5)
    assert limits.max_archive_depth == Limits().max_archive_depth


@pytest.mark.parametrize("value", [-1, "big", True, 1.5])
def test_bad_values_are_usage_errors(value: object) -> None:
    with pytest.raises(UsageError, match="max_archive_depth"):
        Limits.from_config(make_config(max_archive_depth=value))


def test_bomb_reason_ignores_small_members() -> None:
    limits = Limits(max_compression_ratio=10)

    assert limits.bomb_reason(RATIO_FLOOR_BYTES - 1, 1) is None
    assert limits.bomb_reason(RATIO_FLOOR_BYTES, RATIO_FLOOR_BYTES // 10 + 1) is None
    reason = limits.bomb_reason(RATIO_FLOOR_BYTES, 1000)
    assert reason is not None and "decompression bomb" in reason
