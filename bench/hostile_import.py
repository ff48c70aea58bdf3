"""Hostile and malformed input to the importers: tracebacks, what skip mode writes, memory.

Four measurements, each of the code as it is checked out:

1. **Mutated records.** ``--cases`` records (seeded) made from the real API v2 studies in
   tests/data/ctgov, each with one value replaced by a JSON value of another shape (a list
   where a string is, a string or null where an object is, nested lists, numbers, booleans),
   plus the hostile records of issue 13 (JSON nested 5,000 deep, a 5,000-digit integer, a lone
   surrogate in a title, ZIP members with a bad CRC, encryption or an unknown compression
   method). Each is read, mapped and encoded as N-Triples in process, the way the import does
   it; counted: mapped, refused with a record error, or ended in a traceback (and where).
2. **Skip mode.** ``import ctgov DIR --on-invalid skip`` of 250 synthetic good studies
   (bench/generate_ctgov.py, seed 7) and one mutated record that crashed the old mapper: the
   exit code and the records written.
3. **A ZIP bomb**: a ~1 MB ZIP whose one member is a study with a 1 GiB title.
4. **A gzip bomb**: a ~0.5 MB ``.xml.gz`` whose one article has a 512 MiB title.

3 and 4 run ``evidencegraph import`` in a child process each; peak RSS is the child's
(``os.wait4``), beside the baseline of the same command importing tests/data/ctgov.

Run:  python bench/hostile_import.py --label before|after --write docs/benchmarks.md
(each label has its own section; the cases are the same for the same --seed and --cases).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import io
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from common import replace_section  # type: ignore[import-not-found]

HERE = Path(__file__).parent
ROOT = HERE.parent
CTGOV = ROOT / "tests" / "data" / "ctgov"
#: the classic-format record is refused as a whole; the others are API v2 studies
V2_RECORDS = ("NCT00763412.json", "NCT00973089.json", "NCT03418623.json", "NCT03630471.json")
MIB = 1 << 20


# --- the mutator (tests/test_fuzz_import.py uses it too) -----------------------------------


def replacement_values(rng: random.Random) -> list[Any]:
    """JSON values of every shape, to put where another shape is expected."""
    word = rng.choice(["PHASE2", "x", "", " ", "NCT00000000", "12", "-1", "1e999", "RANDOMIZED"])
    return [
        None,
        True,
        False,
        0,
        -7,
        2.5,
        1e308,
        word,
        [],
        [word],
        [[word]],
        [None],
        [1, 2],
        {},
        {"id": word},
        {"a": [{"b": None}]},
        [{"x": [[]]}],
    ]


def mutate(record: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    """A copy of ``record`` with one value (not the NCT id) replaced; and which, for people.

    The value is found by a random walk from the top that stops at each level with
    probability 0.3, so modules and lists are hit as often as the leaves under them.
    """
    mutated = copy.deepcopy(record)
    parent: Any = mutated
    path: list[Any] = []
    while True:
        keys = list(parent) if isinstance(parent, dict) else list(range(len(parent)))
        keys = [key for key in keys if key != "nctId"]
        if not keys:
            break
        key = rng.choice(keys)
        path.append(key)
        child = parent[key]
        if not isinstance(child, (dict, list)) or not child or rng.random() < 0.3:
            break
        parent = child
    value = rng.choice(replacement_values(rng))
    parent[path[-1]] = value
    shown = ".".join(str(part) for part in path)
    return mutated, f"{shown} = {json.dumps(value)[:40]}"


def mutated_records(seed: int, cases: int) -> list[tuple[str, bytes, str]]:
    """``cases`` (name, JSON bytes, what was changed), the same for the same seed."""
    rng = random.Random(seed)
    originals = {name: json.loads((CTGOV / name).read_bytes()) for name in V2_RECORDS}
    out = []
    for number in range(cases):
        name = rng.choice(V2_RECORDS)
        record, change = mutate(originals[name], rng)
        out.append((f"case-{number:04d}-{name}", json.dumps(record).encode(), change))
    return out


def hostile_records() -> list[tuple[str, bytes, str]]:
    """The crafted records of issue 13 point 8, as (file name, bytes, what)."""
    study = json.loads((CTGOV / "NCT00973089.json").read_bytes())
    deep = copy.deepcopy(study)
    deep["extra"] = "@DEEP@"
    deep_text = json.dumps(deep).replace('"@DEEP@"', "[" * 5000 + "]" * 5000)
    big = copy.deepcopy(study)
    big["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "@BIG@"
    big_text = json.dumps(big).replace('"@BIG@"', "9" * 5000)
    surrogate = copy.deepcopy(study)
    surrogate["protocolSection"]["identificationModule"]["briefTitle"] = "@S@"
    surrogate_text = json.dumps(surrogate).replace("@S@", "Ketamine \\ud800 trial")
    return [
        ("hostile-deep.json", deep_text.encode(), "JSON nested 5,000 deep"),
        ("hostile-bigint.json", big_text.encode(), "a 5,000-digit integer"),
        ("hostile-surrogate.json", surrogate_text.encode(), "a lone surrogate in the title"),
    ]


ZIP_CASES = {
    "bad-crc": "a ZIP member with a bad CRC",
    "encrypted": "an encrypted ZIP member",
    "method-99": "a ZIP member compressed with method 99 (AES)",
}


def hostile_zips(directory: Path) -> list[tuple[Path, str]]:
    """ZIP archives with a damaged, an encrypted and an unknown-method member."""
    data = (CTGOV / "NCT00973089.json").read_bytes()
    made = []
    for kind in ("bad-crc", "encrypted", "method-99"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr("NCT00973089.json", data)
        raw = bytearray(buffer.getvalue())
        central = raw.rfind(b"PK\x01\x02")
        if kind == "bad-crc":
            raw[30 + len("NCT00973089.json") + 100] ^= 0x20  # a byte of the stored data
        elif kind == "encrypted":
            for header, offset in ((0, 6), (central, 8)):  # general purpose flags, bit 0
                raw[header + offset] |= 0x01
        else:
            for header, offset in ((0, 8), (central, 10)):  # compression method
                raw[header + offset : header + offset + 2] = struct.pack("<H", 99)
        path = directory / f"hostile-{kind}.zip"
        path.write_bytes(bytes(raw))
        made.append((path, ZIP_CASES[kind]))
    return made


# --- 1. mutated records, in process ---------------------------------------------------------


def classify(path: Path) -> tuple[str, str]:
    """Read, map and encode every record of one file: ('mapped'|'refused'|'traceback', where)."""
    import pyoxigraph as ox

    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.mapping import MappingError
    from evidencegraph.ingest.records import RecordError
    from evidencegraph.validation.batch_gate import batch_quads

    outcome = "mapped"
    try:
        for item in ctgov.read_paths([path]):
            if isinstance(item, RecordError):
                return "refused", str(item)[:160]
            try:
                mapped = ctgov.map_study(item.content, item.origin)
            except MappingError as error:
                return "refused", str(error)[:160]
            ox.serialize(batch_quads(mapped.triples), format=ox.RdfFormat.N_QUADS)
    except Exception as error:
        frames = [
            frame
            for frame in traceback.extract_tb(error.__traceback__)
            if "evidencegraph" in frame.filename
        ]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        return "traceback", f"{type(error).__name__} at {where}"
    return outcome, ""


def fuzz(work: Path, seed: int, cases: int) -> dict[str, Any]:
    directory = work / "fuzz"
    directory.mkdir()
    outcomes: Counter[str] = Counter()
    places: Counter[str] = Counter()
    for name, data, _change in mutated_records(seed, cases):
        path = directory / name
        path.write_bytes(data)
        outcome, where = classify(path)
        outcomes[outcome] += 1
        if outcome == "traceback":
            places[where] += 1
    crafted = []
    for name, data, what in hostile_records():
        path = directory / name
        path.write_bytes(data)
        crafted.append((what, *classify(path)))
    for path, what in hostile_zips(directory):
        crafted.append((what, *classify(path)))
    return {"outcomes": dict(outcomes), "places": dict(places), "crafted": crafted}


# --- 2. skip mode: 250 good records and one bad one -----------------------------------------


def run_cli(args: list[str], cwd: Path) -> dict[str, Any]:
    """``python -m evidencegraph ARGS`` in a child; exit code, output, wall s, peak RSS MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "evidencegraph", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = process.communicate()
    return {
        "code": process.returncode,
        "stdout": stdout.decode("utf-8", "replace"),
        "stderr": stderr.decode("utf-8", "replace"),
        "wall": time.perf_counter() - started,
    }


def run_measured(args: list[str], cwd: Path) -> dict[str, Any]:
    """Like :func:`run_cli`, with the child's own peak RSS (os.wait4 on its pid)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "evidencegraph", *args], cwd=cwd, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "code": process.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
            "wall": time.perf_counter() - started,
            "peak_mib": usage.ru_maxrss / 1024,
        }


def bad_record() -> bytes:
    """A real study whose phases are a list of lists (the old mapper: unhashable list)."""
    study = json.loads((CTGOV / "NCT00973089.json").read_bytes())
    study["protocolSection"]["designModule"]["phases"] = [["PHASE2"]]
    return json.dumps(study).encode()


def skip_mode(work: Path) -> dict[str, Any]:
    directory = work / "skip"
    subprocess.run(
        [sys.executable, str(HERE / "generate_ctgov.py"), "250", str(directory), "--seed", "7"],
        check=True,
        capture_output=True,
    )
    (directory / "NCT00973089-bad.json").write_bytes(bad_record())
    result = run_cli(
        [
            *("--store", f"oxigraph:{work / 'skip.db'}", "import", "ctgov", str(directory)),
            *("--on-invalid", "skip", "--no-progress"),
        ],
        work,
    )
    imported = next(
        (line.split()[1] for line in result["stdout"].splitlines() if line.startswith("imported:")),
        "0",
    )
    return {
        "code": result["code"],
        "imported": int(imported),
        "last": _last_line(result),
        "mapping": mapping_cost(directory),
    }


def mapping_cost(directory: Path, rounds: int = 5) -> dict[str, float]:
    """ms per study of map_study over the synthetic studies, with the shape check (issue 13)
    and with it replaced by nothing; the check alone. Best of ``rounds``."""
    from evidencegraph.ingest import ctgov
    from evidencegraph.ingest.records import Record

    studies = [
        item
        for item in ctgov.read_paths(sorted(directory.glob("NCT9*.json")))
        if isinstance(item, Record)
    ]

    def best(step: Any) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            for item in studies:
                step(item)
            times.append(time.perf_counter() - started)
        return min(times) / len(studies) * 1000

    result = {"with": best(lambda item: ctgov.map_study(item.content, item.origin))}
    check = getattr(ctgov, "_check_shape", None)
    if check is None:  # the code before issue 13 has no shape check
        return result
    result["check"] = best(lambda item: check(item.content, "NCT00000000"))
    ctgov._check_shape = lambda content, nct_id: None
    try:
        result["without"] = best(lambda item: ctgov.map_study(item.content, item.origin))
    finally:
        ctgov._check_shape = check
    return result


def _last_line(result: dict[str, Any]) -> str:
    lines = [line for line in result["stderr"].splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


# --- 3 and 4: the bombs ---------------------------------------------------------------------


def zip_bomb(path: Path, member_mib: int) -> None:
    """A ZIP of one study whose title is ``member_mib`` MiB of one letter (deflate, level 9)."""
    head = b'{"protocolSection": {"identificationModule": {"nctId": "NCT09999999", "briefTitle": "'
    tail = b'"}, "designModule": {"studyType": "OBSERVATIONAL"}}}'
    info = zipfile.ZipInfo("NCT09999999.json")
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        zipfile.ZipFile(path, "w", compresslevel=9) as archive,
        archive.open(info, "w", force_zip64=True) as member,
    ):
        member.write(head)
        chunk = b"A" * MIB
        for _ in range(member_mib):
            member.write(chunk)
        member.write(tail)


def gz_bomb(path: Path, title_mib: int) -> None:
    """PubMed XML of one article whose title is ``title_mib`` MiB of one letter, gzipped."""
    head = (
        b"<?xml version='1.0'?>\n<PubmedArticleSet><PubmedArticle><MedlineCitation>"
        b"<PMID>99999999</PMID><Article><Journal><Title>J</Title></Journal><ArticleTitle>"
    )
    tail = b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n"
    with gzip.open(path, "wb", compresslevel=9) as packed:
        packed.write(head)
        chunk = b"A" * MIB
        for _ in range(title_mib):
            packed.write(chunk)
        packed.write(tail)


def bombs(work: Path, zip_mib: int, gz_mib: int, under_mib: int = 0) -> dict[str, Any]:
    results: dict[str, Any] = {}
    baseline = run_measured(
        [
            *("--store", f"oxigraph:{work / 'base.db'}", "import", "ctgov", str(CTGOV)),
            *("--on-invalid", "skip", "--no-progress"),
        ],
        work,
    )
    results["baseline"] = baseline
    archive = work / "bomb.zip"
    zip_bomb(archive, zip_mib)
    results["zip"] = run_measured(
        [
            "--store",
            f"oxigraph:{work / 'zip.db'}",
            "import",
            "ctgov",
            str(archive),
            "--no-progress",
        ],
        work,
    )
    results["zip"]["size"] = archive.stat().st_size
    archive.unlink()
    if under_mib:
        zip_bomb(archive, under_mib)
        results["zip-under"] = run_measured(
            [
                *("--store", f"oxigraph:{work / 'under.db'}", "import", "ctgov"),
                *(str(archive), "--no-progress"),
            ],
            work,
        )
        results["zip-under"]["size"] = archive.stat().st_size
        archive.unlink()
    packed = work / "bomb.xml.gz"
    gz_bomb(packed, gz_mib)
    results["gz"] = run_measured(
        ["--store", f"oxigraph:{work / 'gz.db'}", "import", "pubmed", str(packed), "--no-progress"],
        work,
    )
    results["gz"]["size"] = packed.stat().st_size
    packed.unlink()
    return results


# --- the report -----------------------------------------------------------------------------


def render(
    label: str,
    args: argparse.Namespace,
    fuzzed: dict[str, Any],
    skip: dict[str, Any],
    bomb: dict[str, Any],
) -> str:
    outcomes = fuzzed["outcomes"]
    lines = [
        f"### Hostile input: {label}",
        "",
        f"Command: `python bench/hostile_import.py --label {label} --cases {args.cases} "
        f"--seed {args.seed} --zip-mib {args.zip_mib} --gz-mib {args.gz_mib} "
        + (f"--zip-under-mib {args.zip_under_mib} " if args.zip_under_mib else "")
        + "--write docs/benchmarks.md`",
        "",
        f"Mutated records ({args.cases}, seed {args.seed}): "
        f"{outcomes.get('mapped', 0)} mapped, {outcomes.get('refused', 0)} refused with a "
        f"record error, **{outcomes.get('traceback', 0)} ended in a traceback**"
        + (
            f" at {len(fuzzed['places'])} distinct places ("
            + ", ".join(f"{where} ×{n}" for where, n in sorted(fuzzed["places"].items())[:12])
            + (", …" if len(fuzzed["places"]) > 12 else "")
            + ")."
            if fuzzed["places"]
            else "."
        ),
        "",
        "| crafted record | outcome | detail |",
        "|---|---|---|",
    ]
    for what, outcome, detail in fuzzed["crafted"]:
        shown = re.sub(r"/tmp/eg-hostile-[^/]+/\w+/", "", detail).replace("|", "\\|")
        lines.append(f"| {what} | {outcome} | {shown[:140]} |")
    lines += [
        "",
        f"Skip mode, 250 good studies and one bad (`--on-invalid skip`): exit {skip['code']}, "
        f"**{skip['imported']} record(s) imported**; last line on stderr: "
        f"`{skip['last'].replace('`', '')[:160]}`",
        "",
        *_mapping_lines(skip["mapping"]),
        "| input | size on disk | exit | peak RSS MiB | vs baseline | wall s | last line, stderr |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    base = bomb["baseline"]["peak_mib"]
    lines.append(
        f"| baseline: `import ctgov tests/data/ctgov --on-invalid skip` | — | "
        f"{bomb['baseline']['code']} | {base:,.0f} | 1.0× | {bomb['baseline']['wall']:.1f} | |"
    )
    for key, what in (
        ("zip", f"ZIP, one member: a study with a {args.zip_mib:,} MiB title"),
        ("zip-under", f"ZIP, one member: a study with a {args.zip_under_mib:,} MiB title"),
        ("gz", f".xml.gz, one article with a {args.gz_mib:,} MiB title"),
    ):
        if key not in bomb:
            continue
        row = bomb[key]
        last = _last_line(row).replace("|", "\\|").replace("`", "")
        lines.append(
            f"| {what} | {row['size'] / 1e6:.2f} MB | {row['code']} | {row['peak_mib']:,.0f} | "
            f"{row['peak_mib'] / base:.1f}× | {row['wall']:.1f} | {last[:150]} |"
        )
    # the run's temporary directory says nothing to a reader
    return re.sub(r"/tmp/eg-hostile-[^/ ]+/(\w+/)?", "", "\n".join(lines)) + "\n"


def _mapping_lines(cost: dict[str, float]) -> list[str]:
    if "check" not in cost:
        return [f"`map_study`: {cost['with']:.2f} ms a study (250 synthetic studies).", ""]
    share = cost["check"] / cost["without"] * 100
    return [
        f"`map_study`: {cost['with']:.2f} ms a study with the shape check, "
        f"{cost['without']:.2f} ms with the check replaced by nothing; the check alone "
        f"{cost['check']:.3f} ms ({share:.0f}% of the mapping it guards; 250 synthetic "
        "studies, best of 5).",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="the report section's name")
    parser.add_argument("--cases", type=int, default=600)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--zip-mib", type=int, default=1024, help="the ZIP member's title")
    parser.add_argument("--gz-mib", type=int, default=512, help="the article's title")
    parser.add_argument(
        "--zip-under-mib", type=int, default=0, help="also a ZIP member under the member limit"
    )
    parser.add_argument("--write", type=Path, help="replace this label's section of this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eg-hostile-") as temporary:
        work = Path(temporary)
        fuzzed = fuzz(work, args.seed, args.cases)
        print(fuzzed["outcomes"], fuzzed["places"], flush=True)
        skip = skip_mode(work)
        print(skip, flush=True)
        bomb = bombs(work, args.zip_mib, args.gz_mib, args.zip_under_mib)
        print({k: {"code": v["code"], "peak": v["peak_mib"]} for k, v in bomb.items()})
    report = render(args.label, args, fuzzed, skip, bomb)
    print(report)
    if args.write:
        begin, end = f"<!-- hostile-{args.label}:begin -->", f"<!-- hostile-{args.label}:end -->"
        replace_section(args.write, begin, end, f"{begin}\n{report}{end}")


if __name__ == "__main__":
    main()
