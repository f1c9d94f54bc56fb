#!/usr/bin/env bash
# Installs what the build and the tests need and is not yet on the machine:
# Debian packages (apt-get install -y, only when missing) and npm packages (npm ci).
# Idempotent and quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev
              binaryen wabt chromium firefox-esr webkit2gtk-driver xvfb)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages: reinstall only when package-lock.json changed since the last install.
if [ -f package-lock.json ]; then
  stamp=node_modules/.sqlw-npm-ci
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "setup: npm ci"
    # No package may download a browser: the tests use Debian's.
    PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
    mkdir -p node_modules && touch "$stamp"
  fi
fi
