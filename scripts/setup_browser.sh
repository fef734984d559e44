#!/usr/bin/env bash
# The run report's browser tests (tests/report/) drive Debian's Chromium headless. Install it
# when it is missing and this machine can (root with apt-get); otherwise say so and go on:
# those tests then skip, unless DISTILABEL_REQUIRE_BROWSER=1 (CI sets it) makes them fail.
set -uo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: chromium is not installed (apt-get install chromium); the report's browser tests will skip" >&2
  exit 0
fi
echo "installing Debian's chromium for the report's browser tests (once)" >&2
export DEBIAN_FRONTEND=noninteractive
for attempt in 1 2 3; do
  if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends chromium >/dev/null; then
    exit 0
  fi
  echo "apt-get failed (attempt $attempt of 3)" >&2
  sleep 5
done
echo "note: chromium could not be installed; the report's browser tests will skip" >&2
exit 0
