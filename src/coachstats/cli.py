"""Command-line interface: ``coachstats simulate | validate | report | demo | init | power``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

#: seed of each bundled dataset in data/synthetic/ (``make data`` regenerates them)
BUNDLED_SEEDS: dict[str, int] = {
    "meta_correlations": 20180226,
    "engagement_panel": 2024,
    "roi_program": 189,
    "pre_post_360": 360,
    "retention": 42,
    "hire_performance": 2009,
}


def _cmd_simulate(args: argparse.Namespace) -> int:
    from . import simulate

    kinds = list(simulate.GENERATORS) if args.kind == "all" else [args.kind]
    for kind in kinds:
        if kind not in simulate.GENERATORS:
            print(
                f"unknown kind {kind!r}; choose one of: all, {', '.join(simulate.GENERATORS)}",
                file=sys.stderr,
            )
            return 2
        seed = args.seed if args.seed is not None else BUNDLED_SEEDS[kind]
        sim = getattr(simulate, kind)(rng=seed)
        csv, js = sim.write(args.out, kind)
        print(f"{kind}: {len(sim.data):,} rows -> {csv} (truth: {js})")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .validate import recovery
    from .validate.checks import all_checks
    from .validate.executor import cluster_client

    checks = all_checks()
    names = args.names or sorted(checks)
    unknown = [n for n in names if n not in checks]
    if unknown:
        print(
            f"unknown check(s) {unknown}; available: {', '.join(sorted(checks))}", file=sys.stderr
        )
        return 2
    from .report.progress import Progress, ProgressExecutor, wanted

    quiet = getattr(args, "quiet", False)
    with cluster_client(args.workers, args.scheduler) as client, \
            Progress(False if quiet else wanted(None)) as bar:
        overall = bar.task("checks", total=len(names))
        for name in names:
            c = checks[name]
            n_reps = args.reps or c.default_reps
            task = bar.task(f"{name}: replications", total=n_reps)
            res = recovery(
                c.estimate_fn,
                c.generate_fn,
                truth=c.truth,
                n_reps=n_reps,
                rng=args.seed,
                executor=client if client is not None
                else ProgressExecutor(args.jobs, lambda t=task: bar.advance(t)),
            )
            bar.remove(task)
            bar.advance(overall)
            print(f"\n{name}: {c.description}")
            print(res.summary(), flush=True)
    return 0


def _cmd_power(args: argparse.Namespace) -> int:
    from .power._cli import main as power_main

    return power_main(args.power_args)


def _cmd_report(args: argparse.Namespace) -> int:
    from .report.cli import cli_report

    return cli_report(args)


def _cmd_demo(args: argparse.Namespace) -> int:
    from .report.cli import run_demo

    return run_demo(Path(args.out), quick=args.quick, quiet=args.quiet, pdf=args.pdf)


def _output_flags(p: argparse.ArgumentParser) -> None:
    """--pdf and --quiet of the commands that write reports."""
    p.add_argument("--pdf", action="store_true",
                   help="also write a PDF next to each HTML report (needs headless Chromium)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bars and no file list; only warnings and errors")


def _cmd_init(args: argparse.Namespace) -> int:
    from .prepare.init_study import init_study

    try:
        spec, shown = init_study(args.file, args.kind, args.out, sheet=args.sheet,
                                 force=args.force)
    except (ValueError, TypeError, OSError) as e:
        print(f"coachstats init: {e}", file=sys.stderr)
        return 2
    print(shown)
    print(f"wrote {spec} and {spec.parent / 'README.md'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coachstats", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("simulate", help="write a synthetic dataset and its truth.json")
    s.add_argument("kind", help="generator name, or 'all'")
    s.add_argument("--seed", type=int, default=None, help="seed (default: the bundled one)")
    s.add_argument("--out", default="data/synthetic", help="output directory")
    s.set_defaults(func=_cmd_simulate)

    v = sub.add_parser("validate", help="recovery study: bias, RMSE, coverage over many seeds")
    v.add_argument("names", nargs="*", help="checks to run (default: all)")
    v.add_argument("--reps", type=int, default=None, help="replicates per check")
    v.add_argument("--seed", type=int, default=1)
    v.add_argument("--jobs", type=int, default=1, help="local worker processes")
    v.add_argument("--quiet", action="store_true", help="no progress bars")
    v.add_argument("--workers", type=int, default=None, help="start a local Dask cluster")
    v.add_argument("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler")
    v.set_defaults(func=_cmd_validate)

    r = sub.add_parser("report", help="render a study's HTML evidence report")
    r.add_argument("study", help="path to study.toml")
    r.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="use FILE for the study's data entry NAME (repeatable; just FILE when the study "
        "has one data entry)",
    )
    r.add_argument("--out", required=True, help="output HTML path")
    r.add_argument("--seed", type=int, default=None, help="override the study's seed")
    r.add_argument(
        "--min-group-size",
        type=int,
        default=None,
        metavar="N",
        help="privacy threshold: smallest group reported (default: the study's, usually 5; "
        "at least 3)",
    )
    r.add_argument(
        "--quick",
        action="store_true",
        help="use the study's quick_args (e.g. fewer posterior draws) to check rendering",
    )
    _output_flags(r)
    r.set_defaults(func=_cmd_report)

    d = sub.add_parser("demo", help="run every study on the bundled synthetic data")
    d.add_argument("--out", default="reports")
    d.add_argument("--quick", action="store_true", help="use each study's quick_args")
    _output_flags(d)
    d.set_defaults(func=_cmd_demo)

    i = sub.add_parser("init", help="write a commented study.toml for your own data file")
    i.add_argument("file", help="your export (.csv, .tsv, .txt, .xlsx)")
    i.add_argument("--kind", required=True,
                   choices=["did", "roi", "retention", "meta", "variance", "pre_post"])
    i.add_argument("--out", required=True, help="folder for study.toml and README.md")
    i.add_argument("--sheet", default=None, help="worksheet of an .xlsx file")
    i.add_argument("--force", action="store_true", help="overwrite an existing study.toml")
    i.set_defaults(func=_cmd_init)

    w = sub.add_parser("power", help="plan a design: MDES, power, sample size, budget "
                       "allocation, simulated power (see 'coachstats power -h')", add_help=False)
    w.add_argument("power_args", nargs=argparse.REMAINDER)
    w.set_defaults(func=_cmd_power)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["power"]:  # its own parser (options such as -h belong to it)
        from .power._cli import main as power_main

        return power_main(argv[1:])
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)
