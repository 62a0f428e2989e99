"""Resolving image paths inside the data root and checking the files are images."""

import os
from pathlib import Path

_FORMATS = {"JPEG", "PNG", "BMP", "GIF"}
_checked = {}


def resolve_image(root, template, value):
    """The absolute path of an image, or (None, reason) when it would leave the root."""
    root = Path(root).resolve()
    relative = template.format(value)
    if os.path.isabs(relative):
        return None, f"absolute image path {relative!r} is refused (paths are relative to the data root)"
    path = (root / relative).resolve()
    if path != root and root not in path.parents:
        return None, f"image path {relative!r} leaves the data root {str(root)!r}"
    return str(path), None


def check_image(path, max_pixels):
    """None when `path` is a decodable JPEG/PNG/BMP/GIF within the pixel limit, else the reason.

    Decoding fully here (not only the header) catches truncated files before
    training starts; results are cached by (path, size, mtime).
    """
    try:
        stat = os.stat(path)
    except OSError:
        return "image file not found"
    key = (path, stat.st_size, stat.st_mtime_ns, max_pixels)
    if key not in _checked:
        _checked[key] = _decode_problem(path, max_pixels)
    return _checked[key]


def _decode_problem(path, max_pixels):
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None  # we enforce our own limit below, before decoding
    try:
        with Image.open(path) as image:
            if image.format not in _FORMATS:
                return f"not a JPEG, PNG, BMP or GIF image (found {image.format})"
            width, height = image.size
            if width * height > max_pixels:
                return f"image has {width}x{height} pixels, over the limit of {max_pixels} (max_pixels)"
            image.load()
    except OSError as error:
        return f"unreadable image ({error})"
    except Exception as error:  # PIL raises many types for corrupt data
        return f"unreadable image ({type(error).__name__}: {error})"
    return None
