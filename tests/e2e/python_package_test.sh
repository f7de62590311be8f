#!/usr/bin/env bash
# python_package_test.sh SOURCE_DIR WORK_DIR: builds the wxgate-client wheel from
# SOURCE_DIR (client_stubs/python) once, installs it into two virtual environments,
# one on Debian's grpcio and protobuf (system site packages) and one on the versions
# of requirements-pypi.txt from PyPI (fetched by ./wxgate.sh test's set-up into
# WXGATE_WHEELS, default ~/.cache/wxgate/wheels), and runs tests/e2e_test.py in each.
# Run by client_test.py, which provides the live gateway.
set -euo pipefail
src=$1 work=$2
wheels=${WXGATE_WHEELS:-$HOME/.cache/wxgate/wheels}
rm -rf "$work"
mkdir -p "$work"
/usr/bin/python3 -m pip wheel -q --no-deps --no-build-isolation -w "$work/dist" "$src"
rm -rf "$src/build" "$src"/*.egg-info  # setuptools builds in the source tree
wheel=("$work"/dist/wxgate_client-*.whl)

/usr/bin/python3 -m venv --system-site-packages "$work/debian"
"$work/debian/bin/pip" install -q --no-deps --no-index "${wheel[@]}"
/usr/bin/python3 -m venv "$work/pypi"
"$work/pypi/bin/pip" install -q --no-index --find-links "$wheels" -r "$src/requirements-pypi.txt" "${wheel[@]}"

for env in debian pypi; do
  echo "== $env: $("$work/$env/bin/python" -c 'import grpc, google.protobuf as p; print("grpcio", grpc.__version__, "protobuf", p.__version__)')"
  (cd "$work" && "$work/$env/bin/python" "$src/tests/e2e_test.py" -v 2>&1)
done
