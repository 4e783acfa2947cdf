"""Batch extracts: every source as a Parquet file, encrypted at rest, read by DuckDB.

An extract holds migration status (for disaggregated counts), so it is as sensitive as the
database: each file is written to memory, encrypted with the field keys (Fernet) and only
then written to disk, beside a manifest of row counts. `open_extract` decrypts in memory and
registers the files with DuckDB as Arrow tables; nothing plain touches the disk.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from mhis.crypto import decrypt_bytes, encrypt_bytes

from .engine import DuckEngine
from .sources import BOOL, DATE, FLOAT, INT, SOURCES, TEXT, Source, extract, whole_statuses

ARROW_TYPES = {BOOL: pa.bool_(), INT: pa.int64(), FLOAT: pa.float64(), TEXT: pa.string()}
ARROW_TYPES[DATE] = pa.date32()
MANIFEST = "manifest.json"


def schema(source: Source) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.type]) for c in source.all_columns])


def _batch(source: Source, rows: list[tuple]) -> pa.RecordBatch:
    s = schema(source)
    arrays = [pa.array([r[i] for r in rows], type=f.type) for i, f in enumerate(s)]
    return pa.RecordBatch.from_arrays(arrays, schema=s)


def _write_encrypted(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(encrypt_bytes(data))
    os.replace(tmp, path)


def write_extract(
    directory: Path, sources: list[str] | None = None, progress: Callable | None = None
) -> dict[str, int]:
    """Extract `sources` (all by default) from the database into `directory`; return row counts."""
    directory.mkdir(parents=True, exist_ok=True)
    statuses = whole_statuses()
    counts = {}
    for name in sources or list(SOURCES):
        source = SOURCES[name]
        buffer = io.BytesIO()
        writer = pq.ParquetWriter(buffer, schema(source), compression="zstd")

        def sink(rows, source=source, writer=writer, name=name):
            writer.write_batch(_batch(source, rows))
            if progress:
                progress(name, len(rows))

        counts[name] = extract(name, statuses=statuses, sink=sink).count
        writer.close()
        _write_encrypted(directory / f"{name}.parquet.enc", buffer.getvalue())
    manifest = {"created": timezone.now().isoformat(), "rows": counts}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return counts


def read_table(path: Path) -> pa.Table:
    return pq.read_table(io.BytesIO(decrypt_bytes(path.read_bytes())))


def open_extract(directory: Path, threads: int | None = None) -> DuckEngine:
    """A DuckDB engine over the extract in `directory` (decrypted in memory)."""
    if not (directory / MANIFEST).exists():
        raise FileNotFoundError(f"{directory}: no extract here (run `mhis indicators extract`)")
    tables = {}
    for name, source in SOURCES.items():
        path = directory / f"{name}.parquet.enc"
        tables[name] = read_table(path) if path.exists() else schema(source).empty_table()
    return DuckEngine(tables, threads)


def engine_for(tables: dict[str, pa.Table]) -> DuckEngine:
    """A DuckDB engine over Arrow tables already in memory (tests, benchmarks)."""
    return DuckEngine(
        {name: tables.get(name, schema(source).empty_table()) for name, source in SOURCES.items()}
    )


def arrow(extract_) -> pa.Table:
    """An in-memory extract (`sources.Extract`) as an Arrow table."""
    return pa.Table.from_batches([_batch(extract_.source, extract_.rows)])
