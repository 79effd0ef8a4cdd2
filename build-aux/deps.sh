# build-aux/deps.sh: installs what building and testing need, on Debian 12.
#
# Sourced by run.sh and test.sh. It asks apt only for packages that are
# missing, so a machine that has everything starts instantly.

LORA_PACKAGES=(
  # build
  meson ninja-build pkg-config gcc gettext
  libglib2.0-dev libsoup-3.0-dev libjson-glib-dev libsqlite3-dev
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev adwaita-icon-theme
  # tests: widget tests under Xvfb in a D-Bus session, accessibility
  # through AT-SPI, metadata validators
  python3 xvfb xauth dbus-x11 at-spi2-core python3-gi python3-pyatspi
  gir1.2-atspi-2.0 desktop-file-utils appstream libxml2-utils
  # a real LoRA fine-tune on CPU for the local provider's end-to-end test
  # (tests/test_torch_e2e.py, contrib/examples/torch_lora.py)
  python3-torch python3-tqdm
  # the chart benchmark's reference (bench/bench_chart.py)
  python3-matplotlib python3-numpy
  # the sanitizer pass (AddressSanitizer and UBSan through clang)
  clang-14 libclang-rt-14-dev
  # the Slurm provider's tests: a real single-node Slurm 22.05 with its
  # REST daemon and JWT authentication (tests/slurm_cluster.py)
  slurmctld slurmd slurmrestd slurm-client slurm-wlm-jwt-plugin munge
)

lora_missing_packages () {
  local missing=() pkg
  for pkg in "${LORA_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$pkg")
    fi
  done
  echo "${missing[@]}"
}

lora_install_deps () {
  local missing
  missing=$(lora_missing_packages)
  if [ -z "$missing" ]; then
    return 0
  fi

  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: $missing" >&2
    echo "Install them with: sudo apt-get install -y --no-install-recommends $missing" >&2
    return 1
  fi

  echo "Installing: $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
}
