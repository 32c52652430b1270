#!/usr/bin/env bash
# Runs irctest (the public IRC server conformance suite) against Parley's
# IRC gateway, with the standard selection: not implementation-specific,
# not deprecated, not strict. Usage:
#
#   irc/irctest/run.sh [pytest args...]      e.g. -k Topic, or -x
#
# irctest is taken from $IRCTEST_DIR when set (a checkout at any commit),
# else cloned at the pinned commit below into ${IRCTEST_CACHE:-$HOME/.cache/parley-irctest}.
# Without the suite (no network and no checkout), python3 or pytest, it
# says why and exits 0: the run is skipped, not failed.
#
# It prints the counts and writes the failing tests, one a line, to
# ${IRCTEST_OUT:-/tmp/parley-irctest}/failures.txt. With IRCTEST_MIN_PASS set it
# fails when fewer tests pass (CI keeps the count from falling).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

IRCTEST_REPO=https://github.com/progval/irctest
IRCTEST_COMMIT=b00c039766f5c497920dd787f7cb0e0005bd5ce0
out=${IRCTEST_OUT:-/tmp/parley-irctest}
mkdir -p "$out"

skip() { echo "irctest skipped: $*"; exit 0; }

py=$(command -v python3 || true)
[ -n "$py" ] || skip "python3 is not installed"
if ! "$py" -c 'import pytest' 2>/dev/null; then
  # pyenv shims may hide Debian's python3-pytest.
  if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
    py=/usr/bin/python3
  else
    skip "pytest is not installed (apt-get install python3-pytest)"
  fi
fi

suite=${IRCTEST_DIR:-}
if [ -z "$suite" ]; then
  suite=${IRCTEST_CACHE:-$HOME/.cache/parley-irctest}
  if [ ! -d "$suite/.git" ] || ! git -C "$suite" cat-file -e "$IRCTEST_COMMIT^{commit}" 2>/dev/null; then
    command -v git >/dev/null || skip "git is not installed"
    rm -rf "$suite"
    if ! git clone -q "$IRCTEST_REPO" "$suite" 2>"$out/clone.log"; then
      rm -rf "$suite"
      skip "could not clone $IRCTEST_REPO (no network?): $(tail -1 "$out/clone.log"); set IRCTEST_DIR to a checkout"
    fi
  fi
  git -C "$suite" -c advice.detachedHead=false checkout -q "$IRCTEST_COMMIT"
fi
[ -f "$suite/conftest.py" ] || skip "$suite is not an irctest checkout"

bin="$out/bin/parley"
(cd "$root" && go build -o "$bin" ./cmd/parley)

markers='not implementation-specific and not deprecated and not strict'
cd "$suite"
set +e
PARLEY_BIN="$bin" PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" \
  "$py" -m pytest -p no:cacheprovider -p pytest_compat -q -rN --tb=line \
  --controller parley_controller -m "$markers" \
  --junitxml="$out/junit.xml" "$@" >"$out/pytest.log" 2>&1
status=$?
set -e
grep -E '^(FAILED|ERROR) ' "$out/pytest.log" | sed 's/ - .*//' | sort >"$out/failures.txt" || true
# pytest's own summary line: "N failed, N passed, N skipped ..."
summary=$(tail -1 "$out/pytest.log")
echo "irctest: $summary"
echo "log: $out/pytest.log; failing tests: $out/failures.txt"
passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
failed=$(grep -oE '[0-9]+ failed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
echo "irctest results: passed=$passed failed=$failed"
if [ -n "${IRCTEST_MIN_PASS:-}" ] && [ "$passed" -lt "$IRCTEST_MIN_PASS" ]; then
  echo "irctest: $passed tests passed, fewer than IRCTEST_MIN_PASS=$IRCTEST_MIN_PASS: see $out/pytest.log" >&2
  exit 1
fi
case $status in 0|1|5) exit 0 ;; *) echo "pytest exited $status: see $out/pytest.log" >&2; exit "$status" ;; esac
