#!/usr/bin/env python3
"""Per rule: the share of a project's migration files it fires on, and its number of findings,
on the shared corpus, with every project's Prisma version given as >= 7.4 and as <= 7.3.

    python3 bench/rule_reach.py [SAFEMIGRATE] [CORPUS]      (markdown tables on stdout)

Project-wide conditions (entries with "scope": "project") are counted apart: they are said
once per project, not per file. docs/rules.md records the output before and after issue 12.
"""
import collections
import json
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "build", "safemigrate")
corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "shared", "corpus", "prisma")
projects = sorted(d for d in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, d)))


def run(project, version):
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


for label, version in (("Prisma ≥ 7.4 (7.4.0)", "7.4.0"), ("Prisma ≤ 7.3 (7.3.0)", "7.3.0")):
    results = {p: run(p, version) for p in projects}
    rules = sorted({r for _, pr, _ in results.values() for r in pr})
    short = [p.split("__")[1] for p in projects]
    print(f"\n{label}: per rule, files it fires on (% of the project's files) and findings\n")
    print("| rule | " + " | ".join(f"{s} ({results[p][0]})" for s, p in zip(short, projects)) + " | all: files, findings |")
    print("|---|" + "---:|" * (len(projects) + 1))
    for r in rules:
        cells, files_all, findings_all = [], 0, 0
        for p in projects:
            files, pr, _ = results[p]
            n, k = len(pr[r][0]), pr[r][1]
            files_all += n
            findings_all += k
            cells.append(f"{100 * n / files:.0f} % ({k})" if n else "")
        print(f"| `{r}` | " + " | ".join(cells) + f" | {files_all}, {findings_all} |")
    conds = collections.defaultdict(list)
    for p, s in zip(projects, short):
        for rule, n in results[p][2]:
            conds[rule].append(f"{s} {n}")
    if conds:
        print("\nproject-wide conditions (said once per project; migrations concerned):\n")
        for rule in sorted(conds):
            print(f"- `{rule}`: " + ", ".join(conds[rule]))
