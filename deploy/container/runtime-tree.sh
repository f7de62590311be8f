#!/usr/bin/env bash
# runtime-tree.sh ROOTFS BINARY...: lays out what BINARY needs to run in an empty
# image: BINARY in ROOTFS/usr/bin, every library ldd names (merged /usr, as on
# Debian 12), the CA bundle, and the user 65532 (wxgate). Runs in the Containerfile's
# build stage.
set -euo pipefail
rootfs=$1; shift
mkdir -p "$rootfs"/usr/bin "$rootfs"/usr/lib "$rootfs"/usr/lib64 "$rootfs"/etc/ssl/certs
ln -sfn usr/lib "$rootfs/lib"
ln -sfn usr/lib64 "$rootfs/lib64"
for binary in "$@"; do
  install -m 0755 -s "$binary" "$rootfs/usr/bin/"
  for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
    cp --parents -L "$lib" "$rootfs"
  done
done
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
echo 'wxgate:x:65532:65532:wxgate:/nonexistent:/nonexistent' >"$rootfs/etc/passwd"
echo 'wxgate:x:65532:' >"$rootfs/etc/group"
echo 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"
