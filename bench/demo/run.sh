#!/usr/bin/env bash
# Time `mhis demo --size SIZE` into a fresh SQLite database; prints wall time and peak memory.
set -euo pipefail
size="${1:-medium}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export MHIS_DEBUG=1 MHIS_VAR_DIR="$work" DATABASE_URL=
"$root/.venv/bin/mhis" migrate -v0
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$root/.venv/bin/mhis" demo --size "$size" --seed 2026 --verbosity 0
echo "people: $(sqlite3 "$work/mhis.sqlite3" 'select count(*) from registry_person' 2>/dev/null || echo '?')"
