#!/usr/bin/env bash
# The dashboard's cold and warm times with the disclosure control, on a throwaway PostgreSQL
# cluster with durable settings (fsync on), deleted afterwards, after building the demo world:
# bench/protection/run.sh [--size large] [--place TH-63-MSOT] [--period 2026-Q3]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export MHIS_DEBUG=1 MHIS_VAR_DIR="$(mktemp -d /tmp/mhis-protection.XXXXXX)"
trap 'rm -rf "$MHIS_VAR_DIR"' EXIT
PG_DURABLE=1 "$root/scripts/with-postgres.sh" "$root/.venv/bin/python" "$root/bench/protection/run.py" dashboard "$@"
