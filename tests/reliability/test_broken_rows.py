"""Broken data: exit 2 with one line naming file, row id and column; or, with
`data.on_bad_rows: skip`, the row is skipped and counted. One case per kind of breakage.

Each case breaks row r007 of the TriModal table (ids r000..r039) in one way.
"""

import pytest
from reliability_helpers import error_line
from reliability_helpers import replace_bytes


def missing_file(t):
    (t.images / "img_007.png").unlink()
    return "image_file", "image file not found"


def unreadable_file(t):
    # A folder where a file should be: it exists, but cannot be read as one.
    (t.images / "img_007.png").unlink()
    (t.images / "img_007.png").mkdir()
    return "image_file", "unreadable image"


def truncated_jpeg(t):
    path = t.jpeg("img_007.jpg", size=(48, 48))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    t.set_cell(7, "image_file", "img_007.jpg")
    return "image_file", "unreadable image"


def not_an_image(t):
    (t.images / "img_007.png").write_text("this is a text file, not a PNG")
    return "image_file", "unreadable image"


def unsupported_format(t):
    t.png("img_007.tif", fmt="TIFF")
    t.set_cell(7, "image_file", "img_007.tif")
    return "image_file", "not a JPEG, PNG, BMP or GIF image (found TIFF)"


def over_pixel_limit(t):
    t.png("img_007.png", size=(20, 20))  # 400 pixels; the others have 64
    t.write_spec(t.raw({"inputs.xray.max_pixels": 100}))
    return "image_file", "image has 20x20 pixels, over the limit of 100 (max_pixels)"


def non_numeric(t):
    t.set_cell(7, "age", "abc")
    return "age", "expected a number, found 'abc'"


def infinite_number(t):
    t.set_cell(7, "temp", "inf")
    return "temp", "expected a number, found 'inf'"


def non_utf8_text(t):
    path = t.set_cell(7, "note", "caf\u00e9 marker")
    replace_bytes(path, "caf\u00e9 marker".encode(), b"caf\xe9 marker")  # Latin-1, not UTF-8
    return "note", "text is not valid UTF-8"


def target_outside_classes(t):
    t.set_cell(7, "outcome", "moderate")
    t.write_spec(t.raw({"target.classes": ["mild", "severe"]}))
    return "outcome", "target value 'moderate' is not among target.classes ['mild', 'severe']"


def duplicate_row_id(t):
    t.set_cell(9, "pid", "r007")
    return "pid", "row id 'r007' repeats (ids must be unique; again in table row 9)"


CASES = {
    "missing_image_file": (missing_file, 1),
    "unreadable_image_file": (unreadable_file, 1),
    "truncated_image": (truncated_jpeg, 1),
    "not_an_image": (not_an_image, 1),
    "unsupported_image_format": (unsupported_format, 1),
    "image_over_pixel_limit": (over_pixel_limit, 1),
    "non_numeric_string": (non_numeric, 1),
    "infinite_number": (infinite_number, 1),
    "non_utf8_text": (non_utf8_text, 1),
    "target_outside_classes": (target_outside_classes, 1),
    "duplicate_row_ids": (duplicate_row_id, 2),  # both rows go: which one is right is unknown
}


@pytest.fixture(params=list(CASES))
def broken(request, tri_modal):
    """(TriModal with row r007 broken, column, message fragment, rows a skip removes)."""
    tri_modal.write_spec()
    breaker, removed = CASES[request.param]
    column, fragment = breaker(tri_modal)
    return tri_modal, column, fragment, removed


def test_broken_row_is_an_error_naming_file_row_and_column(broken, kmm):
    t, column, fragment, _ = broken
    code, out, err = kmm("validate", t.folder / "spec.yaml")
    assert code == 2, out + err
    line = error_line(err)
    assert line.startswith(f"kmm: error: {t.folder / 'table.csv'}, row r007, column '{column}': "), line
    assert fragment in line, line


def test_broken_row_is_skipped_and_counted(broken, kmm):
    t, column, _, removed = broken
    spec = t.folder / "spec.yaml"
    code, out, err = kmm("validate", spec, "--set", "data.on_bad_rows=skip")
    assert code == 0, err
    assert f"skipped (broken): {removed}" in out
    assert f"{40 - removed} usable rows" in out
