#!/bin/sh
# `make demo`: the development server with a worker (`mhis worker`) beside it, which runs the
# uploaded imports and the schedule; the worker stops when the server stops.
# Usage: scripts/serve-with-worker.sh BIN_DIR ADDRESS:PORT
set -eu
bin=$1
shift
"$bin/mhis" worker -v0 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
"$bin/mhis" runserver "$@"
