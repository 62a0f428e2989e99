"""`kmm pretrain SPEC`: GLoRIA-style image-text contrastive pretraining into a run directory."""

import sys

NAME = "pretrain"
HELP = "contrastive image-text pretraining (global + local, GLoRIA); writes encoders, retrieval and zero-shot report"


def add_arguments(parser):
    from keras_multimodal.cli import _spec_options

    parser.add_argument("spec", help="YAML spec with one image and one text input, or a `pretrain:` section naming them")
    _spec_options(parser)  # --data-root, --set, --debug, as for `kmm train`
    parser.add_argument("--out", help="run directory (default: runs/<name>, or runs/<name>-N)")
    parser.add_argument("--epochs", type=int, help="override training.epochs")
    parser.add_argument("--overwrite", action="store_true", help="replace a finished run in --out")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress bars")


def load_pretrain_spec(path, data_root=None, overrides=()):
    """Load a spec for pretraining: without a `pretrain:` section, its defaults (so the target is optional)."""
    from keras_multimodal.specs import load_spec
    from keras_multimodal.specs.loader import read_yaml

    overrides = list(overrides)
    if read_yaml(path).get("pretrain") is None:
        overrides.insert(0, "pretrain={}")
    return load_spec(path, data_root=data_root, overrides=overrides)


def run(args):
    extra = [f"training.epochs={args.epochs}"] if args.epochs is not None else []
    spec = load_pretrain_spec(args.spec, args.data_root, extra + list(args.set))
    from keras_multimodal.pretraining.pretrain_run import pretrain

    run_dir = pretrain(
        spec,
        out=args.out,
        overwrite=args.overwrite,
        verbose=0 if args.quiet else 2,
        command=" ".join(["kmm"] + sys.argv[1:]),
    )
    import json

    metrics = json.loads((run_dir / "metrics.json").read_text())
    for split, values in metrics.get("retrieval", {}).items():
        shown = ", ".join(f"{k}={v:.3f}" for k, v in values.items() if k.endswith("@1") or k.endswith("@5"))
        print(f"{split} retrieval: {shown}")
    for split in ("val", "test"):
        zero = (metrics.get("zero_shot") or {}).get(split) or {}
        if zero:
            shown = ", ".join(f"{k}={zero[k]:.3f}" for k in ("auroc", "accuracy", "f1_macro") if isinstance(zero.get(k), float))
            print(f"{split} zero-shot: {shown}")
    print(f"report: {run_dir / 'report.html'}")
    print(run_dir)
