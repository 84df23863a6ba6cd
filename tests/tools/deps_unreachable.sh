#!/usr/bin/env bash
# tools/deps.sh must fail with one clear line when the package registry
# cannot be reached.  Simulated with MG_APT_URI pointing at a closed local
# port, into a scratch build directory (the real one is not touched).
set -uo pipefail
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
out=$(MG_APT_URI=http://127.0.0.1:9/archive timeout 120 tools/deps.sh "$scratch" 2>&1)
rc=$?
last=$(printf '%s\n' "$out" | tail -1)
if [ $rc -ne 0 ] && [[ "$last" == "deps: cannot reach the Debian package registry"* ]]; then
	echo "PASS deps_unreachable: exit $rc, '$last'"
	exit 0
fi
echo "FAIL deps_unreachable: exit $rc, output:"
printf '%s\n' "$out" | tail -5
exit 1
