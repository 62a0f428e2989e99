"""Resolving image paths inside the data root and checking the files are images."""

import hashlib
import os
from pathlib import Path

# What `keras_multimodal.data.tf_ops.decode_image` decodes (tf.io.decode_image
# at the file's own channel count, then converted): the check below accepts
# exactly these, so a file that passes validation never fails in tf.data.
_FORMATS = {"JPEG", "PNG", "BMP", "GIF"}
# TensorFlow's BMP decoder reads 8-bit grey, 24-bit and 32-bit uncompressed
# files only; a palette BMP would be decoded as its palette indices.
_BMP_MODES = {"L", "RGB", "RGBA"}
_checked = {}
_fingerprints = {}


def resolve_image(root, template, value):
    """The absolute path of an image, or (None, reason) when it would leave the root.

    The path is resolved (`..` and symbolic links followed) before the check,
    so a link inside the root that points outside it is refused too.
    """
    root = Path(root).resolve()
    relative = template.format(value)
    if os.path.isabs(relative):
        return None, f"absolute image path {relative!r} is refused (paths are relative to the data root)"
    try:
        path = (root / relative).resolve()
    except (OSError, RuntimeError, ValueError) as error:  # a link loop, a NUL character
        return None, f"image path {relative!r} cannot be resolved ({error})"
    if path != root and root not in path.parents:
        return None, f"image path {relative!r} leaves the data root {str(root)!r}"
    return str(path), None


def check_image(path, max_pixels):
    """None when `path` is a decodable JPEG/PNG/BMP/GIF within the pixel limit, else the reason.

    Decoding fully here (not only the header) catches truncated files before
    training starts; results are cached by (path, size, mtime).
    """
    key = _stat_key(path)
    if key is None:
        return "image file not found"
    key = key + (max_pixels,)
    if key not in _checked:
        _checked[key] = _decode_problem(path, max_pixels)
    return _checked[key]


def fingerprint(path):
    """Hash of the file's bytes ('' for no path, 'missing' for no file), cached by (path, size, mtime).

    Part of a run's data hash, so that replacing an image under the same name
    stops a resume from mixing two datasets.
    """
    if not path:
        return ""
    key = _stat_key(path)
    if key is None:
        return "missing"
    if key not in _fingerprints:
        digest = hashlib.blake2b(digest_size=16)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _fingerprints[key] = digest.hexdigest()
    return _fingerprints[key]


def _stat_key(path):
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return (path, stat.st_size, stat.st_mtime_ns)


def _decode_problem(path, max_pixels):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # we enforce our own limit below, before decoding
    try:
        with Image.open(path) as image:
            if image.format not in _FORMATS:
                return f"not a JPEG, PNG, BMP or GIF image (found {image.format})"
            if image.format == "BMP" and (image.mode not in _BMP_MODES or image.info.get("compression", 0) != 0):
                return f"unsupported BMP ({image.mode} pixels, compression {image.info.get('compression', 0)}): save it as PNG"
            width, height = image.size
            if width * height > max_pixels:
                return f"image has {width}x{height} pixels, over the limit of {max_pixels} (max_pixels)"
            image.load()
    except OSError as error:
        return f"unreadable image ({error})"
    except Exception as error:  # PIL raises many types for corrupt data
        return f"unreadable image ({type(error).__name__}: {error})"
    return None
