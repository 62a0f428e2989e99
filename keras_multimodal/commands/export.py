"""`kmm export RUN_DIR [--format savedmodel|keras|onnx] [--out DIR]`."""

from keras_multimodal.export.exporter import FORMATS

NAME = "export"
HELP = "export a finished run: SavedModel with raw inputs (default), .keras, or ONNX (tensor inputs)"


def add_arguments(parser):
    parser.add_argument("run_dir", help="a run directory written by `kmm train`")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="savedmodel",
        help="savedmodel: raw columns in, preprocessing inside (default); keras: the tensor-input model "
        "without optimizer state; onnx: the tensor-input model via tf2onnx (needs the onnx extra)",
    )
    parser.add_argument("--out", help="destination folder (default: RUN_DIR/serving, or RUN_DIR/export/<format>)")


def run(args):
    import time

    from keras_multimodal.export.exporter import export_run

    start = time.perf_counter()
    out = export_run(args.run_dir, fmt=args.format, out=args.out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{args.format} export: {size / 1e6:.2f} MB in {time.perf_counter() - start:.1f} s")
    print(out)
