#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
# Widget tests need a display and a session bus, so the suite runs inside
# dbus-run-session and xvfb-run. BUILDDIR picks the build folder (default
# _build); extra arguments go to `meson test`.
#
# With SANITIZE=1 (and always under CI) the suite runs a second time in an
# AddressSanitizer + UBSan build made with clang. Leak checking stays on
# for everything but the widget tests: GTK and fontconfig keep caches for
# the life of the process by design. Then a third build, with libFuzzer
# (-Dfuzzing=true, no app), runs each fuzz target for 30 s (suite fuzz).
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

# Each pass gets a runtime folder of its own: the AT-SPI bus puts its
# socket there (else in ~/.cache/at-spi, which every session shares).
run_suite () {
  local runtime status=0
  runtime=$(mktemp -d)
  XDG_RUNTIME_DIR="$runtime" dbus-run-session -- xvfb-run -a -s "-screen 0 1440x900x24" \
    meson test -C "$1" --print-errorlogs "${@:2}" || status=$?
  rm -rf "$runtime"
  return $status
}

run_suite "$builddir" "$@"

if [ "${SANITIZE:-}" = 1 ] || [ -n "${CI:-}" ]; then
  asandir="${builddir}-asan"
  if [ ! -f "$asandir/build.ninja" ]; then
    CC=clang-14 meson setup "$asandir" -Dwerror=true \
      -Db_sanitize=address,undefined -Db_lundef=false
  fi
  meson compile -C "$asandir"
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  # GIO's libproxy module is C++ and throws inside its resolver thread;
  # ASan cannot intercept that in a C program and aborts. Loopback tests
  # need no proxy, so the sanitizer pass uses GIO's direct resolver.
  export GIO_USE_PROXY_RESOLVER=dummy
  ASAN_OPTIONS=detect_leaks=1 run_suite "$asandir" --no-suite monitor "$@"
  ASAN_OPTIONS=detect_leaks=0 run_suite "$asandir" --suite monitor "$@"

  fuzzdir="${builddir}-fuzz"
  if [ ! -f "$fuzzdir/build.ninja" ]; then
    CC=clang-14 meson setup "$fuzzdir" -Dwerror=true -Dfuzzing=true \
      -Db_sanitize=address,undefined -Db_lundef=false -Dapp=false
  fi
  meson compile -C "$fuzzdir"
  ASAN_OPTIONS=detect_leaks=1 meson test -C "$fuzzdir" --print-errorlogs --suite fuzz
fi
