"""Row ids as people type them (tickets, alerts, outbox messages): the range a row id can have."""

from __future__ import annotations

# Ids are the database's INTEGER, 32 bits on PostgreSQL. A bigger number is no row; asking PostgreSQL
# for one is an error ("integer out of range"), not an empty answer, so it is refused before the query.
MAX_ROW_ID = 2**31 - 1


def is_row_id(number: int) -> bool:
    return 0 < number <= MAX_ROW_ID
