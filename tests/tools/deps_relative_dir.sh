#!/usr/bin/env bash
# tools/deps.sh given a RELATIVE build directory (as the Makefile passes
# `build`) must fetch and unpack the source packages: it once failed on
# every fresh clone because it changed directory before using relative
# paths.  Runs in a scratch directory with the download cache empty.
set -uo pipefail
top=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1
if out=$(timeout 300 "$top/tools/deps.sh" rel-build 2>&1) &&
	[ -f rel-build/deps/mbedtls/.meshgate-id ] && [ -f rel-build/deps/lwip/.meshgate-id ]; then
	echo "PASS deps_relative_dir: sources fetched and unpacked under a relative build dir"
	exit 0
fi
echo "FAIL deps_relative_dir:"
printf '%s\n' "$out" | tail -5
exit 1
