"""course_utils.layers: LRN against its formula and TensorFlow, the inception module; on every backend."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.keras  # `make test` runs these on TensorFlow and again on JAX

keras = pytest.importorskip("keras")
from course_utils.layers import InceptionModule, LocalResponseNormalization, lrn, lrn_loops  # noqa: E402


def _tf_lrn(x, r, k, a, b):
    import tensorflow as tf  # TensorFlow's own kernel, whatever the Keras backend is

    return tf.nn.local_response_normalization(x, depth_radius=r, bias=k, alpha=a, beta=b).numpy()


lrn_cases = st.tuples(
    st.tuples(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4), st.integers(1, 12)),  # N, H, W, C
    st.integers(0, 4),  # depth_radius
    st.floats(0.5, 3.0), st.floats(1e-5, 1.0), st.floats(0.0, 1.5),  # bias, alpha, beta
    st.integers(0, 2**31), st.floats(0.1, 10.0),  # seed, scale of the activations
)


@settings(max_examples=40, deadline=None)
@given(lrn_cases)
def test_lrn_numpy_keras_and_tensorflow_agree(case):
    shape, r, k, a, b, seed, scale = case
    x = (np.random.default_rng(seed).standard_normal(shape) * scale).astype("float32")
    want = _tf_lrn(x, r, k, a, b)
    np.testing.assert_allclose(lrn(x, r, k, a, b), want, rtol=2e-5, atol=1e-6)
    layer = LocalResponseNormalization(depth_radius=r, bias=k, alpha=a, beta=b)
    got = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_lrn_loops_is_the_formula():
    x = np.random.default_rng(0).standard_normal((1, 2, 2, 7)).astype("float32") * 3
    np.testing.assert_allclose(lrn_loops(x, 2, 2.0, 1e-2, 0.75), lrn(x, 2, 2.0, 1e-2, 0.75), rtol=1e-6)
    # by hand for channel 0 of one pixel: the window is channels 0..2 (j_low = max(0, 0 - 2))
    a = x[0, 0, 0]
    by_hand = a[0] / (2.0 + 1e-2 * np.sum(a[0:3] ** 2)) ** 0.75
    np.testing.assert_allclose(lrn_loops(x, 2, 2.0, 1e-2, 0.75)[0, 0, 0, 0], by_hand, rtol=1e-6)


def test_alexnet_alpha_is_a_different_number_in_pytorch():
    """TensorFlow (and the paper) multiply the sum by alpha; PyTorch's LocalResponseNorm by alpha / n."""
    x = np.random.default_rng(1).standard_normal((1, 3, 3, 8)).astype("float32") * 20
    n = 5  # AlexNet's window: depth_radius = n // 2
    torch_style = x / (2.0 + (1e-4 / n) * _window_sums(x, n // 2)) ** 0.75  # LocalResponseNorm(5, 1e-4, 0.75, 2)
    np.testing.assert_allclose(lrn(x, n // 2, 2.0, 1e-4 / n, 0.75), torch_style, rtol=1e-6)
    assert not np.allclose(lrn(x, n // 2, 2.0, 1e-4, 0.75), torch_style, rtol=1e-4)


def _window_sums(x, r):
    c = x.shape[-1]
    return np.stack([np.sum(x[..., max(0, i - r) : i + r + 1] ** 2, axis=-1) for i in range(c)], axis=-1)


def test_lrn_config_and_keras_file_round_trip(tmp_path):
    layer = LocalResponseNormalization(depth_radius=3, bias=1.0, alpha=0.01, beta=0.5, name="lrn")
    assert {k: layer.get_config()[k] for k in ("depth_radius", "bias", "alpha", "beta")} == {
        "depth_radius": 3, "bias": 1.0, "alpha": 0.01, "beta": 0.5}
    model = keras.Sequential([keras.Input((4, 4, 6)), layer])
    x = np.random.default_rng(2).standard_normal((2, 4, 4, 6)).astype("float32")
    model.save(tmp_path / "lrn.keras")
    again = keras.models.load_model(tmp_path / "lrn.keras")
    assert isinstance(again.layers[0], LocalResponseNormalization) and again.layers[0].depth_radius == 3
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_inception_3a_counts_and_shape():
    """Inception 3a on 192 channels (Szegedy et al., table 1): 64 + 128 + 32 + 32 = 256 channels out."""
    module = InceptionModule(64, 96, 128, 16, 32, 32)
    model = keras.Sequential([keras.Input((28, 28, 192)), module])
    by_hand = (192 * 64 + 64) + (192 * 96 + 96) + (3 * 3 * 96 * 128 + 128) + (192 * 16 + 16) \
        + (5 * 5 * 16 * 32 + 32) + (192 * 32 + 32)
    assert by_hand == 163_696 == model.count_params()
    assert model.output_shape == (None, 28, 28, 256)
    y = model.predict(np.ones((1, 28, 28, 192), "float32"), verbose=0)
    assert y.shape == (1, 28, 28, 256) and (y >= 0).all()  # every branch ends in ReLU


def test_inception_keras_file_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((8, 8, 3)), InceptionModule(4, 2, 5, 1, 3, 2, name="inc"),
                              keras.layers.GlobalAveragePooling2D()])
    x = np.random.default_rng(3).random((2, 8, 8, 3), dtype=np.float32)
    model.save(tmp_path / "inception.keras")
    again = keras.models.load_model(tmp_path / "inception.keras")
    assert again.get_layer("inc").get_config()["f3x3"] == 5
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: LocalResponseNormalization(depth_radius=-1), r"depth_radius .* must be a non-negative integer"),
        (lambda: LocalResponseNormalization(depth_radius=1.5), r"depth_radius .* must be a non-negative integer"),
        (lambda: LocalResponseNormalization(alpha=-1e-4), r"alpha must be a non-negative number"),
        (lambda: LocalResponseNormalization(bias=0, alpha=0), r"cannot both be 0"),
        (lambda: lrn(np.zeros((2, 3)), 2), r"a must be 4-D \(N, H, W, C\)"),
        (lambda: InceptionModule(64, 96, 0, 16, 32, 32), r"f3x3 \(filters of an inception branch\) must be a positive"),
        (lambda: InceptionModule(64, 96, 128, 16, 32, "32"), r"pool_proj .* must be a positive integer"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
