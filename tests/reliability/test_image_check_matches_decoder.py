"""The image check (validation, no TensorFlow) and the tf.data decoder agree: every file the
check accepts decodes at 1 and 3 channels; the formats the decoder cannot read are refused."""

import io

import numpy as np
import pytest
from PIL import Image

from keras_multimodal.data.images import check_image


def encode(fmt, mode, size=(9, 7)):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).convert(mode)
    stream = io.BytesIO()
    image.save(stream, format=fmt)
    return stream.getvalue()


ACCEPTED = {
    "png_grey": ("PNG", "L"), "png_grey_alpha": ("PNG", "LA"), "png_rgba": ("PNG", "RGBA"), "png_palette": ("PNG", "P"),
    "jpeg_rgb": ("JPEG", "RGB"), "jpeg_grey": ("JPEG", "L"), "jpeg_cmyk": ("JPEG", "CMYK"),
    "gif": ("GIF", "P"), "bmp_grey": ("BMP", "L"), "bmp_rgb": ("BMP", "RGB"),
}
REFUSED = {"tiff": ("TIFF", "RGB"), "webp": ("WEBP", "RGB"), "bmp_palette": ("BMP", "P"), "bmp_1bit": ("BMP", "1")}


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_accepted_images_decode_at_one_and_three_channels(name, tmp_path):
    import tensorflow as tf

    from keras_multimodal.data.tf_ops import decode_image

    data = encode(*ACCEPTED[name])
    path = tmp_path / f"image.{name}"
    path.write_bytes(data)
    assert check_image(str(path), max_pixels=1000) is None
    for channels in (1, 3):
        image = decode_image(tf.constant(data), (4, 4), channels).numpy()
        assert image.shape == (4, 4, channels) and 0.0 <= image.min() and image.max() <= 1.0


@pytest.mark.parametrize("name", list(REFUSED))
def test_images_the_decoder_cannot_read_are_refused(name, tmp_path):
    path = tmp_path / f"image.{name}"
    path.write_bytes(encode(*REFUSED[name]))
    problem = check_image(str(path), max_pixels=1000)
    assert problem is not None and ("not a JPEG, PNG, BMP or GIF" in problem or "unsupported BMP" in problem)
