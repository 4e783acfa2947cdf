"""Linkage's own links to people stay as they are (see mhis.kinds)."""

from mhis.kinds import stays


def declare() -> None:
    reason = "linkage's own record of the pair or merge"
    for field in ("left", "right"):
        stays("linkage.CandidatePair", field, reason)
    for field in ("survivor", "merged"):
        stays("linkage.Merge", field, reason)
