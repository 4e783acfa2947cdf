"""Reads of a person stay in the access log as they happened (see mhis.kinds)."""

from mhis.kinds import stays


def declare() -> None:
    stays("access.AccessLog", "person", "a read is logged against the record that was read")
