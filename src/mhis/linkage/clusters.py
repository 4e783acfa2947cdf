"""Which records become one person without review: decided as clusters, not pair by pair.

A person registered four times gives six pairs; none of them beats the others by a margin,
yet all say the same thing. Records are grouped by the pairs scored at or above the
automatic threshold (connected components), and a group is linked as a whole when it holds
together: no two of its records have evidence against being one person (`conflicts`), and
it is not larger than a person is ever registered (`largest`). A group that fails goes to
review whole. Nothing here knows about Django.

Strong evidence against (two passports of one issuer with different numbers) vetoes a group
only where it leaves that pair unlikely all the same (below `veto_below`): a renewed
passport between two records that otherwise agree on name, date of birth and more is the
same person, and on the evaluation set (bench/linkage) such vetoes cost a twentieth of the
automatic links and kept no wrong one out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Comparisons whose strong disagreement vetoes an automatic link: two documents of one type
# and issuer with different numbers, or another sex.
VETOES = {"identifiers": -6.0, "sex": -4.0}
LARGEST = 8
VETO_BELOW = 0.05


@dataclass(frozen=True)
class Group:
    members: tuple[str, ...]  # unique ids, sorted
    linked: bool  # linked without review
    reason: str = ""  # why not, when not


def groups(
    pairs: Iterable,
    *,
    threshold: float,
    largest: int = LARGEST,
    vetoes: Mapping[str, float] = VETOES,
    veto_below: float = VETO_BELOW,
) -> list[Group]:
    """The groups of records joined by `pairs` (objects with ``left``, ``right``,
    ``probability`` and ``evidence``) scored at or above `threshold`, each decided whole."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    strong = [p for p in pairs if p.probability >= threshold]
    for p in strong:
        a, b = find(p.left), find(p.right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    vetoed: set[str] = set()
    for p in pairs:  # any pair inside a group, strong or not, may carry a veto
        if find(p.left) != find(p.right) or p.left not in parent:
            continue
        if p.probability >= veto_below:
            continue
        if any((p.evidence or {}).get(name, 0.0) <= floor for name, floor in vetoes.items()):
            vetoed.add(find(p.left))
    out = []
    for root, ids in members.items():
        ids = sorted(ids)
        if len(ids) > largest:
            out.append(Group(tuple(ids), False, "too large"))
        elif root in vetoed:
            out.append(Group(tuple(ids), False, "conflicting evidence"))
        else:
            out.append(Group(tuple(ids), True))
    return sorted(out, key=lambda g: g.members)
