"""Word-to-region attention maps of a `GLoRIAPretrainer`, and their overlay on the images."""

import math

import numpy as np


def region_grid(num_regions, height, width):
    """(rows, cols) of the region grid, assuming it keeps the image's aspect ratio."""
    rows = max(1, round(math.sqrt(num_regions * height / width)))
    if num_regions % rows:
        return 1, num_regions
    return rows, num_regions // rows


def attention_maps(model, images, token_ids):
    """(B, T, rows, cols) attention of each caption's words over its own image's regions."""
    inputs = {model.image_input: images, model.text_input: token_ids}
    attention = np.asarray(model.attention(inputs))
    rows, cols = region_grid(attention.shape[-1], images.shape[1], images.shape[2])
    return attention.reshape(attention.shape[:2] + (rows, cols))


def caption_words(ids, entry):
    """The words at each word position of one caption (WordPiece pieces joined, `[SEP]` and padding dropped)."""
    vocabulary = entry["vocabulary"]
    tokens = [vocabulary[i] if 0 <= i < len(vocabulary) else "[UNK]" for i in np.asarray(ids).tolist() if i != 0]
    if entry.get("tokenizer") != "wordpiece":
        return tokens
    words = []
    for token in tokens:
        if token == "[SEP]":
            continue
        if token.startswith("##") and words:
            words[-1] += token[2:]
        else:
            words.append(token)
    return words


def plot_attention(image, words, maps, path, max_words=4, skip=("[CLS]",)):
    """The image, then one overlay per word (the first `max_words` words not in `skip`)."""
    from keras_multimodal.evaluation.plots import _pyplot
    from keras_multimodal.evaluation.plots import _save

    chosen = [j for j, w in enumerate(words) if w not in skip][:max_words]
    plt = _pyplot()
    fig, axes = plt.subplots(1, 1 + len(chosen), figsize=(2.4 * (1 + len(chosen)), 2.6), squeeze=False)
    shown = image[..., 0] if image.shape[-1] == 1 else image
    extent = (0, image.shape[1], image.shape[0], 0)
    axes[0, 0].imshow(shown, cmap="gray", extent=extent)
    axes[0, 0].set_title("image", fontsize=9)
    for ax, j in zip(axes[0, 1:], chosen):
        ax.imshow(shown, cmap="gray", extent=extent)
        ax.imshow(maps[j], cmap="jet", alpha=0.45, extent=extent, interpolation="bilinear")
        ax.set_title(words[j][:18], fontsize=9)
    for ax in axes[0]:
        ax.axis("off")
    return _save(fig, path)
