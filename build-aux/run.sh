#!/usr/bin/env bash
# Installs what is missing, builds, and starts lora-monitor with its
# built-in job service and a demo history (about 300 jobs, two training,
# five queued). The demo database lives in ~/.local/share/lora-monitor and
# is kept between runs; delete it to start over.
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

# Run from the build tree: the settings schema is compiled there.
export GSETTINGS_SCHEMA_DIR="$PWD/$builddir/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
exec "$builddir/src/monitor/lora-monitor" --demo "$@"
