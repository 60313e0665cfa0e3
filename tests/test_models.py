"""course_utils.models: the course's CNNs build, have the expected sizes, and reject bad input."""

import os

import numpy as np
import pytest

from course_utils.models import BUILDERS, bn_cnn, hands_on_cnn, session8_cnn

# Keras-level tests: `make test` runs them on TensorFlow and again with KERAS_BACKEND=jax.
pytestmark = pytest.mark.keras



def test_runs_on_the_backend_it_was_asked_for():
    """The JAX run of `make test` really runs on JAX (Keras falls back to nothing silently)."""
    import keras

    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")


@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
def test_builders_train_and_survive_keras_save_and_load(builder, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    model = builder(input_shape=(16, 16, 1), num_classes=3)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 16, 16, 1), dtype=np.float32), rng.integers(0, 3, 16)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    path = tmp_path / f"{builder.__name__}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    assert reloaded.count_params() == model.count_params()
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


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


def test_session8_cnn_shapes_and_count():
    model = session8_cnn()
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
    assert session8_cnn((64, 64, 3), num_classes=3).output_shape == (None, 3)


@pytest.mark.parametrize(
    ("builder", "kwargs", "message"),
    [
        (session8_cnn, {"input_shape": (28, 28)}, "input_shape must be"),
        (session8_cnn, {"input_shape": (8, 8, 1)}, "at least 16x16"),
        (hands_on_cnn, {"num_classes": 1}, "num_classes must be an integer >= 2"),
        (hands_on_cnn, {"dropout": 1.0}, r"dropout must be a number in \[0, 1\)"),
        (hands_on_cnn, {"input_shape": (4, 4, 1)}, "at least 8x8"),
    ],
)
def test_bad_arguments(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**kwargs)


@pytest.mark.parametrize("builder", BUILDERS.values(), ids=BUILDERS.keys())
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


def _bn_params(channels):
    return 4 * channels  # gamma, beta (trained) + moving mean, moving variance (not trained)


def test_bn_cnn_parameter_count_matches_hand_count():
    model = bn_cnn()
    expected = (
        3 * 3 * 1 * 32 + _bn_params(32) + 3 * 3 * 32 * 32 + _bn_params(32)  # block 1, no conv biases
        + 3 * 3 * 32 * 64 + _bn_params(64) + 3 * 3 * 64 * 64 + _bn_params(64)  # block 2
        + 7 * 7 * 64 * 128 + _bn_params(128)  # 28 -> 14 -> 7 after two poolings; no Dense bias
        + (128 * 10 + 10)
    )
    assert expected == 468_778
    assert model.count_params() == expected
    assert model.output_shape == (None, 10)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert non_trainable == 2 * (32 + 32 + 64 + 64 + 128)  # the moving statistics


def test_bn_cnn_without_batch_norm_has_biases_and_no_bn_layers():
    import keras

    with_bn, without = bn_cnn(), bn_cnn(batch_norm=False)
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in with_bn.layers) == 5
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in without.layers)
    assert all(not layer.use_bias for layer in with_bn.layers if isinstance(layer, keras.layers.Conv2D))
    assert all(layer.use_bias for layer in without.layers if isinstance(layer, keras.layers.Conv2D))
    expected = (
        _conv_params(3, 1, 32) + _conv_params(3, 32, 32) + _conv_params(3, 32, 64) + _conv_params(3, 64, 64)
        + (7 * 7 * 64 * 128 + 128) + (128 * 10 + 10)
    )
    assert without.count_params() == expected
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in without.layers) == 3
    assert [layer.rate for layer in without.layers if isinstance(layer, keras.layers.Dropout)] == [0.25, 0.25, 0.4]


def test_bn_cnn_shapes_dtype_and_other_sizes():
    model = bn_cnn(filters=(16, 32))
    probs = model.predict(np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32), verbose=0)
    assert probs.shape == (3, 10) and probs.dtype == np.float32
    assert model.layers[-1].compute_dtype == "float32"
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert bn_cnn((32, 32, 3), num_classes=5, filters=(8, 8, 8)).output_shape == (None, 5)
    assert bn_cnn((8, 8, 1), filters=(4, 4, 4)).output_shape == (None, 10)  # 8 -> 4 -> 2 -> 1


def test_bn_cnn_momentum_reaches_every_bn_layer():
    import keras

    momenta = {layer.momentum for layer in bn_cnn(bn_momentum=0.9).layers
               if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.9}
    assert {layer.momentum for layer in bn_cnn().layers if isinstance(layer, keras.layers.BatchNormalization)} == {0.99}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_shape": (28, 28)}, "input_shape must be"),
        ({"num_classes": 1}, "num_classes must be an integer >= 2"),
        ({"filters": ()}, "filters must be a non-empty tuple of positive ints"),
        ({"filters": 32}, "filters must be a non-empty tuple of positive ints"),
        ({"filters": (32, 0)}, "filters must be a non-empty tuple of positive ints"),
        ({"filters": (32, 2.5)}, "filters must be a non-empty tuple of positive ints"),
        ({"dense": 0}, r"dense \(the units of the hidden Dense layer\) must be a positive integer"),
        ({"dropout": (0.25, 1.0)}, r"dropout must be two rates in \[0, 1\)"),
        ({"dropout": (-0.1, 0.4)}, r"dropout must be two rates in \[0, 1\)"),
        ({"dropout": 0.5}, r"dropout must be two rates in \[0, 1\)"),
        ({"bn_momentum": 1.0}, r"bn_momentum \(Keras' default is 0.99\) must be a number in \[0, 1\)"),
        ({"input_shape": (6, 6, 1), "filters": (8, 8, 8)}, "needs at least 8x8 inputs"),
        ({"input_shape": (3, 28, 1)}, "needs at least 4x4 inputs"),
    ],
)
def test_bn_cnn_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bn_cnn(**kwargs)
