"""``coachstats power ...``: plan a design from the command line.

::

    coachstats power mdes cra2 J=20 n=15 icc=0.17
    coachstats power power cra2 --es 0.3 J=40 n=8 icc=0.1
    coachstats power sample-size cra2 --es 0.25 n=4 icc=0.2
    coachstats power allocate --budget 200000 --cost-cluster 3000 --cost-person 100 --icc 0.15
    coachstats power simulate engagement_panel --grid n_managers=60,120 \\
        --grid effect=0,0.1,0.2 --reps 200 --workers 2 --plot power.png
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from typing import Any


def _value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _pairs(items: Sequence[str], what: str) -> dict[str, Any]:
    out = {}
    for it in items:
        if "=" not in it:
            raise SystemExit(f"coachstats power: {what} {it!r} must look like name=value.")
        k, v = it.split("=", 1)
        out[k.strip()] = _value(v.strip())
    return out


def _grid(items: Sequence[str]) -> dict[str, list[Any]]:
    out = {}
    for it in items:
        if "=" not in it:
            raise SystemExit(f"coachstats power: --grid {it!r} must look like name=v1,v2,...")
        k, v = it.split("=", 1)
        out[k.strip()] = [_value(x.strip()) for x in v.split(",") if x.strip()]
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="coachstats power", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="what", required=True)

    def common(sp: argparse.ArgumentParser, design: bool = True) -> None:
        if design:
            sp.add_argument("design",
                            help="ira, bira2c1, bira2f1, bira2r1, cra2, cra3, paired, did")
            sp.add_argument("params", nargs="*", help="design parameters as name=value")
        sp.add_argument("--alpha", type=float, default=0.05)
        sp.add_argument("--one-tailed", action="store_true")

    m = sub.add_parser("mdes", help="minimum detectable effect size of a design")
    common(m)
    m.add_argument("--power", type=float, default=0.80)
    w = sub.add_parser("power", help="power to detect an effect")
    common(w)
    w.add_argument("--es", type=float, required=True, help="true effect in outcome SDs")
    s = sub.add_parser("sample-size", help="smallest n, J or K detecting an effect")
    common(s)
    s.add_argument("--es", type=float, required=True)
    s.add_argument("--power", type=float, default=0.80)
    s.add_argument("--solve-for", default=None, help="n, J or K (default: the one left out)")
    a = sub.add_parser("allocate", help="managers x employees with the smallest MDES for a "
                       "budget (Raudenbush 1997)")
    common(a, design=False)
    a.add_argument("--power", type=float, default=0.80)
    a.add_argument("--budget", type=float, required=True)
    a.add_argument("--cost-cluster", type=float, required=True, help="cost per manager")
    a.add_argument("--cost-person", type=float, required=True, help="cost per employee")
    a.add_argument("--icc", type=float, required=True)
    a.add_argument("--r2", type=float, default=0.0)
    a.add_argument("--r2-2", type=float, default=0.0)
    si = sub.add_parser("simulate", help="simulated power of a scenario over a grid")
    si.add_argument("scenario", help="cluster_trial, wave_panel or engagement_panel")
    si.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                    help="design parameter and its values (repeatable)")
    si.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="fixed generator argument (repeatable)")
    si.add_argument("--reps", type=int, default=200)
    si.add_argument("--alpha", type=float, default=0.05)
    si.add_argument("--seed", type=int, default=1)
    si.add_argument("--target", type=float, default=0.80, help="power for the smallest effect")
    si.add_argument("--workers", type=int, default=None, help="start a local Dask cluster")
    si.add_argument("--scheduler", default=None, metavar="ADDRESS",
                    help="run on an existing Dask scheduler (tcp://host:8786)")
    si.add_argument("--jobs", type=int, default=1, help="local processes without Dask")
    si.add_argument("--progress", action="store_true", help="print replicates done")
    si.add_argument("--out", default=None, help="write the power table as CSV")
    si.add_argument("--plot", default=None, help="write the power curve as PNG")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from . import closed_form, scenarios
    from .allocation import optimal_allocation

    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # name=value parameters may follow options (argparse stops the positional list there)
    bad = [e for e in extra if e.startswith("-") or "=" not in e or not hasattr(args, "params")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)}")
    if extra:
        args.params = [*args.params, *extra]
    tails = {"two_tailed": not getattr(args, "one_tailed", False)}
    try:
        if args.what == "mdes":
            res: Any = closed_form.mdes(args.design, alpha=args.alpha, power=args.power,
                                        **tails, **_pairs(args.params, "parameter"))
        elif args.what == "power":
            res = closed_form.power_at(args.design, args.es, alpha=args.alpha, **tails,
                                       **_pairs(args.params, "parameter"))
        elif args.what == "sample-size":
            res = closed_form.sample_size(args.design, args.es, solve_for=args.solve_for,
                                          alpha=args.alpha, power=args.power, **tails,
                                          **_pairs(args.params, "parameter"))
        elif args.what == "allocate":
            res = optimal_allocation(args.budget, cost_cluster=args.cost_cluster,
                                     cost_person=args.cost_person, icc=args.icc, r2=args.r2,
                                     r2_2=args.r2_2, alpha=args.alpha, power=args.power,
                                     **tails)
        else:
            return _simulate(args, scenarios)
    except (ValueError, TypeError) as exc:
        print(f"coachstats power: {exc}", file=sys.stderr)
        return 2
    print(res.summary())
    return 0


def _simulate(args: argparse.Namespace, scenarios: Any) -> int:
    from ..validate.executor import cluster_client
    from .simulation import simulate

    if args.scenario not in scenarios.SCENARIOS:
        print(f"coachstats power: unknown scenario {args.scenario!r}; choose one of "
              f"{', '.join(scenarios.SCENARIOS)}.", file=sys.stderr)
        return 2
    if args.workers is not None and args.scheduler is not None:
        print("coachstats power: give --workers or --scheduler, not both.", file=sys.stderr)
        return 2
    gen, est, _ = scenarios.SCENARIOS[args.scenario]
    grid = _grid(args.grid) or {"effect": [0.0, 0.1, 0.2, 0.3]}
    with cluster_client(args.workers, args.scheduler) as client:
        res = simulate(gen, est, grid=grid, fixed=_pairs(args.set, "--set"),
                       n_reps=args.reps, alpha=args.alpha, rng=args.seed, executor=client,
                       n_jobs=args.jobs, progress=args.progress)
    print(res.summary())
    if "effect" in grid:
        print(f"\nSmallest effect with {args.target:.0%} power:")
        print(res.smallest_effect(args.target).to_string(index=False))
    if args.out:
        res.to_frame().to_csv(args.out, index=False)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = res.plot(target=args.target)
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
    return 0
