#!/usr/bin/env bash
# System packages the suite needs beyond Python ones; `make test` runs this before pytest.
# tests/test_browser.py drives Debian's chromium through Playwright (never `playwright install`).
# chromium present: nothing to do. Missing: installed with apt-get as root (or with passwordless
# sudo); otherwise one line says what to run and the exit status is 1, so pytest does not start.
set -euo pipefail

# TOMTAT_CHROMIUM: the browser tests/test_browser.py launches (default: `chromium` on PATH).
chromium=${TOMTAT_CHROMIUM:-chromium}
command -v "$chromium" >/dev/null 2>&1 && exit 0

me=tests/setup-system.sh
if ! command -v apt-get >/dev/null 2>&1; then
    echo "$me: $chromium is missing (tests/test_browser.py needs it): install Chromium with your package manager, then run make test again" >&2
    exit 1
fi

. "$(dirname "${BASH_SOURCE[0]}")/setup-root.sh"
if ! can_be_root; then
    echo "$me: $chromium is missing (tests/test_browser.py needs it): run  sudo apt-get install -y chromium  then make test again" >&2
    exit 1
fi

echo "$me: installing Debian's chromium with apt-get (not on PATH; tests/test_browser.py needs it)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# DPkg::Lock::Timeout: wait for another apt run to let go of its lock instead of failing.
if ! { as_root apt-get -q -o DPkg::Lock::Timeout=600 update \
       && as_root env DEBIAN_FRONTEND=noninteractive \
              apt-get -q -o DPkg::Lock::Timeout=600 install -y chromium; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "$me: apt-get could not install chromium (its output is above); install it by hand: sudo apt-get install -y chromium" >&2
    exit 1
fi
command -v "$chromium" >/dev/null 2>&1 || {
    echo "$me: apt-get installed chromium but $chromium is still not found; check PATH or TOMTAT_CHROMIUM" >&2
    exit 1
}
