"""One endpoint under load in two configurations of DBooster at once, measured in alternating rounds.

`bench/api/run.py` gives each endpoint's ratio to the bare view; on this shared 2-core machine one run's figure
moves by 10-20% from one minute to the next (the host's steal, the other tenants), so a change smaller than that
cannot be seen by comparing two runs. This runs both configurations side by side (two gunicorns, 3 sync workers
each, the same database and seed), loads one, then the other, round after round (A B, B A, A B, ...), and prints
each round's B/A ratio and their median: both sides of a ratio are measured a few seconds apart.

B is A with environment variables changed (`--set NAME=VALUE`, repeatable: a setting, a rate limit, PGOPTIONS),
or the code of another commit (`--ref COMMIT`, checked out in a temporary git worktree, run with this checkout's
virtualenv on the same database: give it a commit with the same migrations).

    .venv/bin/python bench/api/ab.py --set RATE_LIMIT_OPTIMIZE_ACCOUNT= --set RATE_LIMIT_OPTIMIZE_ADDRESS=
    .venv/bin/python bench/api/ab.py --ref HEAD~1 --rounds 10
    .venv/bin/python bench/api/ab.py --path /users/me --set SIGN_IN_CACHE=false
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.api.run import (  # noqa: E402
    ENDPOINTS,
    ROOT,
    answers_ok,
    gunicorn,
    measured,
    prepare_database,
    production_environment,
    request_for,
)


@contextmanager
def worktree(ref: str):
    """`ref` checked out in a temporary directory (removed afterwards)."""
    with tempfile.TemporaryDirectory(prefix="dbooster-ab-") as parent:
        path = Path(parent) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(path), ref], cwd=ROOT, check=True)
        try:
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)


def variant_b(args, env: dict, stack: ExitStack) -> tuple[dict, Path]:
    """B's environment and the directory its code runs from."""
    env_b = dict(env)
    for assignment in args.set or []:
        name, sep, value = assignment.partition("=")
        if not sep or not name:
            raise SystemExit(f"--set takes NAME=VALUE, not {assignment!r}")
        env_b[name] = value
    if not args.ref:
        return env_b, ROOT
    tree = stack.enter_context(worktree(args.ref))
    # The same embedded server and database as A (a worktree would otherwise start its own under its var/).
    env_b.setdefault("EMBEDDED_PGDATA", str(ROOT / "var" / "pgdata"))
    return env_b, tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/query/optimize", help="the endpoint (a path of bench/api/run.py)")
    parser.add_argument("--set", action="append", metavar="NAME=VALUE", help="B's environment differs by this")
    parser.add_argument("--ref", help="B runs this commit's code (same migrations as the checkout)")
    parser.add_argument("--rounds", type=int, default=8, help="rounds, each loading A and B once (default 8)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per measure (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before each (default 2)")
    args = parser.parse_args()
    methods = {path: method for _label, path, method in ENDPOINTS}
    if args.path not in methods:
        parser.error(f"--path names no endpoint of {sorted(methods)}")
    if not args.set and not args.ref:
        parser.error("give B a difference: --set NAME=VALUE or --ref COMMIT")

    env = production_environment()
    seeded = prepare_database(env)
    path, token, body = request_for(args.path, methods[args.path], seeded)
    rps = {"A": [], "B": []}
    with ExitStack() as stack:
        env_b, code_b = variant_b(args, env, stack)
        bases = {
            "A": stack.enter_context(gunicorn("dbooster.wsgi:application", env, "/health")),
            "B": stack.enter_context(gunicorn("dbooster.wsgi:application", env_b, "/health", cwd=code_b)),
        }
        for base in bases.values():
            answers_ok(base + path, token=token, body=body)
        print(f"{args.path}: {args.rounds} rounds of {args.duration} s per side (after {args.warmup} s of warm-up)")
        for round_number in range(args.rounds):
            for side in ("A", "B") if round_number % 2 == 0 else ("B", "A"):
                figures = measured(bases[side] + path, args.duration, args.warmup, token=token, body=body)
                if figures["errors"]:
                    raise SystemExit(f"{side} answered {figures['errors']} errors in round {round_number + 1}")
                rps[side].append(figures["rps"])
            print(f"  round {round_number + 1}: A {rps['A'][-1]:.0f} req/s, B {rps['B'][-1]:.0f} req/s", flush=True)
    ratios = [b / a for a, b in zip(rps["A"], rps["B"], strict=True)]
    print(f"A median {statistics.median(rps['A']):.0f} req/s, B median {statistics.median(rps['B']):.0f} req/s")
    print(f"B/A by round: {', '.join(f'{r:.2f}' for r in ratios)}")
    print(f"B/A median {statistics.median(ratios):.3f}; B ahead in {sum(r > 1 for r in ratios)} of {len(ratios)}")


if __name__ == "__main__":
    main()
