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
    size: str  # how many elements a list holds

    def has_any(self, a: str, b: str) -> str:
        return self.any.format(a=a, b=b)

    def has_all(self, a: str, b: str) -> str:
        return self.all.format(a=a, b=b)

    def both(self, a: str, b: str) -> str:
        return self.concat.format(a=a, b=b)

    def length(self, a: str) -> str:
        return self.size.format(a=a)


DIALECTS = {
    "duckdb": Sql(any="list_has_any({a}, {b})", all="list_has_all({a}, {b})",
                  concat="list_concat({a}, {b})", edits="damerau_levenshtein",
                  size="len({a})"),
    # Damerau-Levenshtein on Spark is Splink's function (its jar, which link() adds to the
    # session): plain Levenshtein counts two swapped letters as two edits, not one.
    "spark": Sql(any="arrays_overlap({a}, {b})", all="size(array_except({b}, {a})) = 0",
                 concat="concat({a}, {b})", edits="damerau_levenshtein", size="size({a})"),
}  # fmt: skip


def _close(sql: Sql, column: str) -> str:
    """One edit apart, or two in names of eight letters or more."""
    edits = f"{sql.edits}({column}_l, {column}_r)"
    shorter = f"least(length({column}_l), length({column}_r))"
    return f"({edits} <= 1 OR ({edits} <= 2 AND {shorter} >= 8))"


def _name(sql: Sql):
    within = " AND ".join(
        [
            sql.has_all(sql.both("name_tokens_r", "name_initials_r"), "name_tokens_l"),
            sql.has_all("name_initials_r", "name_initials_l"),
            # one word alone ("Hser" in "Saw Hser Pyae Htun") says little: a word in common
            f"{sql.length('name_initials_l')} >= 2",
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
                f"{_close(sql, 'name_main')} OR {_close(sql, 'name_sorted')}",
                "close spelling",
            ).configure(m_probability=0.08),
            cll.CustomLevel(sql.has_any("name_sounds_l", "name_sounds_r"), "same sound").configure(
                m_probability=0.05
            ),
            # Initials for some names ("H.M.N.K. Bandara", "Nimal Kumara Bandara"): a word in
            # common, and the initials of one are among the other's.
            cll.CustomLevel(
                f"{sql.has_any('name_tokens_l', 'name_tokens_r')} AND "
                f"({sql.has_all('name_initials_l', 'name_initials_r')}"
                f" OR {sql.has_all('name_initials_r', 'name_initials_l')})"
                f" AND least({sql.length('name_initials_l')}, {sql.length('name_initials_r')}) >= 2",
                "a word in common, the initials agree",
            ).configure(m_probability=0.04),
            cll.CustomLevel(
                sql.has_any("name_rare_l", "name_rare_r"), "an uncommon word in common"
            ).configure(m_probability=0.03),
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
                "birth_year_l = birth_year_r AND birth_month_l = birth_month_r"
                " AND (birth_date_l IS NULL OR birth_date_r IS NULL)",
                "same month, one given to the month",
            ).configure(m_probability=0.1),
            # Two exact dates a few days apart in one month: a typing error, or two people.
            cll.CustomLevel(
                "birth_year_l = birth_year_r AND birth_month_l = birth_month_r",
                "same month, other days",
            ).configure(m_probability=0.02),
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
            # Nothing to compare: no document of one type and issuer on both sides (a
            # document whose issuer was not recorded is compared with the other side's of
            # its type). A record without documents is never evidence either way.
            cll.CustomLevel(
                f"NOT ({sql.has_any('id_kinds_l', 'id_kinds_r')}"
                f" OR {sql.has_any('id_open_l', 'id_types_r')}"
                f" OR {sql.has_any('id_types_l', 'id_open_r')})"
            ).configure(is_null_level=True),
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


def _origin():
    """The country of origin. Nearly everyone comes from the country of their nationality,
    so two records agreeing on both say little more than the nationality already said:
    that level weighs nothing (m and u fixed equal). An origin other than the nationality,
    or given where the nationality is not, is evidence of its own."""
    both_native = (
        "coalesce(origin_l = nationality_l, false) AND coalesce(origin_r = nationality_r, false)"
    )
    return cl.CustomComparison(
        output_column_name="origin",
        comparison_levels=[
            cll.NullLevel("origin"),
            cll.CustomLevel(
                f"origin_l = origin_r AND NOT ({both_native})", "same, not the nationality"
            ).configure(m_probability=0.5),
            cll.CustomLevel("origin_l = origin_r", "same, the nationality").configure(
                m_probability=0.5,
                fix_m_probability=True,
                u_probability=0.5,
                fix_u_probability=True,
            ),
            cll.ElseLevel().configure(m_probability=0.05, fix_m_probability=True),
        ],
        comparison_description="country of origin",
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


# A word of a name held by at most this share of the records (and at least RARE_MIN) is rare:
# two records sharing it say more than two sharing "Nguyen" or "Aung".
RARE_SHARE = 0.002
RARE_MIN = 5

BLOCK_COLUMNS = (
    "b_name_year",
    "b_sound_nation",
    "b_name_sex",
    "b_date_initial",
    "b_word_sound",
    "b_pair_year",
)


def block_keys(table, max_block: int = MAX_BLOCK):
    """`table` (the feature rows, Arrow) with the blocking keys added, each kept only where
    at most `max_block` records hold it:

    - ``b_name_year``: a name word or joined form, with the birth year (and, for a vague
      date, the years either side: an estimated age is often a year off);
    - ``b_sound_nation``: a name's sound, with the nationality;
    - ``b_name_sex``: the joined name, with sex (finds a mistyped year);
    - ``b_date_initial``: the exact date of birth, with the name's first letter (finds
      a name spelt past recognition);
    - ``b_word_sound``: the sound of one word of the name, with the nationality (finds an
      uncommon name respelt, whatever the date; a common word is held by too many);
    - ``b_pair_year``: two words of the name, or a word and another's initial, with the
      birth year (and the years either side for a vague date): common names meet again
      where each word alone is held by too many;

    and ``name_rare``, the words of the names held by few records (see :data:`RARE_SHARE`),
    for the comparison of names.
    """
    import duckdb

    con = duckdb.connect()
    con.register("t", table)
    keys = con.sql(
        """
        WITH years AS (SELECT unique_id, name_block, name_pairs, unnest(CASE WHEN birth_fuzzy
                         THEN [birth_year - 1, birth_year, birth_year + 1]
                         ELSE [birth_year] END) AS y
                       FROM t WHERE birth_year IS NOT NULL),
             nb AS (SELECT unique_id, unnest(name_block) || '|' || y AS k FROM years),
             np AS (SELECT unique_id, unnest(name_pairs) || '|' || y AS k FROM years),
             ws AS (SELECT unique_id, unnest(name_word_sounds) || '|' || nationality AS k
                    FROM t WHERE nationality IS NOT NULL),
             sn AS (SELECT unique_id, unnest(name_sounds) || '|' || nationality AS k
                    FROM t WHERE nationality IS NOT NULL),
             ns AS (SELECT unique_id, name_main || '|' || sex AS k FROM t),
             di AS (SELECT unique_id, birth_date || '|' || name_main[1] AS k FROM t),
             lists AS (
                SELECT unique_id, list(k) FILTER (WHERE kind = 1) AS b_name_year,
                       list(k) FILTER (WHERE kind = 2) AS b_sound_nation,
                       any_value(k) FILTER (WHERE kind = 3) AS b_name_sex,
                       any_value(k) FILTER (WHERE kind = 4) AS b_date_initial,
                       list(k) FILTER (WHERE kind = 5) AS b_word_sound,
                       list(k) FILTER (WHERE kind = 6) AS b_pair_year
                FROM (
                    SELECT kind, unique_id, k, count(*) OVER (PARTITION BY kind, k) AS held
                    FROM (SELECT 1 AS kind, * FROM nb UNION ALL SELECT 2, * FROM sn
                          UNION ALL SELECT 3, * FROM ns UNION ALL SELECT 4, * FROM di
                          UNION ALL SELECT 5, * FROM ws UNION ALL SELECT 6, * FROM np)
                    WHERE k IS NOT NULL
                ) WHERE held BETWEEN 2 AND ?
                GROUP BY unique_id
             )
        , words AS (SELECT DISTINCT unique_id, unnest(name_tokens) AS w FROM t),
             word_counts AS (SELECT w, count(*) AS n FROM words GROUP BY w),
             rare AS (SELECT unique_id, list(w ORDER BY w) AS name_rare
                      FROM words JOIN word_counts USING (w) WHERE n <= ? GROUP BY unique_id)
        SELECT t.* EXCLUDE (name_block, name_word_sounds, name_pairs),
               lists.* EXCLUDE (unique_id),
               coalesce(rare.name_rare, []::VARCHAR[]) AS name_rare
        FROM t LEFT JOIN lists USING (unique_id) LEFT JOIN rare USING (unique_id)
        """,
        params=[max_block, max(RARE_MIN, int(RARE_SHARE * table.num_rows))],
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
        block_on("b_word_sound", arrays_to_explode=["b_word_sound"]),
        block_on("b_pair_year", arrays_to_explode=["b_pair_year"]),
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
            _origin(),
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


# Fewer pairs sharing an identifier than this teach nothing reliable: the prior then comes
# from pairs of the same name, date of birth and sex, and m by expectation maximisation.
MIN_SILVER = 20
# Share of a registry's true pairs that have the same joined name, exact date of birth and
# sex: names are spelt, ordered and written in other scripts, and dates given vaguely, so
# few do (about one in four on the evaluation set, bench/linkage).
SAME_NAME_AND_DATE_RECALL = 0.25
# With neither, the stated default: one true pair for every ten records.
DEFAULT_PAIRS_PER_RECORD = 0.1


def shared_identifier_pairs(table) -> int:
    """How many pairs of records (an Arrow table with ``unique_id`` and ``id_keys``) share
    an identifier."""
    import duckdb

    con = duckdb.connect()
    con.register("records", table.select(["unique_id", "id_keys"]))
    (count,) = con.execute(
        """
        WITH held AS (SELECT DISTINCT unique_id, unnest(id_keys) AS key FROM records)
        SELECT count(DISTINCT (a.unique_id, b.unique_id))
        FROM held a JOIN held b ON a.key = b.key AND a.unique_id < b.unique_id
        """
    ).fetchone()
    con.close()
    return int(count)


def same_name_and_date_pairs(table) -> int:
    import duckdb

    con = duckdb.connect()
    con.register("records", table.select(["name_main", "birth_date", "sex"]))
    (count,) = con.execute(
        """
        SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM (
            SELECT count(*) AS n FROM records
            WHERE name_main IS NOT NULL AND birth_date IS NOT NULL AND sex IS NOT NULL
            GROUP BY name_main, birth_date, sex)
        """
    ).fetchone()
    con.close()
    return int(count)


def estimate_prior(linker, table, identifier_recall: float = 0.5) -> str:
    """Set the chance that two records match; returns how it was estimated.

    - pairs sharing an identifier, scaled up by the share of people registered twice who
      carry the same number both times (`identifier_recall`), when there are enough;
    - otherwise (a registry whose records sharing an identifier were already joined, as
      ``mhis import`` does) pairs of the same joined name, exact date of birth and sex,
      scaled up by :data:`SAME_NAME_AND_DATE_RECALL`;
    - otherwise :data:`DEFAULT_PAIRS_PER_RECORD`.
    """
    n = table.num_rows
    if shared_identifier_pairs(table) >= MIN_SILVER:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("id_keys", arrays_to_explode=["id_keys"])], recall=identifier_recall
        )
        return "identifiers"
    total = n * (n - 1) / 2
    same = same_name_and_date_pairs(table)
    if same >= 1 and same / SAME_NAME_AND_DATE_RECALL < total:
        linker._settings_obj._probability_two_random_records_match = (
            same / SAME_NAME_AND_DATE_RECALL / total
        )
        return "name and date"
    linker._settings_obj._probability_two_random_records_match = min(
        0.5, DEFAULT_PAIRS_PER_RECORD * n / total
    )
    return "default"


def train(
    linker,
    table,
    identifier_recall: float = 0.5,
    max_pairs: float = 2e6,
    seed: int = 2026,
) -> str:
    """Estimate the model's parameters from the records themselves (`table`, the feature
    rows as Arrow), without labels. Returns how the prior was estimated.

    - the chance that two records match: see :func:`estimate_prior`;
    - u (how often two different people agree): random pairs;
    - m (how often the same person agrees with themself): the pairs sharing an identifier,
      a silver standard, when there are enough of them; otherwise expectation maximisation
      blocked on the joined name and birth year, then on the exact date of birth. The
      identifier comparison's own m is fixed (a shared number is decisive; 1 true match in
      1,000 conflicts).
    """
    import pyarrow as pa

    how = estimate_prior(linker, table, identifier_recall)
    # Every sampled pair counted: by default Splink stops at the first hundredth of them once
    # each level has been seen 100 times, so u (nationality's among them) came from the
    # few records of that first slice and moved by half between seeds and backends.
    linker.training.estimate_u_using_random_sampling(
        max_pairs=max_pairs, seed=seed, min_count_per_level=None
    )
    silver = silver_pairs(table)
    if len(silver) >= MIN_SILVER:
        labels = pa.table(
            {"unique_id_l": [a for a, _ in silver], "unique_id_r": [b for _, b in silver]}
        )
        registered = linker.table_management.register_table(labels, "__mhis_silver", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels(registered)
        return how
    sample = min(1.0, 200_000 / max(table.num_rows, 1))
    for rule in (block_on("name_main", "birth_year"), block_on("birth_date", "sex")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, record_sample_proportion=sample
            )
        except Exception:  # a session with no pairs to learn from: its m stay as they are
            logging.getLogger(__name__).info("no pairs to learn from in %s", rule)
    return how
