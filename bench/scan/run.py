"""Scan benchmark: the extraction engine the worker uses against ripgrep on the same tree.

    .venv/bin/python bench/scan/run.py                   # 22,000 files, ~110 MB (generated once, reused)
    .venv/bin/python bench/scan/run.py --sql-share 0.3   # the same size, three times as much SQL in code
    .venv/bin/python bench/scan/run.py --files 2000      # small, while developing
    .venv/bin/python bench/scan/run.py --corpora         # each real archive of shared/corpora instead

Generates a tree of Python, JavaScript, TypeScript, Go, Java, Ruby and SQL files with SQL scattered
through it (under var/, reused when present). On a warm page cache it then runs, --repeat times and
interleaved, `rg -c -i -j <cores> "select|insert|update|delete"` and `scan_tree` with one worker per
core, each in its own process, and prints the medians of both figures for both: wall seconds and CPU
seconds. CPU is what the process and its helpers used, read from the kernel's accounting (wait4 for
ripgrep; for the scan, its process and its warm extraction pool before and after the scan, as a scan
worker keeps that pool between scans), so a loaded machine does not distort it the way it distorts
wall time; pool processes are read from the scheduler's nanosecond counters (/proc/<pid>/schedstat),
not 10 ms ticks. Also printed: files/s, MB/s, and peak memory (the scan process plus the forkserver
and pool workers, sampled from outside); with --corpora, each archive's rejected candidates by reason.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from repositories.extraction import scan_tree  # noqa: E402
from repositories.extraction.engine import close_shared_pools, warm_pool  # noqa: E402

DEFAULT_DIR = ROOT / "var" / "bench-scan"  # the tree goes beside it, named by size and SQL share

# Query shapes; table and column names are drawn per use, so almost every query text is distinct
# (a per-process cache of analyses must not make the benchmark easier than a real code base).
QUERIES = [
    "SELECT id, {c1}, {c2} FROM {t1} WHERE {c3} = {p} AND active",
    "UPDATE {t1} SET {c1} = now() WHERE id = {p}",
    "INSERT INTO {t1} ({c1}, {c2}) VALUES ({p}, {p})",
    "DELETE FROM {t1} WHERE {c1} < now() - interval '{n} days'",
    "SELECT a.id, a.{c1} FROM {t1} a JOIN {t2} b ON b.{t1}_id = a.id WHERE b.{c2} = {p} ORDER BY a.{c3} LIMIT {n}",
    "SELECT count(*) FROM {t1} WHERE {c1} IS NULL AND {c2} = {p}",
    "WITH recent AS (SELECT * FROM {t1} WHERE {c1} > now() - interval '{n} hours') "
    "SELECT {c2}, count(*) FROM recent GROUP BY {c2}",
]
WORDS = "account order customer invoice payment session token profile report widget cache queue item".split()
COLUMNS = "created_at updated_at status email name total amount kind owner_id region score label".split()


def random_query(rng: random.Random) -> str:
    t1, t2 = (f"{rng.choice(WORDS)}_{rng.randrange(40)}" for _ in range(2))
    c1, c2, c3 = rng.sample(COLUMNS, 3)
    return rng.choice(QUERIES).format(t1=t1, t2=t2, c1=c1, c2=c2, c3=c3, n=rng.randrange(1, 500), p="{p}")


def filler_function(rng: random.Random, language: str, index: int) -> str:
    """Ordinary code: loops, conditions, names that contain 'update' or 'delete' now and then."""
    a, b = rng.sample(WORDS, 2)
    verb = rng.choice(["get", "update", "compute", "delete", "load", "select", "render"])
    if language == "python":
        return (
            f"def {verb}_{a}_{index}({b}, limit=10):\n"
            f'    """Return the {a} for the given {b}."""\n'
            f"    result = []\n    for i, value in enumerate({b}.{a}s):\n"
            f"        if value.score > limit and i % 3:\n            result.append(value.name.lower())\n"
            f"    total = sum(len(x) for x in result)\n    return {{'{a}': result, 'total': total}}\n\n"
        )
    if language in ("javascript", "typescript"):
        return (
            f"export function {verb}{a.title()}{index}({b}, limit = 10) {{\n"
            f"  const result = [];\n  for (const value of {b}.{a}s) {{\n"
            f"    if (value.score > limit) {{ result.push(value.name.toLowerCase()); }}\n  }}\n"
            f"  return {{ {a}: result, total: result.length }};\n}}\n\n"
        )
    if language == "go":
        return (
            f"func {verb.title()}{a.title()}{index}(items []{b.title()}, limit int) []string {{\n"
            f"\tresult := make([]string, 0, len(items))\n\tfor _, v := range items {{\n"
            f"\t\tif v.Score > limit {{\n\t\t\tresult = append(result, v.Name)\n\t\t}}\n\t}}\n\treturn result\n}}\n\n"
        )
    if language == "java":
        return (
            f"    public List<String> {verb}{a.title()}{index}(List<{b.title()}> items, int limit) {{\n"
            f"        List<String> result = new ArrayList<>();\n        for ({b.title()} v : items) {{\n"
            f"            if (v.getScore() > limit) {{ result.add(v.getName()); }}\n        }}\n"
            f"        return result;\n    }}\n\n"
        )
    if language == "ruby":
        return (
            f"  def {verb}_{a}_{index}({b}, limit = 10)\n"
            f"    {b}.{a}s.select {{ |v| v.score > limit }}.map(&:name)\n  end\n\n"
        )
    return f"-- {a} {b} {index}\n"


def sql_use(rng: random.Random, language: str, index: int) -> str:
    query = random_query(rng)
    if language == "python":
        return f'def query_{index}(cur, p):\n    cur.execute("{query.replace("{p}", "%s")}", (p,))\n\n'
    if language in ("javascript", "typescript"):
        sql = query.replace("{p}", "$1").replace("'", "\\'")
        return f"export const q{index} = (pool, p) => pool.query('{sql}', [p]);\n\n"
    if language == "go":
        return f"const q{index} = `{query.replace('{p}', '$1')}`\n\n"
    if language == "java":
        return f'    private static final String Q{index} = "{query.replace("{p}", "?")}";\n\n'
    if language == "ruby":
        return f"  def q{index}\n    find_by_sql(<<~SQL)\n      {query.replace('{p}', '1')}\n    SQL\n  end\n\n"
    return query.replace("{p}", "$1") + ";\n\n"


EXTENSIONS = {"python": ".py", "javascript": ".js", "typescript": ".ts", "go": ".go", "java": ".java", "ruby": ".rb"}


def write_file(path: Path, rng: random.Random, language: str, target_bytes: int, with_sql: bool) -> int:
    parts, size, index = [], 0, 0
    header = {
        "go": "package store\n\n",
        "java": "package com.acme;\n\npublic class Store {\n",
        "ruby": "class Store\n",
    }.get(language, "")
    parts.append(header)
    while size < target_bytes:
        if with_sql and rng.random() < 0.15:
            chunk = sql_use(rng, language, index)
        else:
            chunk = filler_function(rng, language, index)
        parts.append(chunk)
        size += len(chunk)
        index += 1
    parts.append({"java": "}\n", "ruby": "end\n"}.get(language, ""))
    data = "".join(parts)
    path.write_text(data)
    return len(data)


def generate(directory: Path, files: int, average_bytes: int, sql_share: float) -> dict:
    stamp = directory / ".generated.json"
    wanted = {"files": files, "average_bytes": average_bytes, "sql_share": sql_share, "version": 3}
    if stamp.exists() and json.loads(stamp.read_text()) == wanted:
        return wanted
    if directory.exists():
        shutil.rmtree(directory)
    rng = random.Random(7)
    languages = list(EXTENSIONS)
    total = 0
    for i in range(files):
        language = languages[i % len(languages)] if i % 50 else "sql"
        folder = directory / f"service{i % 40}" / f"module{(i // 40) % 25}"
        folder.mkdir(parents=True, exist_ok=True)
        extension = EXTENSIONS.get(language, ".sql")
        with_sql = language == "sql" or rng.random() < sql_share
        total += write_file(
            folder / f"file{i}{extension}",
            rng,
            language,
            rng.randint(average_bytes // 2, average_bytes * 3 // 2),
            with_sql,
        )
    stamp.write_text(json.dumps(wanted))
    return wanted


def tree_size(directory: Path) -> tuple[int, int]:
    count = size = 0
    for base, _, names in os.walk(directory):
        for name in names:
            if not name.startswith("."):
                count += 1
                size += os.path.getsize(os.path.join(base, name))
    return count, size


class MemorySampler(threading.Thread):
    """Peak resident memory of one process and all its descendants, sampled every 100 ms.

    It runs in the benchmark's own process, never in the measured one, so sampling costs the
    scan no CPU time.
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peak_single = 0
        self.running = True

    def run(self):
        try:
            import psutil
        except ImportError:
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while self.running:
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                break
            for process in processes:
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                self.peak_single = max(self.peak_single, rss)
            self.peak_total = max(self.peak_total, total)
            time.sleep(0.1)


def _cpu_seconds(usage) -> float:
    return usage.ru_utime + usage.ru_stime


def _process_cpu_seconds(process) -> float:
    """CPU seconds of one live process. The kernel's scheduler statistics count nanoseconds; the
    user and system times of /proc/<pid>/stat count 10 ms ticks, too coarse for a scan of a small
    tree that takes a few ticks per process (a difference of two readings is off by up to a tick each)."""
    try:
        with open(f"/proc/{process.pid}/schedstat") as stats:
            return int(stats.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return sum(process.cpu_times()[:2])


def _tree_cpu_seconds(own_first: bool) -> float:
    """CPU seconds of this process and every live descendant (the shared pool's workers).

    Listing the descendants costs this process a few milliseconds: read its own time after the
    listing before the scan (`own_first=False`) and before it after the scan, so that the
    measurement is not counted as the scan's."""
    import psutil

    me = psutil.Process()
    own = _process_cpu_seconds(me) if own_first else 0.0
    total = 0.0
    for child in me.children(recursive=True):
        try:
            total += _process_cpu_seconds(child)
        except psutil.Error:
            continue
    return total + (own if own_first else _process_cpu_seconds(me))


def reason_kind(reason: str) -> str:
    """A rejection reason without its particulars (the parser's message, a line number)."""
    return reason.split(":", 1)[0].split(" (", 1)[0]


def scan_child(directory: str, workers: int) -> None:
    """Run one scan in this (fresh) process and print its wall and CPU seconds as JSON.

    The extraction pool is started and warmed first, as a scan worker keeps it between scans; the
    scan's CPU is then this process's plus the pool processes', read from the kernel (psutil) before
    and after the scan, the same accounting ripgrep gets (resource usage of its process).
    """
    found = {"occurrences": 0, "rejected": 0, "reasons": {}}
    reasons = found["reasons"]

    def on_results(chunk):
        for result in chunk.results:
            found["occurrences"] += len(result.occurrences)
            found["rejected"] += len(result.rejected)
            for rejected in result.rejected:
                kind = reason_kind(rejected.reason)
                reasons[kind] = reasons.get(kind, 0) + 1

    if workers:
        warm_pool(workers)
    cpu_before = _tree_cpu_seconds(own_first=False)
    own_before = _cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    start = time.perf_counter()
    totals = scan_tree(directory, on_results=on_results, workers=workers)
    wall = time.perf_counter() - start
    cpu_self = _cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - own_before
    cpu = _tree_cpu_seconds(own_first=True) - cpu_before
    figures = {"wall": wall, "cpu": cpu, "cpu_self": cpu_self, "cpu_pool": cpu - cpu_self}
    figures.update(files=totals.files, bytes=totals.bytes, **found)
    figures["own_peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    close_shared_pools()
    _stop_forkserver()
    print(json.dumps(figures), flush=True)


def _stop_forkserver() -> None:
    """multiprocessing keeps its forkserver for the process's lifetime; it holds our stdout open."""
    import multiprocessing.forkserver

    stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def run_measured(command: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds (the process and its reaped descendants), peak memory, stdout."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout)
    sampler = MemorySampler(process.pid)
    sampler.start()
    output = process.stdout.read().decode() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.running = False
    sampler.join()
    if process.returncode not in (0, 1):  # rg answers 1 when nothing matched
        raise SystemExit(f"{command[0]} failed with {process.returncode}")
    return wall, _cpu_seconds(usage), sampler.peak_total, output


def time_ripgrep(directory: Path, threads: int) -> tuple[float, float]:
    """Wall and CPU seconds of one ripgrep run over the tree, on every core."""
    rg = shutil.which("rg") or "/usr/bin/rg"
    command = [rg, "-c", "-i", "-j", str(threads), "select|insert|update|delete", str(directory)]
    wall, cpu, _, _ = run_measured(command)
    return wall, cpu


def time_scan(directory: Path, workers: int) -> dict:
    """One scan in a fresh process: wall and CPU as measured inside it, peak memory from outside.

    Interpreter start-up and imports are left out (a scan worker has them already); starting the
    process pool is counted, since every scan pays it.
    """
    command = [sys.executable, __file__, "--scan-child", str(directory), "--workers", str(workers)]
    _, _, peak, output = run_measured(command, stdout=subprocess.PIPE)
    figures = json.loads(output)
    figures["peak_total"] = peak
    return figures


CORPORA = ROOT.parent / "shared" / "corpora"
if not CORPORA.exists():  # the work tree lives beside shared/
    CORPORA = ROOT.parents[1] / "shared" / "corpora"
if not CORPORA.exists():
    CORPORA = Path("/work/shared/corpora")


def unpack_corpora(corpora: Path, into: Path) -> list[Path]:
    """Each archive of the corpora unpacked once under `into` (reused when present)."""
    trees = []
    for archive in sorted(corpora.glob("*.tar.gz")):
        name = archive.name.removesuffix(".tar.gz")
        target = into / name
        if not (target / name).is_dir():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            subprocess.run(["tar", "-xzf", str(archive), "-C", str(target)], check=True)
        trees.append(target / name)
    return trees


def bench_corpora(corpora: Path, workers: int, repeat: int) -> None:
    """Per archive: the scan and ripgrep on the same unpacked tree, interleaved, medians of each."""
    trees = unpack_corpora(corpora, DEFAULT_DIR.with_name("bench-corpora"))
    print(f"corpora: {corpora} ({len(trees)} archives); {workers} scan processes and {workers} ripgrep threads")
    header = (
        f"{'archive':40} {'files':>6} {'MB':>6} {'queries':>7} {'rejected':>8} {'scan CPU s':>10} {'rg CPU s':>8} "
        f"{'CPU x':>6} {'scan wall s':>11} {'rg wall s':>9} {'peak MB':>7}"
    )
    print(header)
    worst = 0.0
    for tree in trees:
        time_ripgrep(tree, workers)  # warm the page cache
        rg_runs, scan_runs = [], []
        for _ in range(repeat):
            rg_runs.append(time_ripgrep(tree, workers))
            scan_runs.append(time_scan(tree, workers))
        rg_wall = statistics.median(wall for wall, _ in rg_runs)
        rg_cpu = statistics.median(cpu for _, cpu in rg_runs)
        scan_wall = statistics.median(run["wall"] for run in scan_runs)
        scan_cpu = statistics.median(run["cpu"] for run in scan_runs)
        peak = max(run["peak_total"] for run in scan_runs)
        last = scan_runs[-1]
        ratio = scan_cpu / max(rg_cpu, 1e-3)
        worst = max(worst, ratio)
        print(
            f"{tree.name:40} {last['files']:>6} {last['bytes'] / 1e6:>6.1f} {last['occurrences']:>7} "
            f"{last['rejected']:>8} {scan_cpu:>10.2f} {rg_cpu:>8.2f} {ratio:>6.1f} {scan_wall:>11.2f} "
            f"{rg_wall:>9.2f} {peak / 1e6:>7.0f}"
        )
        if last["reasons"]:
            kinds = sorted(last["reasons"].items(), key=lambda item: -item[1])
            print("    rejected: " + "; ".join(f"{count} {kind}" for kind, count in kinds))
    print(f"worst CPU ratio scan / ripgrep: {worst:.1f}x (target: within 10x on every archive)")
    print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=22_000)
    parser.add_argument("--average-bytes", type=int, default=5_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, interleaved; medians are reported")
    parser.add_argument(
        "--sql-share",
        type=float,
        default=0.1,
        help="share of code files that hold SQL (default 0.1; .sql files always)",
    )
    parser.add_argument("--scan-child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--corpora",
        nargs="?",
        type=Path,
        const=CORPORA,
        default=None,
        help="time each real archive of this folder (default: shared/corpora) instead of a generated tree",
    )
    args = parser.parse_args()
    if args.scan_child:
        scan_child(str(args.scan_child), args.workers)
        return
    if args.corpora:
        bench_corpora(args.corpora, args.workers, args.repeat)
        return
    name = f"bench-scan-{args.files}-{int(args.sql_share * 100)}"
    directory = args.dir or DEFAULT_DIR.with_name(name)

    started = time.perf_counter()
    generate(directory, args.files, args.average_bytes, args.sql_share)
    files, size = tree_size(directory)
    print(f"tree: {directory} ({files} files, {size / 1e6:.1f} MB; ready in {time.perf_counter() - started:.1f} s)")

    time_ripgrep(directory, args.workers)  # warms the page cache: neither side reads from disk
    rg_runs, scan_runs = [], []
    for _ in range(args.repeat):
        rg_runs.append(time_ripgrep(directory, args.workers))
        scan_runs.append(time_scan(directory, args.workers))
    rg_wall = statistics.median(wall for wall, _ in rg_runs)
    rg_cpu = statistics.median(cpu for _, cpu in rg_runs)
    scan_wall = statistics.median(run["wall"] for run in scan_runs)
    scan_cpu = statistics.median(run["cpu"] for run in scan_runs)
    last = scan_runs[-1]

    print(f"workers: {args.workers} scan processes, {args.workers} ripgrep threads (os.cpu_count() = {os.cpu_count()})")
    print(
        f"scan (median of {args.repeat}): {scan_wall:.2f} s wall, {scan_cpu:.2f} CPU s; "
        f"{last['files'] / scan_wall:,.0f} files/s, {last['bytes'] / 1e6 / scan_wall:.1f} MB/s; "
        f"{last['occurrences']} SQL occurrences, {last['rejected']} rejected candidates"
    )
    print(
        "  runs (wall / CPU of the scan process + pool processes): "
        + ", ".join(f"{run['wall']:.2f} s / {run['cpu_self']:.2f} + {run['cpu_pool']:.2f} CPU s" for run in scan_runs)
    )
    print(
        f"peak memory: {last['peak_total'] / 1e6:.0f} MB over the scan process, forkserver and pool workers "
        f"(the scan process alone: {last['own_peak'] / 1e6:.0f} MB)"
    )
    print(
        f"ripgrep -c -i 'select|insert|update|delete' (median of {args.repeat}): {rg_wall:.3f} s wall, {rg_cpu:.2f} CPU s"
    )
    print("  runs: " + ", ".join(f"{wall:.3f} s / {cpu:.2f} CPU s" for wall, cpu in rg_runs))
    print(
        f"ratio scan / ripgrep: {scan_wall / rg_wall:.1f}x wall time, {scan_cpu / rg_cpu:.1f}x CPU time (target: within 10x)"
    )
    print(f"load average after the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
