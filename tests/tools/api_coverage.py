#!/usr/bin/env python3
"""Checks the modelled RPCs against the catalog of WeChat endpoints.

  api_coverage.py [--require-all]

Reads tests/catalog/mp-api.tsv (a copy of the team's checklist, shared/catalog) and
the (wxgate.endpoint) annotations under proto/wechat. Fails when an RPC calls a
path the catalog does not know, or with a method other than the catalog's; with
--require-all, also when a current catalog row has no RPC. Prints
"N/M endpoints modelled".
"""
import argparse
import csv
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from readme_sections import ROOT, services  # noqa: E402

# Rows the token manager serves (wxgate.v1.TokenService), not an RPC of their own.
TOKEN_MANAGER_PATHS = {"/cgi-bin/token", "/cgi-bin/stable_token"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--require-all", action="store_true")
    args = parser.parse_args()
    with open(ROOT / "tests/catalog/mp-api.tsv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    catalog = {(r["http_method"], r["path"]) for r in rows if r["status"] == "current"}
    known_paths = {r["path"] for r in rows}

    modelled, problems = set(), []
    for path in sorted((ROOT / "proto").glob("wechat/mp/**/*.proto")):
        for service, rpcs in services(path):
            for rpc, method, http_path, _, _ in rpcs:
                if http_path not in known_paths:
                    problems.append(f"{service}/{rpc}: {http_path} is not in the catalog")
                elif (method, http_path) not in catalog:
                    problems.append(f"{service}/{rpc}: {method} {http_path} differs from the "
                                    "catalog's method, or the row is deprecated")
                modelled.add((method, http_path))

    wanted = {key for key in catalog if key[1] not in TOKEN_MANAGER_PATHS}
    missing = sorted(wanted - modelled)
    if args.require_all:
        problems += [f"not modelled: {method} {path}" for method, path in missing]
    print(f"{len(wanted & modelled)}/{len(wanted)} endpoints modelled")
    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
