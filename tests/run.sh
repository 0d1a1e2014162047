#!/usr/bin/env bash
# The one test command (README, CI): installs what the tests need on a fresh Debian machine, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
APT_PACKAGES="dataset-fashion-mnist chromium"
# A Python that refuses global pip installs (PEP 668: Debian 12+, Ubuntu 23.04+) gets a virtual
# environment in .venv instead; inside one already (VIRTUAL_ENV), or where global installs are
# allowed (as in CI), packages go where that Python finds them.
EXTERNALLY_MANAGED=$($PY -c 'import os, sys, sysconfig
print(int(sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))))')
[ "$EXTERNALLY_MANAGED" = 1 ] && APT_PACKAGES="$APT_PACKAGES python3-venv"
if ! dpkg -s $APT_PACKAGES >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $APT_PACKAGES
fi
if [ "$EXTERNALLY_MANAGED" = 1 ]; then
  [ -x .venv/bin/python ] || $PY -m venv .venv
  PY=.venv/bin/python
fi
$PY -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-test.txt
export HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False PYTHONUNBUFFERED=1
# Two workers (pytest-xdist), one per core of the machine this is designed for: most tests wait on a
# browser, a live app or a subprocess, so the two interleave. The tests of the live app share one
# worker (conftest: xdist_group "app"), so one app and one browser start; the rest go to whichever
# worker is free. In such a whole run the controller starts that app while the workers start.
# Plugins some images bring along that no test uses (hypothesis, pytest-benchmark) are not loaded:
# about a second of import in each of the three pytest processes.
exec $PY -m pytest -q -ra -n 2 --dist loadgroup -p no:hypothesispytest -p no:benchmark tests "$@"
