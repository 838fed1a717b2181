#!/usr/bin/env python3
"""Mutation check: applies each mutant of a list to ONE scratch copy of the repository, builds it
incrementally, runs the tests the mutant names, restores the file, and reports which mutants the
tests kill and which survive.

Usage (from the repository root):

    python3 Tools/mutants/run-mutants.py [--list Tools/mutants/mutants.txt]
        [--scratch .build-mutants/repo] [--rev REV] [--only ID,ID] [--check]
        [--results FILE] [--timeout SECONDS] [--no-baseline]

--rev REV copies the sources of a git revision (for example the commit before new tests) into the
scratch copy instead of the working tree, so the same list can be measured against an older suite.
--check only verifies that every mutant's pattern occurs exactly once in its file.

The scratch copy keeps its own .build, so each mutant costs an incremental build. Standard library
only. Exit status 0 when every mutant was killed or declared `survives:`, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import io
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS = ("id", "file", "find", "replace", "tests", "breaks", "survives")


@dataclass
class Mutant:
    id: str
    file: str
    find: str
    replace: str
    tests: str
    breaks: str
    survives: str = ""
    line: int = 0
    extra: dict = field(default_factory=dict)


def unescape(text: str) -> str:
    return text.replace("\\n", "\n")


def parse_list(path: str) -> list[Mutant]:
    """Blocks of `key: value` lines separated by blank lines; `#` lines are comments."""
    mutants: list[Mutant] = []
    block: dict[str, str] = {}
    start = 0

    def flush() -> None:
        if not block:
            return
        missing = [k for k in KEYS[:6] if k not in block]
        if missing:
            raise SystemExit(f"{path}:{start}: mutant block lacks {', '.join(missing)}")
        mutants.append(
            Mutant(
                id=block["id"], file=block["file"], find=unescape(block["find"]),
                replace=unescape(block["replace"]), tests=block["tests"], breaks=block["breaks"],
                survives=block.get("survives", ""), line=start))

    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line.strip():
                flush()
                block = {}
                continue
            key, sep, value = line.partition(": ")
            if not sep or key not in KEYS:
                raise SystemExit(f"{path}:{number}: expected `key: value` with key in {KEYS}")
            if key in block:
                raise SystemExit(f"{path}:{number}: `{key}` given twice in one block")
            if not block:
                start = number
            block[key] = value
    flush()
    ids = [m.id for m in mutants]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SystemExit(f"{path}: duplicate ids {', '.join(duplicates)}")
    return mutants


def source_files(rev: str | None) -> dict[str, bytes]:
    """The files of the working tree (tracked and untracked, not ignored) or of a revision."""
    if rev:
        archive = subprocess.run(
            ["git", "-C", ROOT, "archive", "--format=tar", rev], check=True, capture_output=True)
        files = {}
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        files[member.name] = extracted.read()
        return files
    listed = subprocess.run(
        ["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True).stdout.decode().split("\0")
    files = {}
    for name in filter(None, listed):
        path = os.path.join(ROOT, name)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                files[name] = handle.read()
    return files


def sync(files: dict[str, bytes], scratch: str) -> None:
    """Makes the scratch copy hold exactly `files`, rewriting only what differs (so that the
    build stays incremental)."""
    manifest = os.path.join(scratch, ".mutants-manifest.json")
    previous: list[str] = []
    if os.path.exists(manifest):
        with open(manifest, encoding="utf-8") as handle:
            previous = json.load(handle)
    for name in set(previous) - set(files):
        path = os.path.join(scratch, name)
        if os.path.exists(path):
            os.remove(path)
    for name, content in files.items():
        path = os.path.join(scratch, name)
        if os.path.exists(path):
            with open(path, "rb") as handle:
                if handle.read() == content:
                    continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(content)
        if name.endswith((".sh", ".py")):
            os.chmod(path, 0o755)
    with open(manifest, "w", encoding="utf-8") as handle:
        json.dump(sorted(files), handle)


def run(command: list[str], cwd: str, timeout: float, log) -> tuple[int, float]:
    began = time.monotonic()
    log.write(f"\n$ {' '.join(command)}\n")
    log.flush()
    try:
        completed = subprocess.run(
            command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, timeout=timeout)
        status = completed.returncode
    except subprocess.TimeoutExpired:
        log.write(f"\n(timed out after {timeout:.0f} s)\n")
        status = -1
    return status, time.monotonic() - began


def build(scratch: str, log) -> int:
    return run(["swift", "build", "--build-tests"], scratch, 3600, log)[0]


def test(scratch: str, pattern: str, timeout: float, log) -> tuple[int, float]:
    return run(
        ["swift", "test", "--disable-xctest", "--skip-build", "--filter", pattern],
        scratch, timeout, log)


def check_patterns(mutants: list[Mutant], files: dict[str, bytes]) -> list[str]:
    problems = []
    for m in mutants:
        content = files.get(m.file)
        if content is None:
            problems.append(f"{m.id}: no file {m.file}")
            continue
        count = content.decode("utf-8").count(m.find)
        if count != 1:
            problems.append(f"{m.id}: pattern occurs {count} times in {m.file} (must be once)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", default=os.path.join(ROOT, "Tools/mutants/mutants.txt"))
    parser.add_argument("--scratch", default=os.path.join(ROOT, ".build-mutants/repo"))
    parser.add_argument("--rev", help="measure against this git revision's sources")
    parser.add_argument("--only", help="comma-separated mutant ids")
    parser.add_argument("--check", action="store_true", help="only check the patterns")
    parser.add_argument("--results", help="write the results as JSON here")
    parser.add_argument("--timeout", type=float, default=1200, help="per test run, seconds")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the tests once on the unmutated copy")
    args = parser.parse_args()

    mutants = parse_list(args.list)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            raise SystemExit(f"unknown mutant ids: {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m.id in wanted]
    files = source_files(args.rev)
    problems = check_patterns(mutants, files)
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} of {len(mutants)} mutants do not apply")
        return 1
    if args.check:
        print(f"all {len(mutants)} mutants apply")
        return 0

    scratch = os.path.abspath(args.scratch)
    os.makedirs(scratch, exist_ok=True)
    sync(files, scratch)
    log_path = os.path.join(os.path.dirname(scratch), f"mutants-{os.path.basename(scratch)}.log")
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n==== run at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
                  f" rev={args.rev or 'working tree'}\n")
        print(f"scratch copy {scratch}; build and test output in {log_path}", flush=True)
        if build(scratch, log) != 0:
            print("the unmutated copy does not build; see the log")
            return 1
        if not args.no_baseline:
            union = "|".join(sorted({m.tests for m in mutants}))
            status, seconds = test(scratch, union, args.timeout * 3, log)
            if status != 0:
                print(f"the unmutated copy fails its tests ({seconds:.0f} s); see the log")
                return 1
            print(f"baseline: the selected tests pass on the unmutated copy ({seconds:.0f} s)",
                  flush=True)
        results = []
        for m in mutants:
            path = os.path.join(scratch, m.file)
            original = files[m.file]
            with open(path, "wb") as handle:
                handle.write(original.decode("utf-8").replace(m.find, m.replace, 1).encode())
            try:
                log.write(f"\n==== mutant {m.id}\n")
                began = time.monotonic()
                if build(scratch, log) != 0:
                    outcome = "stillborn"
                else:
                    status, _ = test(scratch, m.tests, args.timeout, log)
                    outcome = "killed" if status != 0 else "survived"
            finally:
                with open(path, "wb") as handle:
                    handle.write(original)
            seconds = time.monotonic() - began
            note = f"  ({m.survives})" if outcome == "survived" and m.survives else ""
            print(f"{outcome:9} {m.id:40} {seconds:5.0f} s  {m.breaks}{note}", flush=True)
            results.append({"id": m.id, "outcome": outcome, "seconds": round(seconds),
                            "breaks": m.breaks, "survives": m.survives})
        build(scratch, log)  # leave the copy built from unmutated sources
    if args.results:
        with open(args.results, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)
    killed = sum(r["outcome"] == "killed" for r in results)
    survived = [r for r in results if r["outcome"] == "survived"]
    stillborn = sum(r["outcome"] == "stillborn" for r in results)
    explained = sum(bool(r["survives"]) for r in survived)
    print(f"{killed} killed, {len(survived)} survived ({explained} explained), "
          f"{stillborn} did not build, of {len(results)} mutants")
    return 0 if all(r["survives"] for r in survived) and stillborn == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
