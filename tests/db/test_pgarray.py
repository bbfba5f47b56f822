"""Array parameters as text literals read back by PostgreSQL as the same values."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from kinko.db.pgarray import int_array, int_array_param


def test_literals() -> None:
    assert int_array([1, -2, 30]) == "{1,-2,30}"
    assert int_array([]) == "{}"
    with pytest.raises(TypeError):
        int_array([1, True])


def test_postgresql_reads_the_same_values(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            ints = [0, 1, -(2**63), 2**63 - 1, 42]
            got = conn.execute(select(func.unnest(int_array_param("i", ints)))).scalars().all()
            assert got == ints
            assert conn.execute(select(func.unnest(int_array_param("e", [])))).all() == []
    finally:
        engine.dispose()
