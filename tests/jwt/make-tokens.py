#!/usr/bin/python3
"""Mint JWTs with two independent implementations for the gateway's unit tests.

Usage: /usr/bin/python3 tests/jwt/make-tokens.py OUTDIR

Writes, into OUTDIR (fresh keys and tokens on every run):
  jwks.json    the public keys: RSA 2048 (kid rsa1, no alg: RS* and PS*), EC P-256 (kid ec256,
               alg ES256), P-384 (kid ec384), P-521 (kid ec521), and an `oct` key (kid oct1)
               that must never be used
  secret.hex   the shared secret of the HS* provider
  tokens.txt   one case a line: NAME PROVIDER EXPECTED_REASON TOKEN, after a line `now T`.
               PROVIDER is `main` (issuer https://issuer.example, audience api, keys from
               jwks.json) or `hs` (the same, plus the secret); EXPECTED_REASON is the
               metric label of mg_jwt_reason_label() (`allowed` for valid tokens).

Valid tokens come from python3-jwt (PyJWT) and python3-jwcrypto for every algorithm; the
attack corpus is built by hand on top of them (docs/JWT.md lists it).
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time

import jwt as pyjwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwcrypto import jwk, jwt as jcjwt

ISS = "https://issuer.example"
AUD = "api"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def ub64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    now = int(time.time())

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_keys = {
        "ec256": ec.generate_private_key(ec.SECP256R1()),
        "ec384": ec.generate_private_key(ec.SECP384R1()),
        "ec521": ec.generate_private_key(ec.SECP521R1()),
    }
    secret = os.urandom(32)

    pub = []
    j = jwk.JWK.from_pyca(rsa_key.public_key())
    d = json.loads(j.export_public())
    d.update(kid="rsa1", use="sig")
    pub.append(d)
    for kid, k in ec_keys.items():
        d = json.loads(jwk.JWK.from_pyca(k.public_key()).export_public())
        d["kid"] = kid
        if kid == "ec256":
            d["alg"] = "ES256"
        pub.append(d)
    pub.append({"kty": "oct", "kid": "oct1", "k": b64u(secret)})
    with open(os.path.join(out, "jwks.json"), "w") as f:
        json.dump({"keys": pub}, f)
    with open(os.path.join(out, "secret.hex"), "w") as f:
        f.write(secret.hex() + "\n")

    claims = {"iss": ISS, "aud": AUD, "sub": "alice", "iat": now - 10, "exp": now + 3600,
              "scope": "read write", "groups": ["eng", "ops"], "org": {"team": "edge"}}
    priv = {"rsa1": rsa_key, **ec_keys}
    pem = {kid: k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()) for kid, k in priv.items()}
    algs = [("RS256", "rsa1"), ("RS384", "rsa1"), ("RS512", "rsa1"), ("PS256", "rsa1"),
            ("PS384", "rsa1"), ("PS512", "rsa1"), ("ES256", "ec256"), ("ES384", "ec384"),
            ("ES512", "ec521")]
    cases = []

    def case(name, prov, expect, tok):
        cases.append((name, prov, expect, tok))

    for alg, kid in algs:
        case("pyjwt-" + alg, "main", "allowed",
             pyjwt.encode(claims, pem[kid], algorithm=alg, headers={"kid": kid}))
        key = jwk.JWK.from_pem(pem[kid])
        t = jcjwt.JWT(header={"alg": alg, "kid": kid}, claims=claims)
        t.make_signed_token(key)
        case("jwcrypto-" + alg, "main", "allowed", t.serialize())
        # Without a kid every key that suits the alg is tried.
        case("pyjwt-nokid-" + alg, "main", "allowed",
             pyjwt.encode(claims, pem[kid], algorithm=alg))
    for alg in ("HS256", "HS384", "HS512"):
        case("pyjwt-" + alg, "hs", "allowed", pyjwt.encode(claims, secret, algorithm=alg))
        key = jwk.JWK(kty="oct", k=b64u(secret))
        t = jcjwt.JWT(header={"alg": alg}, claims=claims)
        t.make_signed_token(key)
        case("jwcrypto-" + alg, "hs", "allowed", t.serialize())
        # The same token against a provider without a secret: the oct JWK is never used.
        case("hs-without-secret-" + alg, "main", "alg_unsupported",
             pyjwt.encode(claims, secret, algorithm=alg, headers={"kid": "oct1"}))

    def sign_rs256(header, payload_bytes):
        from cryptography.hazmat.primitives.asymmetric import padding
        si = b64u(json.dumps(header, separators=(",", ":")).encode()) + "." + b64u(payload_bytes)
        sig = rsa_key.sign(si.encode(), padding.PKCS1v15(), hashes.SHA256())
        return si + "." + b64u(sig)

    good = pyjwt.encode(claims, pem["rsa1"], algorithm="RS256", headers={"kid": "rsa1"})
    h, p, s = good.split(".")

    # --- the attack corpus ---
    none_hdr = b64u(b'{"alg":"none","typ":"JWT"}')
    case("alg-none", "main", "alg_none", none_hdr + "." + p + ".")
    case("alg-None", "main", "alg_none", b64u(b'{"alg":"None"}') + "." + p + "." + s)
    # HS256 keyed with the RSA public key (PEM and JWK n): the classic confusion.
    pub_pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_hdr = b64u(b'{"alg":"HS256","typ":"JWT","kid":"rsa1"}')
    si = hs_hdr + "." + p
    case("alg-confusion-pem", "main", "alg_unsupported",
         si + "." + b64u(hmac.new(pub_pem, si.encode(), hashlib.sha256).digest()))
    case("alg-confusion-pem-hs", "hs", "signature_invalid",
         si + "." + b64u(hmac.new(pub_pem, si.encode(), hashlib.sha256).digest()))
    case("unknown-kid", "main", "kid_unknown",
         pyjwt.encode(claims, pem["rsa1"], algorithm="RS256", headers={"kid": "rotated"}))
    case("expired", "main", "expired",
         pyjwt.encode({**claims, "exp": now - 61}, pem["rsa1"], algorithm="RS256"))
    case("expired-within-skew", "main", "allowed",
         pyjwt.encode({**claims, "exp": now - 59}, pem["rsa1"], algorithm="RS256"))
    case("nbf-future", "main", "not_yet_valid",
         pyjwt.encode({**claims, "nbf": now + 120}, pem["rsa1"], algorithm="RS256"))
    case("nbf-within-skew", "main", "allowed",
         pyjwt.encode({**claims, "nbf": now + 30}, pem["rsa1"], algorithm="RS256"))
    case("iat-future", "main", "iat_future",
         pyjwt.encode({**claims, "iat": now + 600}, pem["rsa1"], algorithm="RS256"))
    no_exp = dict(claims)
    del no_exp["exp"]
    case("exp-missing", "main", "exp_missing", pyjwt.encode(no_exp, pem["rsa1"], algorithm="RS256"))
    case("exp-string", "main", "claim_type",
         sign_rs256({"alg": "RS256"}, json.dumps({**claims, "exp": str(now + 60)}).encode()))
    case("wrong-issuer", "main", "issuer",
         pyjwt.encode({**claims, "iss": "https://evil.example"}, pem["rsa1"], algorithm="RS256"))
    case("wrong-audience", "main", "audience",
         pyjwt.encode({**claims, "aud": "other"}, pem["rsa1"], algorithm="RS256"))
    case("audience-array", "main", "allowed",
         pyjwt.encode({**claims, "aud": ["x", AUD]}, pem["rsa1"], algorithm="RS256"))
    case("audience-missing", "main", "audience",
         pyjwt.encode({k: v for k, v in claims.items() if k != "aud"}, pem["rsa1"],
                      algorithm="RS256"))
    case("sig-truncated", "main", "signature_format", h + "." + p + "." + b64u(ub64u(s)[:-6]))
    case("sig-stripped", "main", "signature_format", h + "." + p + ".")
    case("two-segments", "main", "malformed", h + "." + p)
    case("payload-tampered", "main", "signature_invalid",
         h + "." + b64u(json.dumps({**claims, "sub": "root"}).encode()) + "." + s)
    bad = bytearray(ub64u(s))
    bad[10] ^= 1
    case("sig-flipped", "main", "signature_invalid", h + "." + p + "." + b64u(bytes(bad)))
    # ES256 with a DER signature (what OpenSSL emits) instead of raw R||S.
    es_hdr = b64u(b'{"alg":"ES256","kid":"ec256"}')
    si = es_hdr + "." + p
    der = ec_keys["ec256"].sign(si.encode(), ec.ECDSA(hashes.SHA256()))
    case("es256-der", "main", "signature_format", si + "." + b64u(der))
    r, sv = decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + sv.to_bytes(32, "big")
    case("es256-raw-handmade", "main", "allowed", si + "." + b64u(raw))
    # ES256 header naming the P-384 key: the curve must agree with the alg.
    case("es256-with-p384-key", "main", "key_mismatch",
         b64u(b'{"alg":"ES256","kid":"ec384"}') + "." + p + "." + b64u(raw))
    case("rs256-with-ec-key", "main", "key_mismatch",
         b64u(b'{"alg":"RS256","kid":"ec256"}') + "." + p + "." + s)
    # Non-canonical base64url: the last character of the signature with nonzero spare bits.
    last = s[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    nc = alphabet[alphabet.index(last) | 1] if alphabet.index(last) % 2 == 0 else \
        alphabet[alphabet.index(last) & ~1]
    assert len(s) % 4 in (2, 3)
    case("base64-noncanonical", "main", "base64", h + "." + p + "." + s[:-1] + nc)
    case("base64-padding", "main", "base64", h + "." + p + "=." + s)
    case("base64-std-alphabet", "main", "malformed", h + "." + p + "." + s.replace("-", "+") + "+")
    case("dup-key-payload", "main", "payload_json",
         sign_rs256({"alg": "RS256"},
                    ('{"iss":"%s","aud":"api","exp":%d,"sub":"a","sub":"root"}'
                     % (ISS, now + 60)).encode()))
    case("dup-key-escaped", "main", "payload_json",
         sign_rs256({"alg": "RS256"},
                    ('{"iss":"%s","aud":"api","exp":%d,"sub":"a","\\u0073ub":"root"}'
                     % (ISS, now + 60)).encode()))
    case("dup-key-header", "main", "header_json",
         sign_rs256({"alg": "RS256"}, json.dumps(claims).encode()).replace(
             b64u(b'{"alg":"RS256"}'), b64u(b'{"alg":"RS256","alg":"none"}'), 1))
    deep = '{"iss":"%s","aud":"api","exp":%d,"x":%s}' % (ISS, now + 60, "[" * 40 + "]" * 40)
    case("deep-json", "main", "payload_json", sign_rs256({"alg": "RS256"}, deep.encode()))
    case("trailing-comma", "main", "payload_json",
         sign_rs256({"alg": "RS256"}, ('{"iss":"%s","aud":"api","exp":%d,}'
                                       % (ISS, now + 60)).encode()))
    big = {**claims, "pad": "x" * 9000}
    case("oversized", "main", "too_large", pyjwt.encode(big, pem["rsa1"], algorithm="RS256"))
    case("crit-header", "main", "header_invalid",
         pyjwt.encode(claims, pem["rsa1"], algorithm="RS256",
                      headers={"crit": ["exp"], "exp": 1}))

    with open(os.path.join(out, "tokens.txt"), "w") as f:
        f.write("now %d\n" % now)
        for name, prov, expect, tok in cases:
            f.write("%s %s %s %s\n" % (name, prov, expect, tok))
    print("make-tokens: %d cases in %s" % (len(cases), out))


if __name__ == "__main__":
    main()
