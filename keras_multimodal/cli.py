"""The `kmm` command line: a thin layer over the Python API."""

import argparse
import os
import sys
import traceback
from pathlib import Path

from keras_multimodal.errors import KMMError


def _parser():
    parser = argparse.ArgumentParser(prog="kmm", description="Multimodal (image + text + tabular) models with Keras 3.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = commands.add_parser("train", help="train, evaluate, report and export a model for a spec")
    train.add_argument("spec", nargs="?", help="YAML data spec (default: the embedded synthetic demo)")
    _spec_options(train)
    train.add_argument("--out", help="run directory (default: runs/<name>, or runs/<name>-N)")
    train.add_argument("--epochs", type=int, help="override training.epochs")
    train.add_argument("--fusion", help="override model.fusion")
    train.add_argument("--seed", type=int, help="override training.seed")
    train.add_argument("--overwrite", action="store_true", help="replace a finished run in --out")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress bars")

    validate = commands.add_parser("validate", help="check a spec against its data (no training)")
    validate.add_argument("spec", nargs="?", help="YAML data spec (default: the embedded demo)")
    _spec_options(validate)

    predict = commands.add_parser("predict", help="batch prediction with a finished run")
    predict.add_argument("run_dir", help="a run directory written by `kmm train`")
    predict.add_argument("table", help="a .csv/.parquet/.jsonl table with the spec's columns")
    predict.add_argument("--data-root", help="folder that image paths are relative to (default: the table's folder)")
    predict.add_argument("--out", default="predictions.csv", help="output CSV (default: predictions.csv)")
    predict.add_argument("--debug", action="store_true", help="show tracebacks")

    evaluate = commands.add_parser("evaluate", help="re-evaluate a finished run (its own data, or a labelled --table)")
    evaluate.add_argument("run_dir", help="a run directory written by `kmm train`")
    evaluate.add_argument("--table", help="labelled .csv/.parquet/.jsonl table; results go to RUN_DIR/evaluations/<stem>/")
    evaluate.add_argument("--data-root", help="folder that the table's image paths are relative to (default: the table's folder)")
    evaluate.add_argument("--debug", action="store_true", help="show tracebacks")

    tune = commands.add_parser("tune", help="Keras Tuner search over the spec's tuning: space, then train the best")
    tune.add_argument("spec", nargs="?", help="YAML data spec (default: the embedded demo)")
    _spec_options(tune)
    tune.add_argument("--tuner", choices=("random", "grid", "hyperband", "bayesian"), help="override tuning.tuner")
    tune.add_argument("--max-trials", type=int, help="override tuning.max_trials")
    tune.add_argument("--executions-per-trial", type=int, help="override tuning.executions_per_trial")
    tune.add_argument("--out", help="tuning folder; re-run with the same one to resume (default: runs/<name>-tune)")
    tune.add_argument("--quiet", action="store_true", help="no per-trial display or progress bars")

    _compare_cv_parsers(commands)
    _plugin_parsers(commands)

    demo = commands.add_parser("demo-data", help="write the synthetic demo dataset to a folder")
    demo.add_argument("out", help="destination folder")
    demo.add_argument("--rows", type=int, default=1200)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


def _compare_cv_parsers(commands):
    compare = commands.add_parser("compare", help="train every fusion and one model per modality on one split; compare with paired CIs")
    compare.add_argument("spec", nargs="?", help="YAML data spec (default: the embedded demo)")
    compare.add_argument("--fusions", help="comma-separated fusion names (default: all)")
    cv = commands.add_parser("cv", help="stratified (grouped) K-fold cross-validation; mean and sd per metric")
    cv.add_argument("spec", nargs="?", help="YAML data spec (default: the embedded demo)")
    cv.add_argument("--folds", type=int, default=5, help="number of folds (default: 5)")
    for parser, default in ((compare, "runs/<name>-compare"), (cv, "runs/<name>-cv<folds>")):
        _spec_options(parser)
        parser.add_argument("--out", help=f"folder of the member runs; re-run with the same one to resume (default: {default})")
        parser.add_argument("--epochs", type=int, help="override training.epochs")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _plugin_parsers(commands):
    from keras_multimodal.commands import discover

    for module in discover():
        parser = commands.add_parser(module.NAME, help=module.HELP)
        module.add_arguments(parser)
        if not any(action.dest == "debug" for action in parser._actions):
            parser.add_argument("--debug", action="store_true", help="show tracebacks")
        _COMMANDS[module.NAME] = module.run


def _spec_options(parser):
    parser.add_argument("--data-root", help="folder the spec's table and images are relative to")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a spec key (dotted), repeatable")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")


def _load(args, extra=()):
    from keras_multimodal.specs import load_spec

    return load_spec(args.spec, data_root=args.data_root, overrides=list(extra) + list(args.set))


def cmd_train(args):
    extra = []
    if args.epochs is not None:
        extra.append(f"training.epochs={args.epochs}")
    if args.fusion is not None:
        extra.append(f"model.fusion={args.fusion}")
    if args.seed is not None:
        extra.append(f"training.seed={args.seed}")
    spec = _load(args, extra)
    from keras_multimodal.training.trainer import train

    run = train(spec, out=args.out, overwrite=args.overwrite, verbose=0 if args.quiet else 2, command=" ".join(["kmm"] + sys.argv[1:]))
    metrics = run.metrics
    test = metrics.get("test", {})
    shown = ", ".join(f"{k}={test[k]:.4f}" for k in ("auroc", "auprc", "f1_macro", "accuracy", "rmse", "mae", "r2") if isinstance(test.get(k), float))
    print(f"test: {shown}")
    print(f"report: {run.path / 'report.html'}")
    print(run.path)


def cmd_validate(args):
    spec = _load(args)
    from keras_multimodal.validation import format_summary
    from keras_multimodal.validation import validate

    print(format_summary(validate(spec)))


def cmd_predict(args):
    from pathlib import Path

    from keras_multimodal.data.readers import read_table
    from keras_multimodal.run import Run

    run = Run.load(args.run_dir)
    frame = read_table(args.table, run.spec.data.na_values)
    run = run.with_data_root(args.data_root or str(Path(args.table).resolve().parent))
    predictions = run.predict(frame)
    from keras_multimodal.atomic import write_csv

    write_csv(args.out, predictions)
    print(f"{len(predictions)} predictions written")
    print(args.out)


def cmd_evaluate(args):
    from keras_multimodal.training.evaluate_run import evaluate_run

    metrics, directory = evaluate_run(args.run_dir, table=args.table, data_root=args.data_root)
    test = metrics.get("test", {})
    shown = ", ".join(f"{k}={test[k]:.4f}" for k in ("auroc", "auprc", "f1_macro", "accuracy", "rmse", "mae", "r2") if isinstance(test.get(k), float))
    print(f"test: {shown}")
    for warning in metrics.get("leakage", {}).get("warnings", []):
        print(f"warning: {warning}")
    print(f"report: {directory / 'report.html'}")
    print(directory)


def cmd_tune(args):
    spec = _load(args)
    from keras_multimodal.tuning.search import tune

    run = tune(spec, out=args.out, tuner=args.tuner, max_trials=args.max_trials, executions_per_trial=args.executions_per_trial, verbose=0 if args.quiet else 1)
    if run is not None:  # None: a distributed worker, which leaves the results to the chief
        print(f"report: {run.path / 'report.html'}")
        print(run.path)


def cmd_compare(args):
    spec = _load(args, [f"training.epochs={args.epochs}"] if args.epochs is not None else [])
    from keras_multimodal.training.compare import compare

    fusions = args.fusions.split(",") if args.fusions else None
    table = compare(spec, fusions=fusions, out=args.out, progress=not args.quiet)
    folder = Path(table["run_dir"].iloc[0]).parent
    print((folder / "comparison.md").read_text())
    print(folder)


def cmd_cv(args):
    spec = _load(args, [f"training.epochs={args.epochs}"] if args.epochs is not None else [])
    from keras_multimodal.training.cross_validation import cross_validate

    table = cross_validate(spec, folds=args.folds, out=args.out, progress=not args.quiet)
    folder = Path(table["run_dir"].iloc[0]).parent
    print((folder / "cv.md").read_text())
    print(folder)


def cmd_demo_data(args):
    from keras_multimodal.data.synthetic import make_synthetic_dataset

    print(make_synthetic_dataset(args.out, rows=args.rows, seed=args.seed))


_COMMANDS = {"train": cmd_train, "validate": cmd_validate, "predict": cmd_predict, "evaluate": cmd_evaluate, "tune": cmd_tune, "compare": cmd_compare, "cv": cmd_cv, "demo-data": cmd_demo_data}


def main(argv=None):
    """Entry point; returns the exit code (0 ok, 2 bad input, 1 unexpected failure)."""
    args = _parser().parse_args(argv)
    if args.version:
        from keras_multimodal.version import __version__

        print(__version__)
        return 0
    if args.command is None:
        _parser().print_help()
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        _COMMANDS[args.command](args)
    except KMMError as error:
        if args.debug:
            traceback.print_exc()
        print(f"kmm: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("kmm: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return 0


def entry():
    sys.exit(main())


if __name__ == "__main__":
    entry()
