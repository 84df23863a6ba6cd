#!/usr/bin/env bash
# `gateway jwt-test` (the config shell's jwt-test): a good ES256 token is accepted, an expired
# one, a tampered one, one from another issuer and a malformed one are refused with the
# gateway's reason labels; a config without appliance.jwt is a usage error.
set -uo pipefail
gw=${GATEWAY:-build/gateway}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
/usr/bin/python3 -c 'import sys, json
from jwcrypto import jwk
k = jwk.JWK.generate(kty="EC", crv="P-256", kid="k1")
open(sys.argv[1] + "/jwks.json", "w").write(json.dumps({"keys": [json.loads(k.export_public())]}))
open(sys.argv[1] + "/key.pem", "wb").write(k.export_to_pem(private_key=True, password=None))' "$scratch"
cat >"$scratch/c.json" <<JSON
{ "appliance": {
    "interfaces": [ { "name": "data0", "address": "10.77.0.2/24" } ], "admin": { "interface": "data0", "port": 9901 },
    "jwt": { "providers": { "corp": { "issuer": "https://idp.example",
               "jwks": { "file": "$scratch/jwks.json" } } } } } }
JSON
tok() { # tok ISS EXP_OFFSET
	/usr/bin/python3 -c 'import jwt, sys, time
print(jwt.encode({"iss": sys.argv[2], "sub": "u", "exp": int(time.time()) + int(sys.argv[3])},
                 open(sys.argv[1]).read(), algorithm="ES256", headers={"kid": "k1"}))' \
		"$scratch/key.pem" "$1" "$2"
}
expect() { # expect DESC STATUS PATTERN TOKEN
	local out rc
	out=$("$gw" jwt-test --config "$scratch/c.json" "$4" 2>&1)
	rc=$?
	if [ "$rc" != "$2" ] || ! grep -q -- "$3" <<<"$out"; then
		echo "FAIL jwt_test: $1: status $rc, output: $out"
		fail=1
	fi
}
good=$(tok https://idp.example 600)
expect "good token" 0 "provider corp: ok" "$good"
expect "expired token" 1 "provider corp: expired" "$(tok https://idp.example -600)"
expect "other issuer" 1 "provider corp: issuer" "$(tok https://evil.example 600)"
expect "tampered signature" 1 "provider corp: " "${good%?}$( [ "${good: -1}" = A ] && echo B || echo A)"
expect "malformed" 1 "provider corp: " "not.a.jwt"
out=$("$gw" jwt-test --config "$scratch/c.json" 2>&1)
[ $? = 2 ] || { echo "FAIL jwt_test: no token is a usage error"; fail=1; }
echo '{ "appliance": { "interfaces": [ { "name": "data0", "address": "10.77.0.2/24" } ], "admin": { "interface": "data0", "port": 9901 } } }' >"$scratch/n.json"
out=$("$gw" jwt-test --config "$scratch/n.json" "$good" 2>&1)
[ $? = 2 ] && grep -q "no appliance.jwt" <<<"$out" || { echo "FAIL jwt_test: no jwt section: $out"; fail=1; }
[ $fail = 0 ] && echo "PASS jwt_test: accepted, expired, issuer, tampered, malformed, usage errors"
exit $fail
