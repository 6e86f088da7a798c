#!/usr/bin/env python3
"""Score cutover's inventory against hand-made labels of real repositories.

Each repository of `repos.toml` has a folder here with the `cutover.toml` it is scanned with
and `labels.tsv`: every access to its tables, written by reading the code before running the
tool. A label matches a finding of the same file, table and access whose line is within
+-3 lines; matching is one-to-one, closest lines first. A label of access `declare` (an ORM
model mapped to the table) matches any `model_declaration` finding. Findings of access
`unknown` (unresolved) are neither right nor wrong: they are counted apart. Callers (findings
of kind `caller`: call sites of a named query, a declared wrapper or a function found writing)
match only the labels of caller sites (idiom `*_caller`, or `named_query`: a call of a named
query by name), and those labels match only callers; a caller no label asks for is neither
right nor wrong (labels leave project wrappers' callers out), counted apart. A label whose
idiom starts with `?` is optional (an arguable site): found, it counts as right; missed, it
counts nowhere.

    bench/accuracy/score.py --repos DIR [--bin PATH] [--only NAME]... [--verbose]
    bench/accuracy/score.py --repos DIR --findings NAME=FILE.jsonl   # score saved output

DIR holds one checkout per repository, named as in repos.toml, at the pinned commit
(bench/accuracy/fetch.sh DIR makes them).
"""

import argparse
import collections
import json
import pathlib
import subprocess
import sys
import tomllib

HERE = pathlib.Path(__file__).resolve().parent
TOLERANCE = 3
ACCESSES = ("write", "read", "ddl", "declare")


def load_labels(path):
    labels = []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#") or line.startswith("file\t"):
                continue
            cols = line.split("\t")
            if len(cols) < 5:
                sys.exit(f"{path}:{n}: expected file, line, table, access, idiom[, note]")
            file, lineno, table, access, idiom = cols[:5]
            if access not in ACCESSES:
                sys.exit(f"{path}:{n}: access `{access}` is not one of {', '.join(ACCESSES)}")
            labels.append(
                {
                    "file": file,
                    "line": int(lineno),
                    "table": table,
                    "access": access,
                    "idiom": idiom.lstrip("?"),
                    "optional": idiom.startswith("?"),
                    "note": cols[5] if len(cols) > 5 else "",
                }
            )
    return labels


def run_cutover(binary, checkout, config):
    cmd = [binary, "inventory", str(checkout), "--config", str(config), "--format", "jsonl"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        sys.exit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr}")
    return [json.loads(l) for l in done.stdout.splitlines() if l.strip()]


def key_of_label(label):
    access = "declare" if label["access"] == "declare" else label["access"]
    return (label["file"], label["table"].lower(), access)


def key_of_finding(finding):
    access = "declare" if finding["kind"] == "model_declaration" else finding["access"]
    return (finding["file"], finding["table"].lower(), access)


def match(labels, findings):
    """One-to-one matching within TOLERANCE lines, closest first. Returns matched pairs."""
    by_key = collections.defaultdict(list)
    for i, f in enumerate(findings):
        by_key[key_of_finding(f)].append(i)
    candidates = []
    for li, label in enumerate(labels):
        for fi in by_key.get(key_of_label(label), []):
            d = abs(findings[fi]["line"] - label["line"])
            if d <= TOLERANCE:
                candidates.append((d, li, fi))
    candidates.sort()
    used_l, used_f, pairs = set(), set(), []
    for d, li, fi in candidates:
        if li in used_l or fi in used_f:
            continue
        used_l.add(li)
        used_f.add(fi)
        pairs.append((li, fi))
    return pairs


def ratio(a, b):
    return a / b if b else float("nan")


def fmt(x):
    return "  -  " if x != x else f"{x:.3f}"


def is_caller_label(label):
    return label["idiom"].endswith("_caller") or label["idiom"] == "named_query"


def match_split(labels, findings, label_ok, finding_ok):
    """`match` over the labels and findings the predicates keep, in the original indices."""
    li = [i for i, l in enumerate(labels) if label_ok(l)]
    fi = [i for i, f in enumerate(findings) if finding_ok(f)]
    sub = match([labels[i] for i in li], [findings[i] for i in fi])
    return [(li[a], fi[b]) for a, b in sub]


def score(name, labels, findings, verbose, out):
    unresolved = [f for f in findings if f["access"] == "unknown"]
    classified = [f for f in findings if f["access"] != "unknown"]
    is_caller = lambda f: f["kind"] == "caller"
    pairs = match_split(labels, classified, lambda l: not is_caller_label(l), lambda f: not is_caller(f))
    pairs += match_split(labels, classified, is_caller_label, is_caller)
    hit_l = {li for li, _ in pairs}
    hit_f = {fi for _, fi in pairs}
    callers = [i for i, f in enumerate(classified) if is_caller(f)]
    callers_right = sum(1 for i in callers if i in hit_f)
    # Unmatched callers count nowhere: found = direct findings + callers a label asked for.
    found = len(classified) - len(callers) + callers_right
    # An optional label missed is no miss: only the labels that count, and every match.
    labels_counted = [i for i, l in enumerate(labels) if not l["optional"] or i in hit_l]
    tp = len(pairs)
    writes = [i for i in labels_counted if labels[i]["access"] == "write"]
    write_tp = sum(1 for i in writes if i in hit_l)
    row = {
        "repo": name,
        "labels": len(labels_counted),
        "findings": found,
        "correct": tp,
        "precision": ratio(tp, found),
        "callers": len(callers),
        "callers_right": callers_right,
        "recall": ratio(tp, len(labels_counted)),
        "write_labels": len(writes),
        "write_recall": ratio(write_tp, len(writes)),
        "unresolved": len(unresolved),
        "by_idiom": {},
    }
    per_idiom = collections.defaultdict(lambda: [0, 0])
    for i in labels_counted:
        l = labels[i]
        per_idiom[l["idiom"]][1] += 1
        per_idiom[l["idiom"]][0] += i in hit_l
    for idiom, (hit, total) in sorted(per_idiom.items()):
        row["by_idiom"][idiom] = {"labels": total, "found": hit, "recall": ratio(hit, total)}
    if verbose:
        for i, l in enumerate(labels):
            if i not in hit_l and not l["optional"]:
                print(
                    f"  miss  {l['file']}:{l['line']} {l['table']} {l['access']} [{l['idiom']}] {l['note']}",
                    file=out,
                )
        for i, f in enumerate(classified):
            if i not in hit_f and is_caller(f):
                print(
                    f"  caller (not labeled) {f['file']}:{f['line']} {f['table']} {f['access']}: {f['evidence'][:90]}",
                    file=out,
                )
            elif i not in hit_f:
                print(
                    f"  extra {f['file']}:{f['line']} {f['table']} {f['access']} {f['operation']} {f['kind']}: {f['evidence'][:90]}",
                    file=out,
                )
        for f in unresolved:
            print(
                f"  unresolved {f['file']}:{f['line']} {f['table']}: {f['evidence'][:90]}",
                file=out,
            )
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repos", required=True, type=pathlib.Path, help="folder of checkouts")
    ap.add_argument("--bin", default="cutover", help="cutover binary (default: on PATH)")
    ap.add_argument("--only", action="append", default=[], help="score these repositories only")
    ap.add_argument("--findings", action="append", default=[], help="NAME=FILE: saved jsonl")
    ap.add_argument("--verbose", "-v", action="store_true", help="list misses and extras")
    ap.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = ap.parse_args()

    saved = dict(s.split("=", 1) for s in args.findings)
    repos = tomllib.loads((HERE / "repos.toml").read_text()).get("repo", [])
    unknown = set(args.only) - {r["name"] for r in repos}
    if unknown:
        sys.exit(f"--only: no repository named {', '.join(sorted(unknown))} in repos.toml")
    # Misses and extras go to stderr as they come; the table to stdout at the end.
    sys.stdout.flush()
    rows = []
    for repo in repos:
        name = repo["name"]
        if args.only and name not in args.only:
            continue
        folder = HERE / name
        labels = load_labels(folder / "labels.tsv")
        if name in saved:
            with open(saved[name], encoding="utf-8") as f:
                findings = [json.loads(l) for l in f if l.strip()]
        else:
            checkout = args.repos / name
            if not checkout.is_dir():
                sys.exit(f"{checkout}: missing checkout (bench/accuracy/fetch.sh {args.repos})")
            findings = run_cutover(args.bin, checkout, folder / "cutover.toml")
        if args.verbose:
            print(f"{name}:", file=sys.stderr, flush=True)
        rows.append(score(name, labels, findings, args.verbose, sys.stderr))

    if args.json:
        print(json.dumps(rows, indent=2, sort_keys=True))
        return
    total = collections.Counter()
    print(f"{'repository':<28} {'labels':>6} {'found':>6} {'right':>6} {'precision':>9} {'recall':>7} {'writes':>6} {'w.recall':>8} {'unres.':>6} {'callers':>9}")
    for r in rows:
        print(
            f"{r['repo']:<28} {r['labels']:>6} {r['findings']:>6} {r['correct']:>6} {fmt(r['precision']):>9} "
            f"{fmt(r['recall']):>7} {r['write_labels']:>6} {fmt(r['write_recall']):>8} {r['unresolved']:>6} {str(r['callers_right']) + '/' + str(r['callers']):>9}"
        )
        for idiom, s in r["by_idiom"].items():
            print(f"  {idiom:<26} {s['labels']:>6} {'':>6} {s['found']:>6} {'':>9} {fmt(s['recall']):>7}")
        for k in ("labels", "findings", "correct", "write_labels", "unresolved", "callers", "callers_right"):
            total[k] += r[k]
        total["write_correct"] += round(r["write_recall"] * r["write_labels"]) if r["write_labels"] else 0
    print(
        f"{'all':<28} {total['labels']:>6} {total['findings']:>6} {total['correct']:>6} "
        f"{fmt(ratio(total['correct'], total['findings'])):>9} {fmt(ratio(total['correct'], total['labels'])):>7} "
        f"{total['write_labels']:>6} {fmt(ratio(total['write_correct'], total['write_labels'])):>8} {total['unresolved']:>6} "
        f"{str(total['callers_right']) + '/' + str(total['callers']):>9}"
    )


if __name__ == "__main__":
    main()
