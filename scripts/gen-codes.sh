#!/usr/bin/env bash
# Generates a C table of SQLite's result-code names from sqlite3.h, so the names the
# core reports (sqlw_code_name) can never drift from the SQLite it is built with.
# Usage: gen-codes.sh path/to/sqlite3.h > codes.h
set -euo pipefail
hdr=$1
echo "/* Generated from sqlite3.h by scripts/gen-codes.sh; do not edit. */"
echo "static const struct { int rc; const char *zName; } aCodeName[] = {"
# Primary codes: the block from SQLITE_OK to SQLITE_DONE.
awk '/^#define SQLITE_OK /,/^#define SQLITE_DONE /' "$hdr" |
  sed -n 's/^#define \(SQLITE_[A-Z_]*\) *\([0-9][0-9]*\).*/  { \2, "\1" },/p'
# Extended codes: #define SQLITE_X (SQLITE_Y | (n<<8)).
sed -n 's/^#define \(SQLITE_[A-Z0-9_]*\) *(\(SQLITE_[A-Z]*\) *| *(\([0-9][0-9]*\)<<8)).*/\1 \2 \3/p' "$hdr" |
  while read -r name base shift; do
    num=$(awk -v b="$base" '/^#define SQLITE_OK /,/^#define SQLITE_DONE / { if ($2 == b) print $3 }' "$hdr")
    [ -n "$num" ] && echo "  { $(( num | (shift << 8) )), \"$name\" },"
  done
echo "};"
