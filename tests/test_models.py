"""course_utils.models: the seed models build, have the expected sizes, and reject bad input."""

import numpy as np
import pytest

from course_utils.models import hands_on_cnn, seed001_cnn


def _conv_params(f, c_in, c_out):
    return f * f * c_in * c_out + c_out


def test_hands_on_cnn_parameter_count_matches_hand_count():
    model = hands_on_cnn()
    expected = (
        _conv_params(7, 1, 64) + _conv_params(3, 64, 128) + _conv_params(3, 128, 128)
        + _conv_params(3, 128, 256) + _conv_params(3, 256, 256)
        + (3 * 3 * 256 * 128 + 128) + (128 * 64 + 64) + (64 * 10 + 10)
    )
    assert expected == 1_413_834  # the figure Hands-On ML's notebook prints for this model
    assert model.count_params() == expected
    assert model.output_shape == (None, 10)


def test_seed001_cnn_shapes_and_count():
    model = seed001_cnn()
    expected = (
        _conv_params(3, 1, 32) + _conv_params(3, 32, 32) + _conv_params(3, 32, 64) + _conv_params(3, 64, 64)
        + (1 * 1 * 64 * 64 + 64) + (64 * 10 + 10)
    )
    assert model.count_params() == expected
    probs = model.predict(np.zeros((2, 28, 28, 1), "float32"), verbose=0)
    assert probs.shape == (2, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_other_input_shapes_and_classes():
    assert hands_on_cnn((32, 32, 3), num_classes=5).output_shape == (None, 5)
    assert seed001_cnn((64, 64, 3), num_classes=3).output_shape == (None, 3)


@pytest.mark.parametrize(
    ("builder", "kwargs", "message"),
    [
        (seed001_cnn, {"input_shape": (28, 28)}, "input_shape must be"),
        (seed001_cnn, {"input_shape": (8, 8, 1)}, "at least 16x16"),
        (hands_on_cnn, {"num_classes": 1}, "num_classes must be an integer >= 2"),
        (hands_on_cnn, {"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        (hands_on_cnn, {"input_shape": (4, 4, 1)}, "at least 8x8"),
    ],
)
def test_bad_arguments(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)


@pytest.mark.parametrize("builder", [seed001_cnn, hands_on_cnn])
def test_softmax_stays_float32_under_mixed_precision(builder):
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = builder()
        assert model.layers[0].compute_dtype == "float16"
        assert model.layers[-1].compute_dtype == "float32"
        probs = model.predict(np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32), verbose=0)
        assert probs.dtype == np.float32
        np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    finally:
        keras.mixed_precision.set_global_policy("float32")
