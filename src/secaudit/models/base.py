"""Shared pydantic configuration: every model read from or written to a file is frozen and closed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base for file-crossing models: immutable, unknown keys rejected (a typo is an error)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
