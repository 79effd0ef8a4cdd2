#!/usr/bin/python3
"""Checks data/lora-jobd.service with `systemd-analyze verify`.

usage: check-systemd-unit.py UNIT.in LORA_JOBD

The unit names @bindir@/lora-jobd, which is not installed while testing, so
the check verifies a copy pointing at the lora-jobd just built. `verify`
exits 0 on unknown keys and unparsable values and only warns on stderr, so
any line that names the unit counts as a failure too. Exits 77 (skipped)
without systemd-analyze.
"""

import os
import shutil
import subprocess
import sys
import tempfile


# The sandbox the README promises; checked even where systemd-analyze is missing.
REQUIRED = {
    "DynamicUser": "yes",
    "ProtectSystem": "strict",
    "StateDirectory": "lora-jobd",
    "ProtectHome": "yes",
    "NoNewPrivileges": "yes",
}


def main():
    unit_in, jobd = sys.argv[1], os.path.abspath(sys.argv[2])

    with open(unit_in, encoding="utf-8") as f:
        text = f.read()
    settings = dict(line.split("=", 1) for line in text.splitlines()
                    if "=" in line and not line.lstrip().startswith("#"))
    for key, value in REQUIRED.items():
        if settings.get(key) != value:
            print(f"{unit_in}: expected {key}={value}, found {settings.get(key)!r}")
            return 1

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("sandbox settings present; systemd-analyze not found, skipping verify")
        return 77
    if "@bindir@/lora-jobd" not in text:
        print(f"{unit_in}: ExecStart does not use @bindir@/lora-jobd")
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        unit = os.path.join(tmp, "lora-jobd.service")
        with open(unit, "w", encoding="utf-8") as f:
            f.write(text.replace("@bindir@/lora-jobd", jobd))
        proc = subprocess.run([analyze, "verify", "--man=no", unit],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=False)
    print(proc.stdout, end="")
    if proc.returncode != 0:
        print(f"systemd-analyze verify exited with {proc.returncode}")
        return 1
    complaints = [l for l in proc.stdout.splitlines() if "lora-jobd.service" in l]
    if complaints:
        print(f"systemd-analyze verify complained {len(complaints)} time(s) about the unit")
        return 1
    print("lora-jobd.service: verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
