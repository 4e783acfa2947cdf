"""Record linkage: the same migrant across sites and borders, without a shared identifier.

A small library with no Django inside its core (only :mod:`mhis.linkage.records` reads the
registry). Public API::

    features(record) -> dict                      # the keys the comparisons read
    link(records, threshold=…) -> Result          # train on the records, score, cluster
    Result.pairs                                  # scored candidate pairs with their evidence
    Result.clusters                               # unique_id -> cluster id

Matching runs on Splink (DuckDB by default; ``backend="spark"`` with a SparkSession for
regional scale) with our own comparisons of names across scripts and naming customs, dates
of birth with their precision, and identifiers of the same type and issuer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .features import COLUMNS, features

__all__ = ["COLUMNS", "Pair", "Result", "feature_table", "features", "link"]


@dataclass(frozen=True)
class Pair:
    left: str
    right: str
    probability: float
    weight: float
    evidence: dict[str, float]  # comparison -> match weight (bits; above 0: it agreed)


@dataclass
class Result:
    pairs: list[Pair] = field(default_factory=list)
    clusters: dict[str, str] = field(default_factory=dict)
    model: dict = field(default_factory=dict)  # the trained parameters (Splink's JSON)


def link(
    records: Iterable[dict],
    *,
    threshold: float = 0.5,
    cluster_threshold: float = 0.95,
    identifier_recall: float = 0.5,
    max_block: int | None = None,
    backend: str = "duckdb",
    spark=None,
    progress: Callable[[str], None] = lambda step: None,
) -> Result:
    """Deduplicate `records`: train the model on them, keep pairs scored at `threshold` or
    above, and cluster the pairs at `cluster_threshold`."""
    from splink import DuckDBAPI, Linker

    from . import model

    progress("features")
    table = feature_table(_counted(records, progress))
    if table.num_rows < 2:
        return Result(clusters={u: u for u in table.column("unique_id").to_pylist()})
    progress("blocking")
    table = model.block_keys(table, **({"max_block": max_block} if max_block else {}))
    # Trained on DuckDB whatever the backend, from the feature table already in memory (the
    # blocking keys were built there too): Splink samples the pairs that estimate u by a
    # hash of the record's id, and DuckDB's and Spark's hashes pick different records, so
    # two backends trained apart disagree by their samples alone. Spark scores and clusters
    # the candidate pairs, the part that grows with the registry, with the same parameters.
    trainer = Linker(DuckDBAPI().register(table), model.settings("duckdb"), log_level="WARNING")
    progress("training")
    model.train(trainer, table, identifier_recall=identifier_recall)
    if backend == "spark":
        linker = _on_spark(table, spark, trainer.misc.save_model_to_json())
    else:
        linker = trainer
    progress("scoring")
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    progress("clustering")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, cluster_threshold
    )
    progress("collecting")
    result = Result(model=linker.misc.save_model_to_json())
    for row in predictions.as_record_list():
        result.pairs.append(
            Pair(
                left=str(row["unique_id_l"]),
                right=str(row["unique_id_r"]),
                probability=float(row["match_probability"]),
                weight=float(row["match_weight"]),
                evidence=_evidence(row),
            )
        )
    ids = clusters.query_sql(
        "SELECT CAST(unique_id AS VARCHAR) AS u, CAST(cluster_id AS VARCHAR) AS c FROM {this}"
    ).as_pyarrow_table()
    result.clusters = dict(
        zip(ids.column("u").to_pylist(), ids.column("c").to_pylist(), strict=True)
    )
    return result


def _on_spark(table, spark, trained: dict):
    """A linker on `spark` over `table`, with the comparisons in Spark SQL and the
    parameters of `trained` (a model saved as JSON from the same settings)."""
    from splink import Linker, SparkAPI  # needs pyspark, installed apart for regional scale
    from splink.backends.spark import similarity_jar_location

    from . import model

    if spark.sparkContext.getCheckpointDir() is None:  # Splink breaks lineage there
        import tempfile

        spark.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="mhis-spark-"))
    # Splink's functions for Spark (Damerau-Levenshtein among them, as DuckDB has it) come in
    # a jar: added to the session unless it was built with it.
    jar = similarity_jar_location()
    if not any(jar.rsplit("/", 1)[-1] in row[0] for row in spark.sql("LIST JAR").collect()):
        spark.sql(f"ADD JAR '{jar}'")
    db = SparkAPI(spark_session=spark)
    if not spark.catalog.functionExists("damerau_levenshtein"):
        raise RuntimeError(f"Spark could not load Splink's string functions from {jar}")
    settings = model.settings("spark").create_settings_dict(sql_dialect_str="spark")
    settings["probability_two_random_records_match"] = trained[
        "probability_two_random_records_match"
    ]
    for comparison, learnt in zip(settings["comparisons"], trained["comparisons"], strict=True):
        levels = zip(comparison["comparison_levels"], learnt["comparison_levels"], strict=True)
        for level, values in levels:
            level.update({k: values[k] for k in ("m_probability", "u_probability") if k in values})
    # Straight from Arrow, keeping the column types (through pandas, whole numbers with
    # gaps turn into floats and empty lists lose their element type).
    data = db.register(spark.createDataFrame(table))
    return Linker(data, settings, log_level="WARNING")


def _counted(records: Iterable[dict], progress, every: int = 20_000):
    """The records, telling `progress` how many were read so far."""
    n = 0
    for n, record in enumerate(records, 1):
        if n % every == 0:
            progress(f"features ({n:,} records)")
        yield record
    if n >= every:
        progress(f"features ({n:,} records)")


def feature_table(records: Iterable[dict], chunk: int = 20_000):
    """The records' feature rows as one Arrow table, built a chunk at a time so that a
    large registry is never held as Python rows."""
    import pyarrow as pa

    schema, batches, rows = _schema(), [], []
    for record in records:
        rows.append(features(record))
        if len(rows) == chunk:
            batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
            rows = []
    if rows:
        batches.append(pa.RecordBatch.from_pylist(rows, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def _evidence(row: dict) -> dict[str, float]:
    """Each comparison's match weight, its term-frequency adjustment included."""
    weights: dict[str, float] = {}
    for key, value in row.items():
        if key.startswith("mw_"):
            name = key.removeprefix("mw_").removeprefix("tf_adj_")
            weights[name] = weights.get(name, 0.0) + float(value or 0.0)
    return weights


def _schema():
    import pyarrow as pa

    text, texts = pa.string(), pa.list_(pa.string())
    types = {
        "unique_id": text,
        "name_main": text,
        "name_sorted": text,
        "name_forms": texts,
        "name_tokens": texts,
        "name_initials": texts,
        "name_sounds": texts,
        "name_block": texts,
        "name_word_sounds": texts,
        "name_pairs": texts,
        "sex": text,
        "birth_date": pa.date32(),
        "birth_year": pa.int32(),
        "birth_month": pa.int32(),
        "birth_fuzzy": pa.bool_(),
        "nationality": text,
        "origin": text,
        "id_keys": texts,
        "id_kinds": texts,
        "id_types": texts,
        "id_open": texts,
        "id_first": text,
        "id_near": texts,
        "destination": text,
        "sector": text,
        "arrival_month": pa.int32(),
    }
    return pa.schema([(c, types[c]) for c in COLUMNS])
