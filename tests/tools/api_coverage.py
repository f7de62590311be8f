#!/usr/bin/env python3
"""Checks the modelled RPCs and pushes against the catalog of WeChat endpoints.

  api_coverage.py [--require-all]

Reads tests/catalog/ (a copy of the team's checklist, shared/catalog):
  mp-api.tsv           against the (wxgate.endpoint) annotations under proto/wechat/mp
  component-api.tsv    against those under proto/wechat/open
  component-events.tsv against the (wxgate.push) members of wechat.open.v1.ComponentEvent
  permission-sets.tsv  against the (wxgate.permission_set) options of the services
Fails when an RPC calls a path its catalog does not know, or with a method other
than the catalog's, and when a push member names an InfoType/Event the catalog does
not list or lacks a field the catalog lists for it; with --require-all, also when a
current catalog row has no RPC or push member; and when a wechat.mp.v1 service's
permission sets differ from those whose groups hold it. Prints "N/M endpoints
modelled", "N/M component endpoints modelled", "N/M component pushes modelled" and
"N/M mp services carry their permission sets".
"""
import argparse
import csv
import pathlib
import re
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


def proto_messages(path):
    """{message: {element: (field, type)}} of the top-level messages of one file,
    with each field's XML element: its xml_name, else its name in UpperCamelCase."""
    messages, current = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^message\s+(\w+)\s*\{", line):
            current = messages.setdefault(m.group(1), {})
            if line.rstrip().endswith("{}"):
                current = None
        elif line.startswith("}"):
            current = None
        elif current is not None and (
                m := re.match(r"^\s+(?:repeated\s+|optional\s+)?([\w.]+)\s+(\w+)\s*=\s*\d+(.*);",
                              line)):
            type_name, field, options = m.groups()
            xml = re.search(r'xml_name\)\s*=\s*"([^"]+)"', options)
            element = xml.group(1) if xml else "".join(p.title() for p in field.split("_"))
            current[element] = (field, type_name)
    return messages


def check_component_pushes(require_all):
    """Returns (printed summary, problems) for component-events.tsv."""
    rows = read_catalog("component-events.tsv")
    events_proto = ROOT / "proto/wechat/open/v1/events.proto"
    text = events_proto.read_text(encoding="utf-8")
    messages = proto_messages(events_proto)
    envelope = messages.get("ComponentEvent", {})
    members = {}  # ("info_type", x) or ("event", x) -> payload message
    for m in re.finditer(r"^\s+([\w.]+)\s+(\w+)\s*=\s*\d+\s*\[\(wxgate\.push\)\s*=\s*\{([^}]*)\}",
                         text, re.M):
        payload, member, push = m.groups()
        if kind := re.search(r'info_type:\s*"([^"]+)"', push):
            members[("info_type", kind.group(1))] = payload
        elif kind := re.search(r'event:\s*"([^"]+)"', push):
            members[("event", kind.group(1))] = payload
        else:
            members[("member", member)] = payload

    problems, covered = [], 0
    wanted = set()
    for row in rows:
        fields = [f for f in row["fields"].split(",") if f]
        if row["channel"] == "auth" and not row["info_type"]:
            # The envelope every authorization-event push carries.
            missing = [f for f in fields if f not in envelope]
            label = "the authorization-event envelope"
        elif row["msg_type"] == "any":
            # Every mp-events.tsv push of an authorized account: wechat.mp.v1.Event.
            mp_events = (ROOT / "proto/wechat/mp/v1/events.proto").read_text(encoding="utf-8")
            missing = [] if re.search(r"^message Event \{", mp_events, re.M) else ["Event"]
            label = "authorized accounts' pushes (wechat.mp.v1.Event)"
        else:
            key = ("info_type", row["info_type"]) if row["info_type"] else ("event", row["event"])
            label = f"{key[0]} {key[1]}"
            wanted.add(key)
            payload = members.get(key)
            if payload is None:
                if require_all:
                    problems.append(f"component push not modelled: {label}")
                continue
            missing = []
            for dotted in fields:
                fields_of = messages.get(payload, {})
                for part in dotted.split("."):
                    if part not in fields_of:
                        missing.append(dotted)
                        break
                    fields_of = messages.get(fields_of[part][1].split(".")[-1], {})
        if missing:
            problems.append(f"component push {label}: no field for "
                            + ", ".join(missing))
        else:
            covered += 1
    for key in sorted(set(members) - wanted):
        problems.append(f"ComponentEvent member for {key[0]} {key[1]} is not in "
                        "component-events.tsv")
    return f"{covered}/{len(rows)} component pushes modelled", problems


def service_permission_sets(path):
    """{service: [ids]} of the (wxgate.permission_set) options in one .proto file, with
    the (wxgate.method_permission_set) of its methods."""
    found, service = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^service\s+(\w+)", line):
            service = m.group(1)
            found[service] = []
        elif line.startswith("}"):
            service = None
        elif service and (m := re.match(
                r"^\s*option\s+\(wxgate\.(?:method_)?permission_set\)\s*=\s*(\d+);", line)):
            found[service].append(int(m.group(1)))
    return found


def check_permission_sets():
    """Returns (printed summary, problems): each wechat.mp.v1 service names exactly the
    permission sets whose catalog groups (permission-sets.tsv) hold its group (its
    file name), and each set of the component API is named by a wechat.open.v1
    service."""
    rows = read_catalog("permission-sets.tsv")
    mp_dir = ROOT / "proto/wechat/mp/v1"
    wanted = {}  # group -> set ids
    component_sets = set()
    for row in rows:
        for token in row["mp_groups"].split(","):
            # "kf(send)", "datacube(message)": the group, qualified; "(component)".
            group = re.sub(r"\(.*\)", "", token).strip()
            if (mp_dir / f"{group}.proto").exists():
                wanted.setdefault(group, set()).add(int(row["id"]))
            elif token.strip() == "(component)":
                component_sets.add(int(row["id"]))
    problems, services_count, matching = [], 0, 0
    for path in sorted(mp_dir.glob("*.proto")):
        for service, ids in service_permission_sets(path).items():
            services_count += 1
            expected = wanted.get(path.stem, set())
            if set(ids) != expected:
                problems.append(f"wechat.mp.v1.{service}: permission sets {sorted(set(ids))}, but "
                                f"permission-sets.tsv gives group {path.stem} {sorted(expected)}")
            else:
                matching += 1
    claimed = set()
    for path in sorted((ROOT / "proto/wechat/open").glob("**/*.proto")):
        for ids in service_permission_sets(path).values():
            claimed.update(ids)
    for missing in sorted(component_sets - claimed):
        problems.append(f"permission set {missing} (component) is named by no wechat.open.v1 "
                        "service")
    unset = sorted(p.stem for p in mp_dir.glob("*.proto")
                   if service_permission_sets(p) and p.stem not in wanted)
    return (f"{matching}/{services_count} mp services carry their permission sets "
            f"(no set covers: {', '.join(unset)})"), problems


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

    summary, found = check_component_pushes(args.require_all)
    problems += found
    print(summary)

    summary, found = check_permission_sets()
    problems += found
    print(summary)

    for problem in problems:
        print(problem)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
