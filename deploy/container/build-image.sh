#!/usr/bin/env bash
# Builds the wxgate image from deploy/container/Containerfile, tagged
# localhost/wxgate:<version> (the version of CMakeLists.txt's project()).
#
#   deploy/container/build-image.sh [--base IMAGE | --local-base] [--engine podman|docker]
#                                   [--fake-wechat]
#
# --base IMAGE    the Debian 12 image to build on (default docker.io/library/debian:12)
# --local-base    no registry needed: makes that base here from Debian's packages
#                 (mmdebstrap, with the build packages already in), once
# --fake-wechat   the bundled fake WeChat instead (the Compose trial's),
#                 localhost/wxgate-fake-wechat:<version>
# Prints the image's name on its last line.
set -euo pipefail
cd "$(dirname "$0")/../.."

engine=podman base="" local_base=false target=gateway name=wxgate
while (($#)); do
  case "$1" in
    --base) base=$2; shift 2 ;;
    --local-base) local_base=true; shift ;;
    --engine) engine=$2; shift 2 ;;
    --fake-wechat) target=fake-wechat name=wxgate-fake-wechat; shift ;;
    *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

version=$(sed -n 's/^project(wxgate VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
image=localhost/$name:$version
run=("$engine")
# Debian 12's podman: crun refuses cgroups in hybrid mode, and its default ulimits
# exceed what an unprivileged host allows (TOOLCHAIN.md, containers).
[ "$engine" = podman ] && run+=(--runtime runc)
limits=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

if $local_base; then
  base=localhost/wxgate-build-base:bookworm
  if ! "${run[@]}" image exists "$base" 2>/dev/null; then
    tar=$(mktemp --suffix=.tar)
    trap 'rm -f "$tar"' EXIT
    mmdebstrap --quiet --variant=minbase --include="$(tr ' ' , <<<"$(bash deploy/bootstrap.sh --print-gateway)")" \
      bookworm "$tar"
    "${run[@]}" import "$tar" "$base" >/dev/null
  fi
fi

"${run[@]}" build --network host "${limits[@]}" \
  ${base:+--build-arg "BASE=$base"} --build-arg "VERSION=$version" \
  --target "$target" -f deploy/container/Containerfile -t "$image" . >&2
echo "$image"
