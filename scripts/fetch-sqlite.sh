#!/usr/bin/env bash
# Fetches the pinned SQLite amalgamation into build/sqlite/ from a registry package.
# The better-sqlite3 tarball carries SQLite's amalgamation in package/deps/sqlite3; only
# that folder is extracted (better-sqlite3 itself is never installed or built). The
# tarball's sha256 is checked before anything is extracted.
set -euo pipefail
cd "$(dirname "$0")/.."

PKG=better-sqlite3@13.2.0
SQLITE_VERSION=3.54.1
SHA256=40487589df3496f2ee0079d22b73c63fccebe7db0e8ee9a2c42421861e321e0b
OUT=build/sqlite

mkdir -p build/download "$OUT"
tgz=build/download/better-sqlite3-13.2.0.tgz
if [ ! -f "$tgz" ] || ! echo "$SHA256  $tgz" | sha256sum -c --status; then
  (cd build/download && npm pack --silent "$PKG" >/dev/null)
fi
if ! echo "$SHA256  $tgz" | sha256sum -c --status; then
  echo "fetch-sqlite: checksum mismatch for $tgz (expected $SHA256)" >&2
  rm -f "$tgz"
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tgz" -C "$tmp" package/deps/sqlite3
for f in sqlite3.c sqlite3.h sqlite3ext.h; do
  cp "$tmp/package/deps/sqlite3/$f" "$OUT/$f"
done
got=$(sed -n 's/^#define SQLITE_VERSION *"\(.*\)"/\1/p' "$OUT/sqlite3.h")
if [ "$got" != "$SQLITE_VERSION" ]; then
  echo "fetch-sqlite: expected SQLite $SQLITE_VERSION, the package holds $got" >&2
  exit 1
fi
echo "fetch-sqlite: SQLite $got in $OUT"
