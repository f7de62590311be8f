#!/usr/bin/env bash
# make_mtls_certs.sh OUTDIR: TLS material for the gateway's own listener (mTLS tests),
# made at test time in a temporary directory. Never commit the output.
#
#   ca.pem / ca.key                 the test CA the gateway trusts for client certificates
#   server.pem / server.key         the gateway's certificate: SAN IP:127.0.0.1, DNS:localhost
#   shop.pem / shop.key             client, SAN URI:spiffe://test/shop
#   ops.pem / ops.key               client, SAN DNS:ops.internal
#   cn_only.pem / cn_only.key       client without any SAN, subject CN=batch-client
#   stranger.pem / stranger.key     client, SAN URI:spiffe://test/stranger (no caller has it)
#   expired.pem / expired.key       client, SAN URI:spiffe://test/shop, expired in 2020
#   untrusted.pem / untrusted.key   client, SAN URI:spiffe://test/shop, from another CA
#
# EC P-256 keys keep handshakes cheap on a loaded machine.
set -euo pipefail

out=${1:?usage: make_mtls_certs.sh OUTDIR}
mkdir -p "$out"
cd "$out"
umask 077

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1.key" 2>/dev/null; }

# make_ca NAME CN
make_ca() {
  key "$1"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# make_leaf NAME CA CN USAGE [SAN]: a certificate valid from now for ten years.
make_leaf() {
  local name=$1 ca=$2 cn=$3 usage=$4 san=${5:-}
  key "$name"
  openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=$cn" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$usage"
    if [[ -n "$san" ]]; then echo "subjectAltName=$san"; fi
  } >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 3650 -sha256 \
    -extfile "$name.ext" -out "$name.pem" 2>/dev/null
}

make_ca ca "wxgate mTLS test CA"
make_ca other_ca "wxgate untrusted client CA"
make_leaf server ca localhost serverAuth "IP:127.0.0.1,DNS:localhost"
make_leaf shop ca shop clientAuth "URI:spiffe://test/shop"
make_leaf ops ca ops clientAuth "DNS:ops.internal"
make_leaf cn_only ca batch-client clientAuth
make_leaf stranger ca stranger clientAuth "URI:spiffe://test/stranger"
make_leaf untrusted other_ca shop clientAuth "URI:spiffe://test/shop"

# Expired: `openssl x509 -req` (OpenSSL 3.0) cannot set past dates; `openssl ca` can.
key expired
openssl req -new -key expired.key -out expired.csr -subj "/CN=shop" 2>/dev/null
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=clientAuth" "subjectAltName=URI:spiffe://test/shop" >expired.ext
: >index.txt
openssl rand -hex 8 >serial
cat >ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any_name
unique_subject = no
[any_name]
commonName = supplied
CNF
openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr \
  -out expired.pem -startdate 20200101000000Z -enddate 20200102000000Z \
  -extfile expired.ext -notext 2>/dev/null

chmod 644 ./*.pem
