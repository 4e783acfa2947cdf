"""The step that made a pair one row whatever the runs: rows of earlier runs kept per run
become one per pair, keeping the decided one and what a merge names."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("linkage", "0003_review_decisions")]
AFTER = [("linkage", "0005_merge_conflicts")]


@pytest.mark.django_db(transaction=True)
def test_pairs_scored_by_several_runs_become_one_row_each(people, register):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Run = old.get_model("linkage", "LinkRun")
    Pair = old.get_model("linkage", "CandidatePair")
    Merge = old.get_model("linkage", "Merge")
    a, b, c = (p.pk for p in (register(), register(), register()))
    first = Run.objects.create(threshold=0.5, cluster_threshold=0.95, status="done")
    second = Run.objects.create(threshold=0.5, cluster_threshold=0.95, status="done")
    decided = Pair.objects.create(run=first, left_id=a, right_id=b, probability=0.8,
                                  weight=3, status="different")  # fmt: skip
    Pair.objects.create(run=second, left_id=a, right_id=b, probability=0.8, weight=3)
    Pair.objects.create(run=first, left_id=a, right_id=c, probability=0.6, weight=1)
    latest = Pair.objects.create(run=second, left_id=a, right_id=c, probability=0.7, weight=2)
    named = Pair.objects.create(run=first, left_id=b, right_id=c, probability=0.9, weight=4)
    Pair.objects.create(run=second, left_id=b, right_id=c, probability=0.9, weight=4)
    Merge.objects.create(survivor_id=b, merged_id=c, pair=named)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    kept = set(new.get_model("linkage", "CandidatePair").objects.values_list("pk", flat=True))
    assert kept == {decided.pk, latest.pk, named.pk}
    assert new.get_model("linkage", "Merge").objects.get().pair_id == named.pk
