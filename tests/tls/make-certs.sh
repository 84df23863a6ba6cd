#!/bin/bash
# Makes the throw-away PKI the TLS unit tests use, into DIR (created if missing), with the
# openssl CLI only: no network, nothing kept in the repository.
#
#   tests/tls/make-certs.sh DIR
#
# Files (PEM; *.key are unencrypted private keys):
#   ca.crt ca.key                 test root CA (EC P-256)
#   int.crt int.key               intermediate CA under ca (EC P-256)
#   other-ca.crt other-ca.key     an unrelated root CA
#   ec.crt ec.key                 server, EC P-256, SAN DNS a.example.com, *.wild.example.com
#   rsa.crt rsa.key               server, RSA-2048, SAN DNS b.example.com, signed by int
#   rsa-chain.crt                 rsa.crt followed by int.crt
#   ec-b.crt ec-b.key             server, EC P-256, SAN DNS b.example.com (pairs with rsa)
#   cn.crt cn.key                 server, EC P-256, CN cn.example.com and no SAN
#   dflt.crt dflt.key             server, EC P-256, SAN DNS default.example.com
#   expired.crt expired.key       server, EC P-256, SAN DNS a.example.com, expired in 2020
#   stranger.crt stranger.key     server, EC P-256, SAN DNS a.example.com, signed by other-ca
#   client.crt client.key         client, EC P-256, SAN URI spiffe://mesh.local/ns/default/sa/web
#                                 and DNS web.mesh.local
#   client-other.crt/.key         client, same SANs, signed by other-ca
#   client-nosan.crt/.key         client, EC P-256, CN only
# Takes about half a second (one RSA key).
set -euo pipefail

dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
export OPENSSL_CONF=/dev/null

ec_key() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# ca NAME SUBJECT [ISSUER]: a CA certificate, self-signed or signed by ISSUER.
ca() {
	ec_key "$1.key"
	if [ $# -lt 3 ]; then
		openssl req -new -x509 -key "$1.key" -subj "$2" -days 3650 -sha256 \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.crt"
	else
		openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
		printf '%s\n' "basicConstraints=critical,CA:TRUE,pathlen:0" \
			"keyUsage=critical,keyCertSign,cRLSign" > "$1.ext"
		openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
			-days 3650 -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
	fi
}

# leaf NAME ISSUER SUBJECT SAN EKU: a leaf signed by ISSUER (key NAME.key must exist).
leaf() {
	openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$5"
		[ -n "$4" ] && echo "subjectAltName=$4"
		# Real server certificates name a revocation source; testssl.sh rates a
		# leaf without one HIGH.  Nothing serves this URI (.invalid).
		if [ "$5" = serverAuth ]; then
			echo "authorityInfoAccess=OCSP;URI:http://ocsp.meshgate.invalid/"
		fi
	} > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 825 \
		-sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}

ca ca "/CN=Meshgate Test Root CA"
ca int "/CN=Meshgate Test Intermediate CA" ca
ca other-ca "/CN=Some Other CA"

ec_key ec.key
leaf ec ca "/CN=a.example.com" "DNS:a.example.com,DNS:*.wild.example.com" serverAuth
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
leaf rsa int "/CN=b.example.com" "DNS:b.example.com" serverAuth
cat rsa.crt int.crt > rsa-chain.crt
ec_key ec-b.key
leaf ec-b ca "/CN=b.example.com" "DNS:b.example.com" serverAuth
ec_key cn.key
leaf cn ca "/CN=cn.example.com" "" serverAuth
ec_key dflt.key
leaf dflt ca "/CN=default.example.com" "DNS:default.example.com" serverAuth
ec_key stranger.key
leaf stranger other-ca "/CN=a.example.com" "DNS:a.example.com" serverAuth
ec_key client.key
leaf client ca "/CN=web" "URI:spiffe://mesh.local/ns/default/sa/web,DNS:web.mesh.local" clientAuth
cp client.key client-other.key
leaf client-other other-ca "/CN=web" \
	"URI:spiffe://mesh.local/ns/default/sa/web,DNS:web.mesh.local" clientAuth
ec_key client-nosan.key
leaf client-nosan ca "/CN=nosan" "" clientAuth

# An expired certificate: `openssl x509` cannot back-date, `openssl ca` can.
ec_key expired.key
mkdir -p ca-db
: > ca-db/index.txt
echo 1000 > ca-db/serial
cat > ca-db/ca.cnf <<EOF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
new_certs_dir = ca-db
serial = ca-db/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:a.example.com
EOF
openssl req -new -key expired.key -subj "/CN=a.example.com" -out expired.csr
openssl ca -batch -config ca-db/ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr \
	-out expired.crt -startdate 20200101000000Z -enddate 20200201000000Z -extensions ext \
	-notext 2>/dev/null
rm -f ./*.csr ./*.ext ./*.srl
