#!/usr/bin/env python3
"""Keeps the README's generated sections in step with their sources.

  readme_sections.py --wxgate BIN [--write]

Sections, each between <!-- NAME:begin --> and <!-- NAME:end --> in README.md:
  api-map      every annotated RPC → WeChat endpoint → document, read from proto/
  error-table  the errcode → gRPC code table, printed by `wxgate --print_error_table`
  reason-table the gateway's own error reasons, printed by `wxgate --print_reason_table`
  metric-table the metrics of /metrics, printed by `wxgate --print_metric_table`
Without --write it checks and exits 1 with a diff when the README is stale.
"""
import argparse
import difflib
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
RPC = re.compile(r"^\s*rpc\s+(\w+)\s*\(")
# `get: "/path"` on a line of its own, or right after the option's opening brace.
ENDPOINT = re.compile(r'(?:^\s*|\{\s*)(get|post):\s*"([^"]+)"')


def services(path):
    """Yields (service, [(rpc, method, path, title, url)]) from one .proto file."""
    package, service, rpcs, comments, current = "", None, [], [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"^package\s+([\w.]+);", line):
            package = m.group(1)
        elif m := re.match(r"^service\s+(\w+)", line):
            service, rpcs = f"{package}.{m.group(1)}", []
        elif service and line.startswith("}"):
            yield service, rpcs
            service = None
        elif service and (m := re.match(r"^\s*//\s?(.*)", line)):
            comments.append(m.group(1))
        elif service and (m := RPC.match(line)):
            url = next((c[4:].strip() for c in comments if c.startswith("Doc:")), "")
            # The comment opens with the document's title, then ": " and a remark.
            title = next((c for c in comments if not c.startswith("Doc:")), "")
            title = title.split(": ")[0].rstrip(".")
            current = [m.group(1), "", "", title, url]
            rpcs.append(current)
            comments = []
        elif service and current and (m := ENDPOINT.search(line)):
            current[1], current[2] = m.group(1).upper(), m.group(2)
        elif not line.strip().startswith("//"):
            comments = [] if not line.strip() else comments


def api_map():
    out = []
    for path in sorted((ROOT / "proto").glob("wechat/**/*.proto")):
        for service, rpcs in services(path):
            out.append(f"**{service}** (`{path.relative_to(ROOT)}`)\n")
            out.append("| RPC | WeChat endpoint | Document |")
            out.append("|---|---|---|")
            for rpc, method, http_path, title, url in rpcs:
                doc = f"[{title}]({url})" if url else title
                out.append(f"| {rpc} | `{method} {http_path}` | {doc} |")
            out.append("")
    return "\n".join(out)


def printed(wxgate, flag):
    return subprocess.run([wxgate, flag], check=True, capture_output=True, text=True).stdout


def replace(readme, name, body):
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.S)
    if not pattern.search(readme):
        sys.exit(f"README.md has no <!-- {name}:begin --> ... <!-- {name}:end --> section")
    return pattern.sub(lambda m: m.group(1) + body.rstrip("\n") + "\n" + m.group(2), readme)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wxgate", required=True)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    readme_path = ROOT / "README.md"
    old = readme_path.read_text(encoding="utf-8")
    new = replace(old, "api-map", api_map())
    new = replace(new, "error-table", printed(args.wxgate, "--print_error_table"))
    new = replace(new, "reason-table", printed(args.wxgate, "--print_reason_table"))
    new = replace(new, "metric-table", printed(args.wxgate, "--print_metric_table"))
    if args.write:
        readme_path.write_text(new, encoding="utf-8")
    elif new != old:
        sys.stdout.writelines(difflib.unified_diff(
            old.splitlines(True), new.splitlines(True), "README.md", "generated"))
        sys.exit("README.md is stale: run tests/tools/readme_sections.py --wxgate BIN --write")
    print("README.md sections are up to date")


if __name__ == "__main__":
    main()
