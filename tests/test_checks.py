"""course_utils.checks: one way to check arguments, one padding parser; and the geometry built on them."""

import numpy as np
import pytest

from course_utils import arithmetic as ar
from course_utils import checks


def test_integers_accept_numpy_and_reject_bools_and_floats():
    assert checks.positive_int("n", np.int64(3)) == 3 and type(checks.positive_int("n", np.int64(3))) is int
    assert checks.non_negative_int("p", 0) == 0
    assert checks.int_pair("kernel size", 3) == (3, 3)
    assert checks.int_pair("stride", [2, 1]) == (2, 1)
    assert checks.int_pair("padding", (0, 2), minimum=0) == (0, 2)
    assert not checks.is_int(True) and not checks.is_int(2.0) and checks.is_int(np.uint8(1))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: checks.positive_int("stride", 0), r"stride must be a positive integer, got 0"),
        (lambda: checks.positive_int("stride", True), r"stride must be a positive integer, got True"),
        (lambda: checks.non_negative_int("padding", -1), r"padding must be a non-negative integer, got -1"),
        (lambda: checks.int_pair("stride", (1, 2, 3)), r"stride must be an integer or a \(height, width\) pair"),
        (lambda: checks.int_pair("stride", (1, 0)), r"stride \(width\) must be a positive integer, got 0"),
        (lambda: checks.int_pair("stride", 1, minimum=2), r"minimum must be 0 or 1"),
        (lambda: checks.fraction("dropout", 1.0), r"dropout must be a number in \[0, 1\), got 1.0"),
        (lambda: checks.fraction("dropout", "0.5"), r"dropout must be a number in \[0, 1\)"),
        (lambda: checks.fraction("rate", 2, high=1, include_high=True), r"rate must be a number in \[0, 1\]"),
        (lambda: checks.positive_number("lr", 0), r"lr must be a finite number > 0, got 0"),
        (lambda: checks.positive_number("lr", float("nan")), r"lr must be a finite number > 0, got nan"),
        (lambda: checks.positive_number("lr", True), r"lr must be a finite number > 0, got True"),
        (lambda: checks.one_of("mode", "median", ("max", "avg")), r"mode must be one of 'max', 'avg', got 'median'"),
        (lambda: checks.image_shape((28, 28)), r"input_shape must be \(height, width, channels\) with positive ints"),
        (lambda: checks.image_shape(28), r"input_shape must be \(height, width, channels\)"),
        (lambda: checks.num_classes(1), r"num_classes must be an integer >= 2, got 1"),
        (lambda: checks.nhwc(np.zeros((2, 3))), r"x must be 4-D \(N, H, W, C\), got shape \(2, 3\)"),
        (lambda: checks.conv_arrays(np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 1, 1))),
         r"input has 2 channels but the filters expect 1"),
        (lambda: checks.positive_number("spatial_scale", 0), r"spatial_scale must be a finite number > 0, got 0"),
        (lambda: checks.positive_number("scale", np.inf), r"scale must be a finite number > 0, got inf"),
        (lambda: checks.positive_numbers("scales", []), r"scales must be a non-empty sequence of finite numbers > 0"),
        (lambda: checks.positive_numbers("factors", (1, 2), length=4), r"factors must be 4 finite numbers > 0"),
        (lambda: checks.positive_numbers("ratios", [1, True]), r"ratios must be a non-empty sequence"),
        (lambda: checks.box_array("boxes", [[0, 0, 1]]), r"boxes must have shape \(\.\.\., 4\), one row \(y1, x1, y2, x2\) per box; got shape \(1, 3\)"),
        (lambda: checks.box_array("boxes", [0, 0, 1, 1], ndims=(2,)), r"boxes must have shape \(N, 4\)"),
        (lambda: checks.box_array("boxes", [[0, 0, 1, 1]], ndims=(1,)), r"boxes must have shape \(4,\)"),
        (lambda: checks.box_array("boxes", [[True, False, True, True]]), r"boxes must hold real numbers"),
        (lambda: checks.box_array("boxes", [[0, 0, 1, 1], [0, 0, np.nan, 1]]), r"boxes must be finite \(no NaN or inf\): box 1"),
        (lambda: checks.box_array("boxes", [[0, 0, 1, 1], [2, 0, 1, 1], [3, 0, 1, 1]]),
         r"box 1 = \[2.0, 0.0, 1.0, 1.0\] has y2 < y1 \(corners swapped\? 2 box\(es\) like this\)"),
        (lambda: checks.box_array("boxes", [0, 2, 1, 1]), r"the box = \[0.0, 2.0, 1.0, 1.0\] has x2 < x1"),
        (lambda: checks.box_array("boxes", [[0, 0, 1, 0]], positive=True), r"boxes must have height and width > 0"),
        (lambda: checks.box_array("c", [[0, 0, 1, -1]], form="center"), r"c must be \(center_y, center_x, height, width\)"),
        (lambda: checks.box_array("b", [0, 0, 1, 1], form="xyxy"), r"form must be one of 'corners', 'center', 'any'"),
        (lambda: checks.padding_1d("full"), r"padding must be 'valid', 'same', an integer or a \(before, after\)"),
        (lambda: checks.padding_1d((1, 2, 3)), r"a padding pair must be \(before, after\)"),
        (lambda: checks.padding_2d(1.5), r"padding must be 'valid', 'same', an integer P"),
        (lambda: checks.padding_2d(("same", 1)), r"padding must be 'valid', 'same', an integer P"),
        (lambda: checks.padding_2d(((1, -1), 0)), r"padding must be a non-negative integer, got -1"),
    ],
)
def test_bad_values_say_what_was_wrong_and_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_box_arrays_and_positive_numbers():
    boxes = checks.box_array("boxes", [[0, 0, 2, 3]])
    assert boxes.dtype == np.float64 and boxes.tolist() == [[0.0, 0.0, 2.0, 3.0]]
    assert checks.box_array("boxes", np.zeros((2, 3, 4), np.float32)).dtype == np.float32
    assert checks.box_array("boxes", np.zeros((0, 4)), ndims=(2,)).shape == (0, 4)
    assert checks.box_array("deltas", [[5, 5, -1, -2]], form="any").shape == (1, 4)
    assert checks.box_array("centers", [[5, 5, 0, 2]], form="center").shape == (1, 4)
    assert checks.positive_number("scale", np.float32(0.5)) == 0.5
    assert checks.positive_numbers("ratios", np.array([0.5, 2])) == (0.5, 2.0)


def test_fraction_bounds():
    assert checks.fraction("momentum", 0.0) == 0.0
    assert checks.fraction("keep", 1, include_high=True) == 1.0
    assert checks.positive_number("lr", np.float32(0.5)) == 0.5 and type(checks.positive_number("lr", 2)) is float


def test_one_padding_parser_for_one_axis_and_for_images():
    assert checks.padding_1d("SAME") == "same"
    assert checks.padding_1d(2) == (2, 2)
    assert checks.padding_1d([0, 1]) == (0, 1)
    assert checks.padding_2d("valid") == ("valid", "valid")
    assert checks.padding_2d(1) == ((1, 1), (1, 1))
    assert checks.padding_2d((1, 2)) == ((1, 1), (2, 2))  # (PH, PW), as conv2d reads it
    assert checks.padding_2d(((0, 1), (2, 3))) == ((0, 1), (2, 3))


def test_conv_output_shape_reads_padding_like_conv2d():
    from course_utils.conv import conv2d

    x, w = np.zeros((1, 5, 6, 1)), np.zeros((3, 3, 1, 1))
    for padding in ("valid", "same", 1, (1, 0), ((0, 2), (1, 0))):
        assert ar.conv_output_shape((5, 6), 3, 1, padding) == conv2d(x, w, padding=padding).shape[1:3]
        assert ar.conv_geometry(x.shape, 3, 3, 1, padding)[:2] == conv2d(x, w, padding=padding).shape[1:3]


def test_conv_geometry_pads_like_tensorflow_and_refuses_a_kernel_that_does_not_fit():
    g = ar.conv_geometry((2, 13, 13, 3), 6, 6, 5, "same")
    assert (g.oh, g.ow, g.pads, g.stride, g.dilation) == (3, 3, ((1, 2), (1, 2)), (5, 5), (1, 1))
    assert ar.conv_geometry((1, 7, 7, 1), 3, 3, 1, "valid", 2).oh == 3  # dilated to 5x5
    with pytest.raises(ValueError, match=r"the 6x3 kernel is larger than the padded input 5x5"):
        ar.conv_geometry((1, 5, 5, 1), 6, 3)
    with pytest.raises(ValueError, match=r"x_shape must be 4-D"):
        ar.conv_geometry((5, 5), 3, 3)
