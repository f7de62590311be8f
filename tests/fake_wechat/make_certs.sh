#!/usr/bin/env bash
# make_certs.sh OUTDIR: test TLS material for fake_wechat, generated at build time.
#
#   ca.pem / ca.key                       the test CA that clients trust (CURLOPT_CAINFO)
#   server.pem / server.key               signed by it, SAN DNS:localhost,IP:127.0.0.1
#   untrusted_ca.pem / untrusted_ca.key   an unrelated CA, for TLS-failure tests
#   untrusted_server.pem / .key           same SANs, signed by the untrusted CA
#
# Idempotent: does nothing when every file exists; otherwise regenerates all of them
# together (a lone new CA would not match the old server certificate). EC P-256 keys
# keep handshakes cheap in benchmarks. Never commit the output.
set -euo pipefail

out=${1:?usage: make_certs.sh OUTDIR}
files=(ca.pem ca.key server.pem server.key untrusted_ca.pem untrusted_ca.key
       untrusted_server.pem untrusted_server.key)

all_present=1
for f in "${files[@]}"; do [[ -s "$out/$f" ]] || all_present=0; done
((all_present)) && exit 0

mkdir -p "$out"
tmp=$(mktemp -d "$out/.make_certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 077

# make_ca NAME CN
make_ca() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/$1.key" -out "$tmp/$1.pem" -days 3650 -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# make_server NAME CA
make_server() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$tmp/$1.key" -out "$tmp/$1.csr" -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$tmp/$2.pem" -CAkey "$tmp/$2.key" \
    -set_serial "0x$(openssl rand -hex 8)" -days 3650 -sha256 \
    -extfile "$tmp/$1.ext" -out "$tmp/$1.pem" 2>/dev/null
}

make_ca ca "wxgate test CA"
make_server server ca
make_ca untrusted_ca "wxgate untrusted test CA"
make_server untrusted_server untrusted_ca

chmod 644 "$tmp"/*.pem
for f in "${files[@]}"; do mv -f "$tmp/$f" "$out/$f"; done
echo "make_certs.sh: wrote test certificates to $out"
