#!/usr/bin/env bash
# The one test command (README, CI): installs what the tests need on a fresh Debian machine, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
APT_PACKAGES="dataset-fashion-mnist chromium"
if ! dpkg -s $APT_PACKAGES >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $APT_PACKAGES
fi
PY=${PYTHON:-python3}
$PY -m pip install -q --disable-pip-version-check -r requirements.txt -r requirements-test.txt
export HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False PYTHONUNBUFFERED=1
exec $PY -m pytest -q -ra tests "$@"
