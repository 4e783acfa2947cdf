"""The matching model on Splink: migration-aware comparisons, blocking, training, scoring.

Comparisons read the columns of :mod:`mhis.linkage.features`. Their SQL is written for each
backend (DuckDB by default, Spark for regional scale) rather than translated, since list
functions differ. Training is unsupervised: the chance that two records match from a
deterministic rule, u-probabilities from random pairs, m-probabilities by expectation
maximisation in two sessions blocked on different columns, so each comparison is
estimated where it is not the block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on

logging.getLogger("splink").setLevel(logging.WARNING)

# A blocking key held by more records than this is too common to block on: its pairs
# grow with the square of its holders, and a name so common says little anyway. Such
# records still meet through their other keys (identifiers, dates, rarer words).
MAX_BLOCK = 50


@dataclass(frozen=True)
class Sql:
    """List operations in one SQL dialect."""

    any: str  # do two lists share an element
    all: str  # does the first list hold every element of the second
    concat: str
    edits: str  # edit distance between two strings

    def has_any(self, a: str, b: str) -> str:
        return self.any.format(a=a, b=b)

    def has_all(self, a: str, b: str) -> str:
        return self.all.format(a=a, b=b)

    def both(self, a: str, b: str) -> str:
        return self.concat.format(a=a, b=b)


DIALECTS = {
    "duckdb": Sql(any="list_has_any({a}, {b})", all="list_has_all({a}, {b})",
                  concat="list_concat({a}, {b})", edits="damerau_levenshtein"),
    # Damerau-Levenshtein on Spark is Splink's function (its jar, which link() adds to the
    # session): plain Levenshtein counts two swapped letters as two edits, not one.
    "spark": Sql(any="arrays_overlap({a}, {b})", all="size(array_except({b}, {a})) = 0",
                 concat="concat({a}, {b})", edits="damerau_levenshtein"),
}  # fmt: skip


def _name(sql: Sql):
    within = " AND ".join(
        [
            sql.has_all(sql.both("name_tokens_r", "name_initials_r"), "name_tokens_l"),
            sql.has_all("name_initials_r", "name_initials_l"),
        ]
    )
    within_r = within.replace("_r", "_x").replace("_l", "_r").replace("_x", "_l")
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.CustomLevel("name_main_l IS NULL OR name_main_r IS NULL").configure(
                is_null_level=True
            ),
            cll.CustomLevel("name_main_l = name_main_r", "same name").configure(
                tf_adjustment_column="name_main", m_probability=0.5
            ),
            cll.CustomLevel(sql.has_any("name_forms_l", "name_forms_r"), "same words").configure(
                m_probability=0.2
            ),
            cll.CustomLevel(
                f"({within}) OR ({within_r})", "all words of one in the other"
            ).configure(m_probability=0.1),
            cll.CustomLevel(
                f"{sql.edits}(name_main_l, name_main_r) <= 1 OR ({sql.edits}(name_main_l, name_main_r) <= 2 AND least(length(name_main_l), length(name_main_r)) >= 8)",
                "close spelling",
            ).configure(m_probability=0.08),
            cll.CustomLevel(sql.has_any("name_sounds_l", "name_sounds_r"), "same sound").configure(
                m_probability=0.05
            ),
            cll.CustomLevel(
                sql.has_any("name_tokens_l", "name_tokens_r"), "a word in common"
            ).configure(m_probability=0.04),
            cll.ElseLevel().configure(m_probability=0.03),
        ],
        comparison_description="names across scripts and naming customs",
    )


def _birth():
    fuzzy = "(birth_fuzzy_l OR birth_fuzzy_r)"
    return cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.CustomLevel("birth_year_l IS NULL OR birth_year_r IS NULL").configure(
                is_null_level=True
            ),
            cll.CustomLevel("birth_date_l = birth_date_r", "same date").configure(
                m_probability=0.5
            ),
            cll.CustomLevel(
                "birth_year_l = birth_year_r AND birth_month_l = birth_month_r", "same month"
            ).configure(m_probability=0.1),
            cll.CustomLevel(
                f"birth_year_l = birth_year_r AND {fuzzy}", "same year, one vague"
            ).configure(m_probability=0.3),
            cll.CustomLevel(
                f"abs(birth_year_l - birth_year_r) <= 1 AND {fuzzy}", "a year apart, one vague"
            ).configure(m_probability=0.04),
            cll.CustomLevel("birth_year_l = birth_year_r", "same year, other dates").configure(
                m_probability=0.03
            ),
            cll.ElseLevel().configure(m_probability=0.03),
        ],
        comparison_description="dates of birth with their precision",
    )


def _arrival():
    """When the person's migration began, as each registration recorded it: people give the
    same month, or the year, or a date within a year of it."""
    gap = "abs(arrival_month_l - arrival_month_r)"
    return cl.CustomComparison(
        output_column_name="arrival",
        comparison_levels=[
            cll.CustomLevel("arrival_month_l IS NULL OR arrival_month_r IS NULL").configure(
                is_null_level=True
            ),
            cll.CustomLevel("arrival_month_l = arrival_month_r", "same month").configure(
                m_probability=0.6
            ),
            cll.CustomLevel(
                "floor(arrival_month_l / 12) = floor(arrival_month_r / 12)", "same year"
            ).configure(m_probability=0.2),
            cll.CustomLevel(f"{gap} <= 12", "within a year").configure(m_probability=0.1),
            # Remembered or recorded differently: fixed, so that a registry whose records
            # always agree does not make a difference a veto.
            cll.ElseLevel().configure(m_probability=0.05, fix_m_probability=True),
        ],
        comparison_description="when the migration began",
    )


def _identifiers(sql: Sql):
    return cl.CustomComparison(
        output_column_name="identifiers",
        comparison_levels=[
            cll.CustomLevel(f"NOT {sql.has_any('id_kinds_l', 'id_kinds_r')}").configure(
                is_null_level=True
            ),
            # Two people share a number of the same type and issuer only by a typing error:
            # too rare for random pairs to show, so fixed.
            cll.CustomLevel(
                sql.has_any("id_keys_l", "id_keys_r"), "an identifier in common"
            ).configure(
                m_probability=0.97,
                fix_m_probability=True,
                u_probability=1e-6,
                fix_u_probability=True,
            ),
            # One typing error apart (see features.near_values): a number copied by hand,
            # for about 1 person's two records in 50. How often two people's numbers are this
            # close depends on how they are issued (at random, or in series), so it is
            # estimated from random pairs.
            cll.CustomLevel(
                sql.has_any("id_near_l", "id_near_r"), "an identifier one typing error apart"
            ).configure(m_probability=0.02, fix_m_probability=True),
            # Same type and issuer, different numbers (and not one typing error apart, when
            # the values are known). Among true matches this is a renewed document or a worse
            # error, too rare for the records to estimate: fixed at 1 in 1,000, strong
            # counter-evidence.
            cll.ElseLevel().configure(m_probability=0.001, fix_m_probability=True),
        ],
        comparison_description="identifiers of the same type and issuer",
    )


def _exact(column: str, recorded_wrong: float, description: str):
    """Same value or not. How often a true match disagrees is a recording error rate, fixed
    rather than estimated: registries with clean data would train it to zero, and a
    comparison that can never disagree for a match would veto every match it misses."""
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            cll.ElseLevel().configure(m_probability=recorded_wrong, fix_m_probability=True),
        ],
        comparison_description=description,
    )


BLOCK_COLUMNS = ("b_name_year", "b_sound_nation", "b_name_sex", "b_date_initial")


def block_keys(table, max_block: int = MAX_BLOCK):
    """`table` (the feature rows, Arrow) with the blocking keys added, each kept only where
    at most `max_block` records hold it:

    - ``b_name_year``: a name word or joined form, with the birth year;
    - ``b_sound_nation``: a name's sound, with the nationality;
    - ``b_name_sex``: the joined name, with sex (finds a mistyped year);
    - ``b_date_initial``: the exact date of birth, with the name's first letter (finds
      a name spelt past recognition).
    """
    import duckdb

    con = duckdb.connect()
    con.register("t", table)
    keys = con.sql(
        """
        WITH nb AS (SELECT unique_id, unnest(name_block) || '|' || birth_year AS k
                    FROM t WHERE birth_year IS NOT NULL),
             sn AS (SELECT unique_id, unnest(name_sounds) || '|' || nationality AS k
                    FROM t WHERE nationality IS NOT NULL),
             ns AS (SELECT unique_id, name_main || '|' || sex AS k FROM t),
             di AS (SELECT unique_id, birth_date || '|' || name_main[1] AS k FROM t),
             lists AS (
                SELECT unique_id, list(k) FILTER (WHERE kind = 1) AS b_name_year,
                       list(k) FILTER (WHERE kind = 2) AS b_sound_nation,
                       any_value(k) FILTER (WHERE kind = 3) AS b_name_sex,
                       any_value(k) FILTER (WHERE kind = 4) AS b_date_initial
                FROM (
                    SELECT kind, unique_id, k, count(*) OVER (PARTITION BY kind, k) AS held
                    FROM (SELECT 1 AS kind, * FROM nb UNION ALL SELECT 2, * FROM sn
                          UNION ALL SELECT 3, * FROM ns UNION ALL SELECT 4, * FROM di)
                    WHERE k IS NOT NULL
                ) WHERE held BETWEEN 2 AND ?
                GROUP BY unique_id
             )
        SELECT t.* EXCLUDE (name_block), lists.* EXCLUDE (unique_id)
        FROM t LEFT JOIN lists USING (unique_id)
        """,
        params=[max_block],
    ).to_arrow_table()
    con.close()
    return keys


def blocking_rules():
    """Candidate pairs: any shared identifier, or one a typing error apart; or any of the
    keys of :func:`block_keys`."""
    return [
        block_on("id_keys", arrays_to_explode=["id_keys"]),
        block_on("id_near", arrays_to_explode=["id_near"]),
        block_on("b_name_year", arrays_to_explode=["b_name_year"]),
        block_on("b_name_sex"),
        block_on("b_sound_nation", arrays_to_explode=["b_sound_nation"]),
        block_on("b_date_initial"),
    ]


def settings(dialect: str = "duckdb", link_type: str = "dedupe_only") -> SettingsCreator:
    sql = DIALECTS[dialect]
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=[
            _name(sql),
            _birth(),
            _identifiers(sql),
            _exact("sex", 0.01, "sex"),
            _exact("nationality", 0.02, "nationality"),
            _exact("origin", 0.05, "country of origin"),
            _exact("destination", 0.05, "country of destination"),
            _exact("sector", 0.1, "occupation sector"),
            _arrival(),
        ],
        blocking_rules_to_generate_predictions=blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
    )


def silver_pairs(table, largest: int = 5) -> list[tuple[str, str]]:
    """Pairs of records (an Arrow table with ``unique_id`` and ``id_keys``) that share an
    identifier of the same type and issuer: nearly all the same person, so they teach the
    model how a true match looks. An identifier shared by more than `largest` records (a
    placeholder, a clinic's own number) teaches nothing."""
    import duckdb

    con = duckdb.connect()
    con.register("records", table.select(["unique_id", "id_keys"]))
    return con.execute(
        """
        WITH held AS (SELECT unique_id, unnest(id_keys) AS key FROM records),
             usable AS (SELECT key FROM held GROUP BY key HAVING count(*) BETWEEN 2 AND ?)
        SELECT DISTINCT a.unique_id, b.unique_id
        FROM held a JOIN held b ON a.key = b.key AND a.unique_id < b.unique_id
        WHERE a.key IN (SELECT key FROM usable)
        ORDER BY 1, 2
        """,
        [largest],
    ).fetchall()


def train(
    linker,
    table,
    identifier_recall: float = 0.5,
    max_pairs: float = 2e6,
    seed: int = 2026,
) -> None:
    """Estimate the model's parameters from the records themselves (`table`, the feature
    rows as Arrow), without labels.

    - the chance that two records match: pairs sharing an identifier, scaled up by the
      share of people registered twice who carry the same number both times
      (`identifier_recall`);
    - u (how often two different people agree): random pairs;
    - m (how often the same person agrees with themself): the pairs sharing an identifier,
      a silver standard, when there are enough of them; otherwise expectation maximisation
      blocked on the joined name and birth year. The identifier comparison's own m is
      fixed (a shared number is decisive; 1 true match in 1,000 conflicts).
    """
    import pyarrow as pa

    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_keys", arrays_to_explode=["id_keys"])], recall=identifier_recall
    )
    # Every sampled pair counted: by default Splink stops at the first hundredth of them once
    # each level has been seen 100 times, so u (nationality's among them) came from the
    # few records of that first slice and moved by half between seeds and backends.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs, seed=seed, min_count_per_level=None
    )
    silver = silver_pairs(table)
    if len(silver) >= 20:
        labels = pa.table(
            {"unique_id_l": [a for a, _ in silver], "unique_id_r": [b for _, b in silver]}
        )
        registered = linker.table_management.register_table(labels, "__mhis_silver", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels(registered)
    else:
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("name_main", "birth_year"),
            estimate_without_term_frequencies=True,
            record_sample_proportion=min(1.0, 200_000 / max(table.num_rows, 1)),
        )
