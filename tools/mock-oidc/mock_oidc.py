#!/usr/bin/python3
"""A mock OIDC provider for the gateway's tests: discovery and JWKS over HTTPS, key rotation
and outages on command.

Usage: mock_oidc.py --listen ADDR:PORT --control ADDR:PORT --dir DIR [--bind ADDR]

--bind 0.0.0.0 lets it start before ADDR exists (a test namespace whose interface the gateway
creates); ADDR still names the issuer and the certificate.

At start it writes into DIR a fresh CA (ca.pem), a server certificate for ADDR (IP SAN) signed
by it, and an unrelated CA (other-ca.pem, for "untrusted certificate" tests), then serves
over HTTPS on --listen:

  GET /.well-known/openid-configuration  {"issuer": "https://ADDR:PORT", "jwks_uri": ...}
  GET /jwks                              the public keys in service (RS256 and ES256 keys)

and a plain-HTTP control API on --control (JSON answers):

  GET /token?kid=K[&alg=RS256|ES256][&aud=A][&exp=SECONDS]  a token signed with key K
                                         (python3-jwt), iss = the issuer, sub "alice"
  GET /rotate        a new key pair (kid k2, k3, ...) is published next to the old ones
  GET /drop?kid=K    stop publishing key K
  GET /down, /up     stop / start answering on --listen (connections are refused)
  GET /stats         {"discovery": n, "jwks": n, "keys": [...], "up": bool}

Prints "ready" once both listeners are up.  Keys and tokens are made with python3-jwcrypto and
python3-jwt; the certificates with python3-cryptography.
"""
import argparse
import datetime
import ipaddress
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt as pyjwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwcrypto import jwk


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subj = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key, ca_cert, addr):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addr)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(addr))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def pem_cert(c):
    return c.public_bytes(serialization.Encoding.PEM)


def pem_key(k):
    return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


class Provider:
    def __init__(self, issuer):
        self.issuer = issuer
        self.lock = threading.Lock()
        self.keys = {}  # kid -> (alg, private key)
        self.n = 0
        self.counts = {"discovery": 0, "jwks": 0}
        self.up = True
        self.rotate()

    def rotate(self):
        with self.lock:
            self.n += 1
            self.keys[f"k{self.n}"] = ("RS256", rsa.generate_private_key(65537, 2048))
            self.keys[f"e{self.n}"] = ("ES256", ec.generate_private_key(ec.SECP256R1()))
            return [f"k{self.n}", f"e{self.n}"]

    def jwks(self):
        with self.lock:
            out = []
            for kid, (alg, k) in self.keys.items():
                d = json.loads(jwk.JWK.from_pyca(k.public_key()).export_public())
                d.update(kid=kid, use="sig", alg=alg)
                out.append(d)
            return {"keys": out}

    def token(self, kid, aud, exp):
        with self.lock:
            alg, k = self.keys.get(kid, (None, None))
            if k is None:  # an unknown kid: sign with any key of the right type
                alg, k = next(iter(self.keys.values()))
        now = int(time.time())
        return pyjwt.encode({"iss": self.issuer, "aud": aud, "sub": "alice", "iat": now,
                             "exp": now + exp}, pem_key(k), algorithm=alg,
                            headers={"kid": kid})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    ap.add_argument("--control", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--bind", default=None,
                    help="address to bind both listeners to (default: their own)")
    a = ap.parse_args()
    addr, port = a.listen.rsplit(":", 1)
    caddr, cport = a.control.rsplit(":", 1)
    os.makedirs(a.dir, exist_ok=True)
    ca_key, ca = make_ca("mock-oidc test CA")
    _, other = make_ca("an unrelated CA")
    skey, scert = make_server_cert(ca_key, ca, addr)
    for name, data in (("ca.pem", pem_cert(ca)), ("other-ca.pem", pem_cert(other)),
                       ("server.pem", pem_cert(scert)), ("server.key", pem_key(skey))):
        with open(os.path.join(a.dir, name), "wb") as f:
            f.write(data)
    issuer = f"https://{addr}:{port}"
    prov = Provider(issuer)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(os.path.join(a.dir, "server.pem"), os.path.join(a.dir, "server.key"))

    class Idp(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("idp: " + fmt % args + "\n")

        def do_GET(self):
            path = urlparse(self.path).path
            if path == "/.well-known/openid-configuration":
                with prov.lock:
                    prov.counts["discovery"] += 1
                doc = {"issuer": issuer, "jwks_uri": issuer + "/jwks",
                       "id_token_signing_alg_values_supported": ["RS256", "ES256"],
                       "response_types_supported": ["code"]}
            elif path == "/jwks":
                with prov.lock:
                    prov.counts["jwks"] += 1
                doc = prov.jwks()
            else:
                self.send_error(404)
                return
            body = json.dumps(doc).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

    state = {"srv": None}

    def start():
        srv = ThreadingHTTPServer((a.bind or addr, int(port)), Idp)
        srv.daemon_threads = True
        srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        state["srv"] = srv
        prov.up = True

    def stop():
        if state["srv"] is not None:
            state["srv"].shutdown()
            state["srv"].server_close()
            state["srv"] = None
        prov.up = False

    class Control(BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            sys.stderr.write("control: " + fmt % args + "\n")

        def do_GET(self):
            u = urlparse(self.path)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            if u.path == "/token":
                out = {"token": prov.token(q["kid"], q.get("aud", "api"), int(q.get("exp", 3600)))}
            elif u.path == "/rotate":
                out = {"kids": prov.rotate()}
            elif u.path == "/drop":
                with prov.lock:
                    prov.keys.pop(q["kid"], None)
                out = {"ok": True}
            elif u.path == "/down":
                stop()
                out = {"ok": True}
            elif u.path == "/up":
                start()
                out = {"ok": True}
            elif u.path == "/stats":
                with prov.lock:
                    out = {**prov.counts, "keys": list(prov.keys), "up": prov.up}
            else:
                self.send_error(404)
                return
            body = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    start()
    ctl = ThreadingHTTPServer((a.bind or caddr, int(cport)), Control)
    print("ready", flush=True)
    ctl.serve_forever()


if __name__ == "__main__":
    main()
