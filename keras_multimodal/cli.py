"""The `kmm` command line: a thin layer over the Python API."""

import argparse
import os
import sys
import traceback

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

    demo = commands.add_parser("demo-data", help="write the synthetic demo dataset to a folder")
    demo.add_argument("out", help="destination folder")
    demo.add_argument("--rows", type=int, default=1200)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--debug", action="store_true", help="show tracebacks")
    return parser


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


def cmd_demo_data(args):
    from keras_multimodal.data.synthetic import make_synthetic_dataset

    print(make_synthetic_dataset(args.out, rows=args.rows, seed=args.seed))


_COMMANDS = {"train": cmd_train, "validate": cmd_validate, "predict": cmd_predict, "demo-data": cmd_demo_data}


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
