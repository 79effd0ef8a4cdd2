#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
# Widget tests need a display and a session bus, so the suite runs inside
# dbus-run-session and xvfb-run. BUILDDIR picks the build folder (default
# _build); extra arguments go to `meson test`.
set -euo pipefail

cd "$(dirname "$0")/.."
# shellcheck source=build-aux/deps.sh
. build-aux/deps.sh
lora_install_deps

builddir=${BUILDDIR:-_build}

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" -Dwerror=true
fi
meson compile -C "$builddir"

exec dbus-run-session -- xvfb-run -a -s "-screen 0 1440x900x24" \
  meson test -C "$builddir" --print-errorlogs "$@"
