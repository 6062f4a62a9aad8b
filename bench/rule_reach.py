#!/usr/bin/env python3
"""Per rule: the share of a project's migration files it fires on, and its number of findings,
on the shared corpus, with every project's Prisma version given as >= 7.4 and as <= 7.3.

    python3 bench/rule_reach.py [SAFEMIGRATE] [CORPUS]      (markdown tables on stdout)
    python3 bench/rule_reach.py --before OLD_SAFEMIGRATE [SAFEMIGRATE] [CORPUS]
                                        (each cell "before → after")

Project-wide conditions (entries with "scope": "project") are counted apart: they are said
once per project, not per file. docs/rules.md records the output before and after issue 12.
"""
import collections
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
before = None
if args[:1] == ["--before"]:
    before, args = args[1], args[2:]
binary = args[0] if len(args) > 0 else os.path.join(here, "..", "build", "safemigrate")
corpus = args[1] if len(args) > 1 else os.path.join(here, "..", "..", "shared", "corpus", "prisma")
projects = sorted(d for d in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, d)))


def run(project, version, binary=binary):
    out = subprocess.run([binary, "check", "--format", "json", "--prisma-version", version, "-q",
                          os.path.join(corpus, project)], capture_output=True, text=True).stdout
    doc = json.loads(out)
    files = sum(len(s["migrations"]) for s in doc["sources"])
    per_rule = collections.defaultdict(lambda: [set(), 0])
    conditions = []
    for f in doc["findings"]:
        if f.get("scope") == "project":
            conditions.append((f["rule"], f.get("migrations_concerned", 0)))
            continue
        per_rule[f["rule"]][0].add(f["migration"])
        per_rule[f["rule"]][1] += 1
    return files, per_rule, conditions


def cell(files, pr, r):
    n, k = len(pr[r][0]), pr[r][1]
    return (f"{100 * n / files:.0f} % ({k})" if n else "—"), n, k


for label, version in (("Prisma ≥ 7.4 (7.4.0)", "7.4.0"), ("Prisma ≤ 7.3 (7.3.0)", "7.3.0")):
    results = {p: run(p, version) for p in projects}
    old = {p: run(p, version, before) for p in projects} if before else None
    rules = sorted({r for res in ([results] + ([old] if old else [])) for _, pr, _ in res.values() for r in pr})
    short = [p.split("__")[1] for p in projects]
    print(f"\n{label}: per rule, the share of each project's files it fires on (findings)"
          + (", before → after" if old else "") + "\n")
    print("| rule | " + " | ".join(f"{s} ({results[p][0]})" for s, p in zip(short, projects)) + " | findings, all projects |")
    print("|---|" + "---:|" * (len(projects) + 1))
    for r in rules:
        cells, total, total_old = [], 0, 0
        for p in projects:
            files, pr, _ = results[p]
            text, _, k = cell(files, pr, r)
            total += k
            if old:
                text_old, _, k_old = cell(old[p][0], old[p][1], r)
                total_old += k_old
                text = text_old if text_old == text else f"{text_old} → {text}"
            cells.append("" if text == "—" else text)
        totals = f"{total_old} → {total}" if old and total_old != total else f"{total}"
        print(f"| `{r}` | " + " | ".join(cells) + f" | {totals} |")
    conds = collections.defaultdict(list)
    for p, s in zip(projects, short):
        for rule, n in results[p][2]:
            conds[rule].append(f"{s} {n}")
    if conds:
        print("\nSaid once per migrations folder instead (migrations concerned):\n")
        for rule in sorted(conds):
            print(f"- `{rule}`: " + ", ".join(conds[rule]))
