"""PostgreSQL array parameters as one text literal (``'{1,2,3}'``, cast in the statement).

A batch matches its rows with one array parameter (``id = ANY(CAST(:ids AS BIGINT[]))``)
instead of thousands of placeholders. Handed a Python list of ints, psycopg dumps the array
element by element in Python (choosing int2/int4/int8/numeric for each): 20 ms for 5,000
integers, against under 2 ms for ``",".join`` and the server's own array input; a bulk run's
chunk sends four such arrays. (A list of strings costs psycopg far less; strings keep going
as lists.)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, bindparam, cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType


def int_array(values: Iterable[int]) -> str:
    """The array literal of integers; anything but an int (a bool too) is refused."""
    items = list(values)
    if any(type(v) is not int for v in items):
        raise TypeError("int_array takes ints only")
    return "{" + ",".join(map(str, items)) + "}"


def int_array_param(name: str, values: Iterable[int]) -> Any:
    """``CAST(:name AS BIGINT[])`` bound to the literal. The parameter is sent untyped, so the
    cast makes it a plain ``bigint[]`` parameter, planned as a list would be (a parameter typed
    as text would be cast by an expression the planner cannot see through)."""
    return cast(bindparam(name, int_array(values), type_=NullType()), ARRAY(BigInteger))
