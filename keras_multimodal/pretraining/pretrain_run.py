"""`pretrain(spec)`: contrastive pretraining into a resumable run directory."""

from pathlib import Path

from keras_multimodal.atomic import write_text
from keras_multimodal.data.preprocessor import Preprocessor
from keras_multimodal.pretraining.pair_data import prepare_pairs
from keras_multimodal.training import run_directory


def pretrain(spec, out=None, overwrite=False, verbose=1, command=None, log=print):
    """Pretrain the spec's image and text encoders; evaluate retrieval (and zero-shot); report.

    Args:
        spec: `keras_multimodal.Spec` with a `pretrain:` section (see `load_pretrain_spec`).
        out: str or Path. The run directory; default `runs/<name>` (or `-1`, `-2`...).
        overwrite: bool. Replace a finished run in `out`.

    Returns:
        Path of the finished run directory. Re-running into an unfinished one
        (killed, crashed) resumes from its last finished epoch.
    """
    import yaml

    from keras_multimodal.pretraining.pretrain_eval import evaluate_pretrainer
    from keras_multimodal.pretraining.pretrain_report import build_pretrain_report
    from keras_multimodal.pretraining.pretrained_encoders import save_encoders
    from keras_multimodal.pretraining.pretrainer_builder import input_shapes

    if out is not None and not overwrite and run_directory.holds_finished(out, spec):
        # As in `train`: the same command after a kill that landed once the run had finished.
        log(f"{out} already holds the finished pretraining run of this spec (pass --overwrite to run it again)")
        return Path(out)
    run_dir, resuming = run_directory.choose_run_dir(spec, out, overwrite)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "preprocessing.json"
    saved = Preprocessor.load(path) if resuming and path.exists() else None
    data = prepare_pairs(spec, saved)
    if saved is None:
        data.preprocessor.save(path)
    state = run_directory.start_run(run_dir, spec, data.hash, command, resuming)
    counts = data.pairs.frame["split"].value_counts()
    log(f"{'Resuming' if resuming else 'Pretraining'} {spec.name} in {run_dir} "
        f"({', '.join(f'{counts.get(s, 0)} {s}' for s in ('train', 'val', 'test'))} pairs)")
    write_text(run_dir / "spec.yaml", yaml.safe_dump(spec.raw, sort_keys=False))
    model = fit_pretrainer(spec, data, run_dir, verbose)
    save_encoders(model, spec, input_shapes(spec, data.preprocessor), run_dir)
    metrics, examples = evaluate_pretrainer(spec, data, model, run_dir)
    build_pretrain_report(run_dir, spec, data, model, metrics, examples)
    run_directory.finish_run(run_dir, state)
    return run_dir


def fit_pretrainer(spec, data, directory, verbose=1):
    """Fit (or resume) the pretrainer and save `model.keras`; an existing one is loaded instead.

    Loading needs the pretrainer registered, which importing this package did.
    """
    from keras_multimodal.data.feature_transform import FeatureTransform
    from keras_multimodal.pretraining.pretrainer_builder import build_pretrainer
    from keras_multimodal.pretraining.pretrainer_builder import compile_pretrainer
    from keras_multimodal.training.fit import fit_or_load

    training = spec.training

    def prepare():
        model = compile_pretrainer(build_pretrainer(spec, data.preprocessor), training)
        transform = FeatureTransform(data.preprocessor, seed=training.seed)
        train = pair_batches(data.pairs.split("train"), transform, training.batch_size, training=True, seed=training.seed)
        val = pair_batches(data.pairs.split("val"), transform, training.batch_size)
        # shuffle=False: make_dataset already reshuffles the training pairs every epoch.
        return model, {"x": train, "validation_data": val, "shuffle": False}

    return fit_or_load(directory, training, prepare, verbose)


def pair_batches(table, transform, batch_size, training=False, seed=0):
    """Model inputs in full batches only: the chunked local loss needs a static batch size."""
    import tensorflow as tf

    from keras_multimodal.data.pipeline import make_dataset

    size = max(1, min(batch_size, len(table.frame)))
    ds = make_dataset(table, transform, size, training=training, seed=seed, with_labels=False)
    # A known length lets Keras count steps instead of warning that the data ran out.
    return ds.rebatch(size, drop_remainder=True).apply(tf.data.experimental.assert_cardinality(len(table.frame) // size))
