"""The load benchmark's person searches by the path each takes, and their database time.

On a built world (the load benchmark's: `mhis demo --size medium --seed 2026`), takes the
names the load plan searches for (bench/load/prepare.py: whole names and their first two
words, 2,000 people sampled in the demo clinician's places), sorts them by the path search
takes (registry.search: narrow, ranked one by one; more than RANK_AT_MOST matching anywhere;
more than SEARCH_CANDIDATES) and times `search_page` (the API's first page of 20 and the
count): the statements' time in the database driver (sent, run, answered), per search.
Each statement explained is run 9 times; the median is printed.

With --against DIR, the search module of another checkout (DIR/src/mhis/registry/search.py,
for instance a worktree of the commit before) is timed too, alternating with this one query
by query, so both see the same machine; the script says whether they answered the same
people, in the same order, with the same count. With --explain QUERY, prints each statement
of that search with PostgreSQL's EXPLAIN (ANALYZE, BUFFERS), for both.

Usage (with the settings of the world): python bench/load/search_paths.py [--rounds N]
    [--user clinician] [--against DIR] [--broad-only] [--explain "Daw Thi"]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from mhis.access.models import User  # noqa: E402
from mhis.registry import search  # noqa: E402

SAMPLE = 2000  # as bench/load/prepare.py
EXPLAINED = 9  # times each statement is explained


def plan_queries(user: User) -> list[str]:
    """The names bench/load/prepare.py writes into the load plan, in its order."""
    people = list(
        search.visible_people(user)
        .filter(merged_into__isnull=True)
        .order_by("pk")
        .values_list("uuid", "display_name", "display_latin")
    )
    sampled = random.Random(2026).sample(people, min(2 * SAMPLE, len(people)))  # noqa: S311
    queries: list[str] = []
    for _, name, latin in sampled[: len(sampled) // 2]:
        words = (latin or name).split()
        queries.append(" ".join(words if len(queries) % 2 else words[:2]))
    return queries


def path_of(query: str) -> str:
    ways, _ = search._matching_ids(query)
    read = search._read_ways(ways) if ways else []
    if read is None:
        return f"broad: > {search.SEARCH_CANDIDATES} a way"
    if len(set().union(*read)) > search.RANK_AT_MOST:
        return f"broad: > {search.RANK_AT_MOST}"
    return "narrow"


def load_other(root: Path):
    spec = importlib.util.spec_from_file_location(
        "mhis.registry.search_other", root / "src" / "mhis" / "registry" / "search.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--user", default="clinician")
    parser.add_argument("--rounds", type=int, default=3, help="times each distinct query")
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--explain", help="print the plans of this search's statements")
    parser.add_argument("--broad-only", action="store_true", help="leave narrow searches out")
    args = parser.parse_args(argv)
    user = User.objects.get(username=args.user)
    modules = {"this": search}
    if args.against:
        modules = {"against": load_other(args.against), "this": search}

    if args.explain:
        for name, module in modules.items():
            module.search_page(user, args.explain, start=0, size=20)  # the scope remembered
            with CaptureQueriesContext(connection) as captured:
                module.search_page(user, args.explain, start=0, size=20)
            print(f"## {name}: {args.explain}")
            with connection.cursor() as cursor:
                for n, statement in enumerate(captured.captured_queries):
                    took = []
                    for _ in range(EXPLAINED):
                        cursor.execute(
                            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement["sql"]
                        )
                        plan = cursor.fetchone()[0]
                        plan = plan[0] if isinstance(plan, list) else plan
                        took.append(plan["Planning Time"] + plan["Execution Time"])
                    print(
                        f"statement {n + 1}: {statistics.median(took):.2f} ms planned and run "
                        f"(median of {EXPLAINED}), {plan['Plan'].get('Shared Hit Blocks', 0)} "
                        f"buffers: {statement['sql'][:70]}…"
                    )
        return 0

    queries = plan_queries(user)
    paths: dict[str, list[str]] = {}
    for query in queries:
        paths.setdefault(path_of(query), []).append(query)
    spent: list[float] = []

    def timer(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(time.perf_counter() - began)

    print(f"{args.user}: {len(queries)} searches of the load plan, {connection.vendor}")
    print()
    names = list(modules)
    header = " | ".join(f"{name} median ms | {name} mean ms" for name in names)
    print(f"| path | searches (distinct) | statements | {header} | same answers |")
    print("|---|---|---|" + "---|---|" * len(names) + "---|")
    for path, found in sorted(paths.items()):
        if args.broad_only and path == "narrow":
            continue
        distinct = sorted(set(found))
        for module in modules.values():  # warm: scope remembered, pages cached
            for query in distinct:
                module.search_page(user, query, start=0, size=20)
        times: dict[str, list[float]] = {name: [] for name in names}
        statements: set[int] = set()
        same = True
        for n in range(args.rounds):
            for query in distinct:
                answers = {}
                for name in names if n % 2 == 0 else reversed(names):
                    spent.clear()
                    with connection.execute_wrapper(timer):
                        rows, count = modules[name].search_page(user, query, start=0, size=20)
                    times[name].append(sum(spent) * 1000)
                    statements.add(len(spent))
                    answers[name] = ([p.pk for p in rows], count)
                same &= len({repr(a) for a in answers.values()}) == 1
        cells = " | ".join(
            f"{statistics.median(times[name]):.1f} | {statistics.mean(times[name]):.1f}"
            for name in names
        )
        counted = f"{min(statements)}–{max(statements)}"
        print(f"| {path} | {len(found)} ({len(distinct)}) | {counted} | {cells} | {same} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
