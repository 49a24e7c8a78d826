"""Command line: ``inspect``, ``build``, ``score`` (a saved model on new data, issue 14) and ``migrate``
(DESIGN.md §3).

Errors are one line on stderr and a non-zero exit (2 for bad input, 1 for an
internal error), never a traceback; set SEGMENTATION_DEBUG=1 to see one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

from engine.errors import InputError
from engine.formatting import algorithm_label, units


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engine", description="Customer Segmentation Report Builder.")
    sub = p.add_subparsers(dest="command", required=True)

    ins = sub.add_parser("inspect", help="show detected tables, roles, joins and data quality")
    ins.add_argument("paths", nargs="+", metavar="PATH", help="data files or folders")
    ins.add_argument("--project", help="project file whose data.roles / data.sheet apply")

    b = sub.add_parser("build", help="build the PDF report (and other exports)")
    b.add_argument("paths", nargs="*", metavar="PATH", help="data files or folders (overrides data.paths)")
    b.add_argument("--demo", action="store_true", help="use the bundled sample data with default choices")
    b.add_argument("--out", required=True, help="PDF file to write")
    b.add_argument("--project", help="project file (JSON) with the analyst's choices")
    b.add_argument("--detail", help='report detail: "client" (short body and technical appendix, the default) or '
                   '"full" (the long analyst\'s form); overrides report.detail of the project file')
    b.add_argument("--summary", help="write the summary JSON here")
    b.add_argument("--assignments", help="write cluster assignments (CSV) here")
    b.add_argument("--html", help="write the standalone HTML report here")
    b.add_argument("--profiles", help="write the cluster profile table (CSV) here")
    b.add_argument("--charts", metavar="DIR",
                   help="write every chart of the report into this folder as PNG (print resolution) and SVG")
    b.add_argument("--export-project", dest="export_project", help="write the project file that rebuilds this report")
    b.add_argument("--export-model", dest="export_model",
                   help="write the chosen model as a JSON model file (for python -m engine score)")
    b.add_argument("--engine", choices=("local", "spark"),
                   help='where the analysis runs: "local" (this machine, the default) or "spark" (Apache Spark; '
                   'data paths may then be any URI Spark reads); overrides compute.engine of the project file')
    b.add_argument("--spark-master", dest="spark_master", metavar="URL",
                   help='Spark master URL (default compute.spark_master, "local[*]"); implies --engine spark')
    b.add_argument("--quiet", action="store_true", help="print nothing but errors")
    b.add_argument("--progress", action="store_true", help="print progress lines (default when on a terminal)")

    s = sub.add_parser("score", help="place the customers of new data in a saved model's segments")
    s.add_argument("model", metavar="MODEL", help="model file written by build --export-model")
    s.add_argument("paths", nargs="+", metavar="PATH", help="data files or folders to score")
    s.add_argument("--out", required=True, help="CSV file to write (one line per customer)")
    s.add_argument("--as-of", dest="as_of", help="reference date (YYYY-MM-DD); default the day after the last date")
    s.add_argument("--summary", help="write the summary JSON (shares now against at build time) here")
    s.add_argument("--quiet", action="store_true", help="print nothing but errors")

    m = sub.add_parser("migrate", help="score customers at two dates with a saved model and show who moved where")
    m.add_argument("model", metavar="MODEL", help="model file written by build --export-model")
    m.add_argument("paths", nargs="+", metavar="PATH", help="data files or folders")
    m.add_argument("--from", dest="start", required=True, metavar="DATE", help="first date (YYYY-MM-DD)")
    m.add_argument("--to", dest="end", required=True, metavar="DATE", help="second date (YYYY-MM-DD), after --from")
    m.add_argument("--out", help="write the migration table (one line per from -> to flow, CSV) here")
    m.add_argument("--summary", help="write the migration as JSON here")
    m.add_argument("--top", type=int, default=5, help="how many of the biggest flows to print (default 5)")
    return p




def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed one usage line
        return int(exc.code or 0)
    with warnings.catch_warnings():
        if not os.environ.get("SEGMENTATION_DEBUG"):  # last line of defence: no library warning (numpy overflow,
            warnings.simplefilter("ignore")  # ...) reaches the user's terminal; the data's problems are in the report
        commands = {"inspect": _inspect, "build": _build, "score": _score, "migrate": _migrate}
        return run_guarded(lambda: commands[args.command](args))


def run_guarded(work) -> int:
    """Run ``work`` the way every command runs: its exit code, or one line on stderr and 2 (bad input),
    130 (interrupted) or 1 (a bug)."""
    try:
        code = work()
        sys.stdout.flush()  # here, where a closed pipe can be caught (`inspect ... | head -1`)
        return code
    except BrokenPipeError:  # the reader stopped reading: stop quietly, like any command in a pipeline
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        return 141  # 128 + SIGPIPE, what a shell reports for a command ended by a closed pipe
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, unless debugging
        if os.environ.get("SEGMENTATION_DEBUG"):
            raise
        print(
            f"error: internal error ({exc.__class__.__name__}: {' '.join(str(exc).split())[:200]}); "
            "rerun with SEGMENTATION_DEBUG=1 for details.",
            file=sys.stderr,
        )
        return 1


def _load_project(args):
    from engine.project import Project

    return Project.load(args.project) if args.project else Project()


def _inspect(args) -> int:
    from engine.analysis.steps import load
    from engine.loading.inspect import format_inspect

    project = _load_project(args)
    project.data.paths = list(args.paths)
    print(format_inspect(load(project)))
    return 0


def _build(args) -> int:
    from engine.analysis.runner import run_project
    from engine.project import demo_project, resolved_project
    from engine.project_paths import write_output
    from engine.report import exports, render
    from engine.report.worker import RenderPool

    if args.demo and args.paths:
        raise InputError("Use either --demo or data paths, not both.")
    if args.demo:
        project = demo_project()
        if args.project:
            loaded = _load_project(args)
            loaded.data.paths = project.data.paths
            project = loaded
    else:
        project = _load_project(args)
        if args.paths:
            project.data.paths = list(args.paths)
    if args.detail is not None:
        from engine.project import DETAILS

        if args.detail not in DETAILS:
            raise InputError(f"--detail is {args.detail!r}; use {' or '.join(DETAILS)}.")
        project.report.detail = args.detail
    _choose_engine(args, project)
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise InputError(f"--out {args.out} should name a .pdf file.")
    _check_outputs(args, project)  # before the analysis: a bad path costs no waiting

    show_progress = not args.quiet and (args.progress or sys.stderr.isatty())

    def progress(message: str, fraction: float) -> None:
        if show_progress:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    spark_build = None
    # The workers import WeasyPrint and start vl-convert on the other core while this one clusters.
    with RenderPool() as pool:
        if project.compute.engine == "spark":
            from engine.spark.build import run_spark

            spark_build = run_spark(project, progress=progress)
            result = spark_build.result
        else:
            result = run_project(project, progress=progress)
        t0 = time.perf_counter()
        recorded: list = []
        context = render.build_context(result, project.report, chart_renderer=pool.chart_image, charts=recorded)
        result.timings_s["sections"] = round(time.perf_counter() - t0, 3)
        html, pdf = pool.report(context)
        result.timings_s.update(pool.timings)
    model_text = None
    if args.export_model:  # before any file is written: a model that cannot be saved leaves no half-done outputs
        from engine.model import model_json

        model_text = model_json(result)
    write_output(out, pdf)
    if args.html:
        write_output(args.html, html)
    if args.assignments and spark_build is not None:  # written by Spark: the labels never reach this machine
        from engine.spark.outputs import write_assignments

        names = {c: label.name for c, label in result.cluster_labels.items()}
        write_assignments(spark_build.assignments, names, args.assignments)
    elif args.assignments:
        write_output(args.assignments, exports.assignments_csv(result))
    if args.profiles:
        write_output(args.profiles, exports.profiles_csv(result))
    if args.charts:
        from engine.report.deck import name_charts, write_charts

        numbers = {s["key"]: s["number"] for s in context["sections"]}
        written = write_charts(name_charts(recorded, numbers), args.charts)
        if not args.quiet:
            print(f"Wrote {len(written)} chart files to {args.charts}.", file=sys.stderr)
    if args.export_project:
        exported = resolved_project(project, result.features.names)
        write_output(args.export_project, exported.to_json())
    if args.summary:
        summary = exports.summary_dict(result)
        if spark_build is not None:  # where it ran, and which silhouette the comparison quotes
            info = spark_build.info
            summary["compute"] = {"engine": "spark", "spark_master": info.master, "executors": info.executors,
                                  "spark_version": info.version, "silhouette_distance": "squaredEuclidean"}
        write_output(args.summary, json.dumps(summary, indent=2))
    if model_text is not None:
        write_output(args.export_model, model_text)
    if not args.quiet:
        c = result.chosen
        print(
            f"Wrote {out} ({len(pdf) / 1024:.0f} KiB): {algorithm_label(c.algorithm)}, k = {c.n_clusters}, "
            f"{units(result.profile.n_units, result.features.unit)}"
            + (f", on Spark ({spark_build.info.master})." if spark_build is not None else "."),
            file=sys.stderr,
        )
    return 0


def _choose_engine(args, project) -> None:
    """``--engine`` / ``--spark-master`` over the project's ``compute`` section."""
    if args.spark_master is not None:
        if args.engine == "local":
            raise InputError("--spark-master is for --engine spark; drop one of them.")
        if not args.spark_master.strip() or any(c.isspace() for c in args.spark_master):
            raise InputError(f"--spark-master is {args.spark_master!r}; give a Spark master URL such as local[*].")
        project.compute.engine, project.compute.spark_master = "spark", args.spark_master
    elif args.engine is not None:
        project.compute.engine = args.engine


def _check_outputs(args, project) -> None:
    """Every output is writable, none is an input or another output, and the logo is a usable image."""
    from engine.project_paths import check_outputs, input_files
    from engine.report.assets import logo_data_uri

    inputs = [("the data file", f) for f in input_files(project.data.paths)]
    inputs += [("the project file", args.project)] if args.project else []
    inputs += [("the logo", project.report.logo)] if project.report.logo else []
    inputs += [("the migration's model file", project.migration.model)] if project.migration is not None else []
    files = {"--out": args.out, "--html": args.html, "--summary": args.summary, "--assignments": args.assignments,
             "--profiles": args.profiles, "--export-project": args.export_project, "--export-model": args.export_model}
    check_outputs(files, inputs, {"--charts": args.charts})
    if project.report.logo:
        logo_data_uri(project.report.logo)
    if project.migration is not None:  # a missing or broken model file stops the build before the analysis
        from engine.model import load_model

        load_model(project.migration.model)


def _score(args) -> int:
    from engine.model import load_model
    from engine.model.outputs import scored_csv, summary_dict, summary_lines
    from engine.project_paths import check_outputs, input_files, write_output

    if Path(args.out).suffix.lower() != ".csv":
        raise InputError(f"--out {args.out} should name a .csv file.")
    if args.as_of is not None:
        import pandas as pd

        try:
            stamp = pd.Timestamp(args.as_of)
        except (TypeError, ValueError):
            stamp = pd.NaT
        if pd.isna(stamp):
            raise InputError(f"--as-of is {args.as_of!r}, which is not a date; use YYYY-MM-DD.")
    inputs = [("the model file", args.model)] + [("the data file", f) for f in input_files(args.paths)]
    check_outputs({"--out": args.out, "--summary": args.summary}, inputs, {})
    model = load_model(Path(args.model))
    scored = model.score(list(args.paths), as_of=args.as_of)
    write_output(args.out, scored_csv(scored))
    if args.summary:
        write_output(args.summary, json.dumps(summary_dict(scored, model), indent=2))
    if not args.quiet:
        for line in summary_lines(scored) + [f"Wrote {args.out}."]:
            print(line, file=sys.stderr)
    return 0


def _migrate(args) -> int:
    from engine.migration import flow_sentences, flows_csv, summary_block, summary_sentences
    from engine.migration.run import check_dates, migrate
    from engine.model import load_model
    from engine.project_paths import check_outputs, input_files, write_output

    check_dates(args.start, args.end)  # before reading anything
    if args.top < 0:
        raise InputError(f"--top is {args.top}; use 0 or more.")
    inputs = [("the data file", f) for f in input_files(args.paths)] + [("the model file", args.model)]
    check_outputs({"--out": args.out, "--summary": args.summary}, inputs, {})
    model = load_model(args.model)
    migration = migrate(model, args.start, args.end, paths=list(args.paths), model_name=Path(args.model).name)
    if args.out:
        write_output(args.out, flows_csv(migration))
    if args.summary:
        block = {"model": Path(args.model).name, **summary_block(migration), "warnings": list(migration.warnings)}
        write_output(args.summary, json.dumps(block, indent=2, allow_nan=False))
    for line in flow_sentences(migration, args.top) + summary_sentences(migration):
        print(line)
    for warning in migration.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
