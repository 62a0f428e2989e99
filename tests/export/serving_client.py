"""A serving client outside the toolkit: raw table rows -> `serving_default`.

Run as a script (what `serve_in_fresh_process` does) it imports TensorFlow,
pandas and NumPy only, reads the table and the image files itself, and sends
the cells as a client would: image files as bytes (b'' when the cell is
blank), text and categorical cells as they are in the file, numbers as
float32 with NaN for blanks. Importing this module does not import the toolkit.
"""

import importlib
import json
import os
import subprocess
import sys

import pandas as pd


def raw_tensors(plan, rows, root):
    """{input name: tf.Tensor} for the rows of a table read with dtype=str, keep_default_na=False."""
    import tensorflow as tf

    out = {}
    for name, (kind, column, template) in plan.items():
        cells = rows[column]
        if kind == "image":
            paths = [os.path.join(root, template.format(c)) if c else "" for c in cells]
            out[name] = tf.constant([open(p, "rb").read() if p else b"" for p in paths])
        elif kind == "numeric":
            out[name] = tf.constant(pd.to_numeric(cells, errors="coerce").astype("float32").to_numpy())
        else:
            out[name] = tf.constant(cells.tolist())
    return out


def plain(outputs):
    return {k: [x.decode() if isinstance(x, bytes) else x for x in v.numpy().tolist()] for k, v in outputs.items()}


def serving_plan(spec):
    """{input name: [kind, column, path template]} for the client, from the spec."""
    from keras_multimodal.export.serving import raw_signature

    templates = {s.column: s.path_template for s in spec.inputs.values() if s.type == "image"}
    return {name: [kind, column, templates.get(column, "{}")] for name, (kind, column) in raw_signature(spec).items()}


def serve_in_fresh_process(serving_dirs, spec, table, root, tmp_path, preload=()):
    """Outputs of each SavedModel on the table's rows, and the keras modules the child imported."""
    request = {
        "plan": serving_plan(spec),
        "table": str(table),
        "root": str(root),
        "serving": [str(d) for d in serving_dirs],
        "preload": list(preload),
    }
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    result = subprocess.run([sys.executable, __file__, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    return answer["results"], answer["modules"]


def _main(request_path):
    import tensorflow as tf

    request = json.loads(open(request_path).read())
    for module in request["preload"]:  # e.g. tensorflow_text, whose ops a BERT tokenizer needs
        importlib.import_module(module)
    rows = pd.read_csv(request["table"], dtype=str, keep_default_na=False)
    inputs = raw_tensors(request["plan"], rows, request["root"])
    results = [plain(tf.saved_model.load(d).signatures["serving_default"](**inputs)) for d in request["serving"]]
    modules = sorted(m for m in sys.modules if m.split(".")[0] in ("keras", "keras_multimodal"))
    print(json.dumps({"results": results, "modules": modules}))


if __name__ == "__main__":
    sys.path.pop(0)  # this folder: nothing of the test suite (or the toolkit) is importable by accident
    _main(sys.argv[1])
