#!/usr/bin/env bash
# Installs what is missing, builds, and starts lora-jobd with demo data on
# http://127.0.0.1:8787 (the app arrives in a later issue and will take its
# place here). Ctrl+C stops it; the demo database is kept between runs.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=build-aux/deps.sh
. build-aux/deps.sh
lora_install_deps

builddir=${BUILDDIR:-_build}

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir"
fi
meson compile -C "$builddir"

datadir=${XDG_DATA_HOME:-$HOME/.local/share}/lora-jobd
db="$datadir/demo.db"
mkdir -p "$datadir"

token=$("$builddir/src/jobd/lora-jobd" token add "${USER:-$(id -un)}" --db "$db")
echo "API token for ${USER:-$(id -un)}: $token"
echo "Try: curl -H 'Authorization: Bearer $token' http://127.0.0.1:8787/api/training/queue"

exec "$builddir/src/jobd/lora-jobd" --listen "${LORA_LISTEN:-127.0.0.1:8787}" --db "$db" --demo
