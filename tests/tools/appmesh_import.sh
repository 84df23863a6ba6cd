#!/usr/bin/env bash
# tools/appmesh-import turns the sample folder of `aws appmesh describe-*` outputs
# (tests/tools/appmesh-import/colors, the "colors" canary mesh) plus an appliance section
# into one configuration that `gateway --check` accepts; bad folders are refused with one
# clear line per problem, and a configuration with dangling references fails the check
# (exit 1) with the error's path.  Needs build/gateway (make builds it first).
set -uo pipefail
top=$(pwd)
gw=${GATEWAY:-$top/build/gateway}
data=$top/tests/tools/appmesh-import
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() {
	echo "FAIL appmesh_import: $*"
	exit 1
}

# 1. The sample imports and passes the check.
tools/appmesh-import --appliance "$data/appliance.json" -o "$scratch/meshgate.json" \
	"$data/colors" 2>"$scratch/import.err" || fail "import failed: $(cat "$scratch/import.err")"
out=$("$gw" --check "$scratch/meshgate.json" 2>&1) || fail "check failed: $out"
want="$scratch/meshgate.json: valid: mesh colors, virtual gateway colors-gw, 2 gateway route(s), 3 virtual service(s), 1 virtual router(s), 1 route(s), 3 virtual node(s)"
[ "$out" = "$want" ] || fail "unexpected summary: $out"
# Standard output works too, and the result is the same document.
tools/appmesh-import --appliance "$data/appliance.json" "$data/colors" >"$scratch/stdout.json" \
	2>/dev/null || fail "import to stdout failed"
cmp -s "$scratch/stdout.json" "$scratch/meshgate.json" || fail "stdout and -o differ"

# 2. A folder with problems: every one is reported, nothing is written.
mkdir "$scratch/bad"
cp "$data"/colors/*.json "$scratch/bad/"
sed 's/"colors-gw"/"other-gw"/' "$data/colors/virtual-gateway.json" >"$scratch/bad/gw2.json"
echo '{"virtualNodes": []}' >"$scratch/bad/list.json"
echo 'notes' >"$scratch/bad/README"
cp "$data/colors/route-color-canary.json" "$scratch/bad/route-copy.json"
if tools/appmesh-import -o "$scratch/bad.json" "$scratch/bad" 2>"$scratch/bad.err"; then
	fail "a bad folder was accepted"
fi
[ ! -e "$scratch/bad.json" ] || fail "output written despite errors"
for msg in \
	"README: not valid JSON" \
	"list.json: not the output of an \`aws appmesh describe-*\` command (its top level has virtualNodes" \
	"route-copy.json: describes route 'color-canary' again (already in" \
	"2 virtual gateways (" \
	"run one Meshgate per virtual gateway"; do
	grep -qF -- "$msg" "$scratch/bad.err" || fail "missing error '$msg' in: $(cat "$scratch/bad.err")"
done
[ "$(wc -l <"$scratch/bad.err")" -eq 4 ] || fail "expected 4 errors, got: $(cat "$scratch/bad.err")"

# 3. A mesh missing a virtual node: the import works, the check fails with exit 1 and paths.
mkdir "$scratch/dangling"
cp "$data"/colors/*.json "$scratch/dangling/"
rm "$scratch/dangling/virtual-node-colors-blue.json"
tools/appmesh-import --appliance "$data/appliance.json" -o "$scratch/dangling.json" \
	"$scratch/dangling" 2>/dev/null || fail "import of the dangling mesh failed"
out=$("$gw" --check "$scratch/dangling.json" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "check of a dangling mesh exited $rc: $out"
grep -qF "routes[0].spec.httpRoute.action.weightedTargets[0].virtualNode: there is no virtual node named 'colors-blue'" <<<"$out" ||
	fail "no dangling-target error in: $out"
grep -qF "appliance.endpoints.colors-blue: there is no virtual node named 'colors-blue'" <<<"$out" ||
	fail "no dangling-endpoints error in: $out"

echo "PASS appmesh_import: sample mesh imported and checked; bad folders and dangling references refused"
