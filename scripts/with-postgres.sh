#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster: initdb into a temp dir, listen on a
# Unix socket there only, export DATABASE_URL, run "$@", and always stop and delete the cluster.
set -euo pipefail

pg_bin="${PG_BIN:-}"
if [ -z "$pg_bin" ]; then
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) "$(pg_config --bindir 2>/dev/null || true)"; do
    if [ -x "$dir/initdb" ]; then pg_bin="$dir"; break; fi
  done
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "with-postgres: no PostgreSQL server binaries (initdb) found; install postgresql or set PG_BIN" >&2
  exit 2
fi

tmp="$(mktemp -d /tmp/mhis-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$tmp"
  as_pg=(runuser -u postgres --)
fi

stop() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap stop EXIT INT TERM

"${as_pg[@]}" "$pg_bin/initdb" -D "$tmp/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# Tests trade durability for speed; PG_DURABLE=1 keeps PostgreSQL's defaults (benchmarks).
# Tests also run without autovacuum: each test's rows are rolled back, and autovacuum, finding
# only those dead rows, records the table as empty; the next test's queries over the rows it
# has just written are then planned for an empty table (nested scans that can run for
# minutes). Never vacuumed, a table's size is read from its pages, as for freshly loaded data.
options="-k $tmp -c listen_addresses=''"
if [ "${PG_DURABLE:-0}" != 1 ]; then
  options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  options="$options -c autovacuum=off"
fi
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -s -o "$options" start
echo "with-postgres: $("$pg_bin/postgres" --version) on socket $tmp"

export DATABASE_URL="postgres://postgres@/mhis?host=$tmp"
set +e
"$@"
status=$?
set -e
exit $status
