"""Bounds of integers a request may carry: the database's own, so that an out-of-range value is a
422 naming the parameter, never a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

# Ids, sequence numbers and offsets are `integer` columns (32-bit in PostgreSQL).
MAX_INT32 = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_INT32, description="The record's id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_INT32, description="Items to skip.")]
