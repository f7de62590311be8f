#!/usr/bin/env python3
"""Checks the modelled RPCs and pushes against the catalog of WeChat endpoints.

  api_coverage.py [--require-all]

Reads tests/catalog/ (a copy of the team's checklist, shared/catalog):
  mp-api.tsv           against the (wxgate.endpoint) annotations under proto/wechat/mp
  component-api.tsv    against those under proto/wechat/open
Fails when an RPC calls a path its catalog does not know, with a method other than
the catalog's, or when it is a credential endpoint the gateway serves itself; with
--require-all, also when a current catalog row has no RPC. Prints "N/M endpoints
modelled" and "N/M component endpoints modelled".
"""
import argparse
import csv
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from readme_sections import ROOT, services  # noqa: E402

# Rows the token manager serves (wxgate.v1.TokenService), not an RPC of their own.
TOKEN_MANAGER_PATHS = {"/cgi-bin/token", "/cgi-bin/stable_token"}
# Component rows the gateway serves itself, not an RPC of their own: the token
# manager fetches component_access_token (with the pushed component_verify_ticket)
# and refreshes authorizer_access_token; it starts the ticket pushes; and it
# exchanges an authorization's code (api_query_auth) when an account authorizes.
COMPONENT_GATEWAY_PATHS = {
    "/cgi-bin/component/api_component_token",
    "/cgi-bin/component/api_authorizer_token",
    "/cgi-bin/component/api_start_push_ticket",
    "/cgi-bin/component/api_query_auth",
}


def read_catalog(name):
    with open(ROOT / "tests/catalog" / name, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def check_rpcs(rows, proto_glob, served):
    """Returns (current catalog rows, modelled rows, problems) for one API catalog."""
    catalog = {(r["http_method"], r["path"]) for r in rows if r["status"] == "current"}
    known_paths = {r["path"] for r in rows}
    modelled, problems = set(), []
    for path in sorted((ROOT / "proto").glob(proto_glob)):
        for service, rpcs in services(path):
            for rpc, method, http_path, _, _ in rpcs:
                if http_path not in known_paths:
                    problems.append(f"{service}/{rpc}: {http_path} is not in the catalog")
                elif (method, http_path) not in catalog:
                    problems.append(f"{service}/{rpc}: {method} {http_path} differs from the "
                                    "catalog's method, or the row is deprecated")
                elif http_path in served:
                    problems.append(f"{service}/{rpc}: {http_path} is served by the gateway "
                                    "itself and must not be an RPC")
                modelled.add((method, http_path))
    return catalog, modelled, problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--require-all", action="store_true")
    args = parser.parse_args()
    problems = []

    catalog, modelled, found = check_rpcs(read_catalog("mp-api.tsv"), "wechat/mp/**/*.proto",
                                          set())
    problems += found
    wanted = {key for key in catalog if key[1] not in TOKEN_MANAGER_PATHS}
    missing = sorted(wanted - modelled)
    if args.require_all:
        problems += [f"not modelled: {method} {path}" for method, path in missing]
    print(f"{len(wanted & modelled)}/{len(wanted)} endpoints modelled")

    catalog, modelled, found = check_rpcs(read_catalog("component-api.tsv"),
                                          "wechat/open/**/*.proto", COMPONENT_GATEWAY_PATHS)
    problems += found
    served = {key for key in catalog if key[1] in COMPONENT_GATEWAY_PATHS}
    missing = sorted(catalog - modelled - served)
    if args.require_all:
        problems += [f"component endpoint not modelled: {method} {path}"
                     for method, path in missing]
    print(f"{len(catalog & (modelled | served))}/{len(catalog)} component endpoints modelled "
          f"({len(served)} served by the gateway itself)")

    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
