#!/usr/bin/env bash
# The load benchmark against a throwaway PostgreSQL cluster with durable settings (fsync on),
# deleted afterwards: bench/load/run.sh [--size medium] [--rate 50] [--duration 60] …
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d /tmp/mhis-load.XXXXXX)"
trap 'rm -rf "$work"' EXIT
PG_DURABLE=1 "$root/scripts/with-postgres.sh" "$root/.venv/bin/python" "$root/bench/load/run.py" --work "$work" "$@"
