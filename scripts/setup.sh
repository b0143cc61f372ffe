#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine (run as root): apt packages, the
# virtualenv and the pinned pip packages, then generates the CJK font the UI uses.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  pcscd vsmartcard-vpcd libpcsclite-dev swig pkg-config   # PC/SC stack + what pyscard builds with
  fonts-noto-cjk fonts-hanazono                           # CJK UI font (Regular + Bold) + rare-character fallback
  fonts-material-design-icons-iconfont                    # the UI's icons (screens/design/icons.py)
  libgl1 libegl1 libgles2 libmtdev1                       # Kivy's SDL2/GL on Mesa (offscreen works)
  xvfb chromium                                           # fleet page test in headless Chromium
  systemd                                                 # systemd-analyze verify of the units
  postgresql                                              # central tests also on a throwaway PostgreSQL cluster
  prometheus prometheus-alertmanager                      # promtool / amtool: alert rule tests, route checks
  cage debootstrap systemd-container                      # deploy tests: units' binaries, throwaway root, boot it
  espeak-ng                                               # voice prompts: make prompts (Mandarin + English)
  python3-venv python3-dev build-essential
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then echo "setup: run as root to install apt packages" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade "pip>=24" "setuptools>=77,<81" wheel
.venv/bin/python -m pip install -q -r requirements.lock
# Two distributions, both editable: the kiosk (pyproject.toml) and the development one with the
# reference central and the device emulators (central_sim/pyproject.toml), which the kiosk only
# reaches through entry points (kiosk/dev_central.py).
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e . -e ./central_sim
.venv/bin/python -m kiosk.fonts generate
echo "setup: ready"
