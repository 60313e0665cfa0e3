"""course_utils.layers: LRN against its formula and TensorFlow, the inception module, residual units,
SE, Xception and Inception-ResNet blocks and DenseNet layers; on every backend."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.keras  # `make test` runs these on TensorFlow and again on JAX

keras = pytest.importorskip("keras")
from course_utils.layers import (  # noqa: E402
    BottleneckUnit,
    DenseLayer,
    InceptionModule,
    InceptionResNetA,
    LocalResponseNormalization,
    ResidualUnit,
    SqueezeExcitation,
    TransitionLayer,
    XceptionBlock,
    lrn,
    lrn_loops,
)


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



# --- residual units (notebook 10) ---------------------------------------------------------------


def _bn(c):
    return 4 * c  # gamma, beta, moving mean, moving variance


def _se(c, r):
    return 2 * c * max(1, c // r) + max(1, c // r) + c


def _model(shape, *layers):
    return keras.Sequential([keras.Input(shape), *layers])


@pytest.mark.parametrize(("c_in", "filters", "strides", "shortcut", "se_ratio", "projects"), [
    (8, 8, 1, "projection", None, False),  # identity shortcut
    (8, 16, 2, "projection", None, True),  # Hands-On ML's 1x1 stride-2 projection
    (8, 16, 1, "projection", None, True),  # more channels at stride 1 also needs one
    (8, 16, 2, "zero_pad", None, False),  # option A: no parameters
    (8, 16, 2, None, None, False),  # the plain unit
    (16, 16, 1, "projection", 4, False),  # with an SE block on the residual
    (8, 16, 2, "projection", 16, True),  # 16 // 16 = 1 unit in the SE block
])
def test_residual_unit_counts_and_shapes(c_in, filters, strides, shortcut, se_ratio, projects):
    unit = ResidualUnit(filters, strides, shortcut=shortcut, se_ratio=se_ratio)
    model = _model((7, 6, c_in), unit)
    by_hand = 9 * c_in * filters + _bn(filters) + 9 * filters * filters + _bn(filters)
    by_hand += (c_in * filters + _bn(filters)) if projects else 0
    by_hand += _se(filters, se_ratio) if se_ratio else 0
    assert model.count_params() == by_hand
    assert (unit.skip_conv is not None) is projects
    out = (-(-7 // strides), -(-6 // strides), filters)
    assert model.output_shape == (None, *out) == unit.compute_output_shape((None, 7, 6, c_in))
    y = model.predict(np.random.default_rng(0).standard_normal((2, 7, 6, c_in)).astype("float32"), verbose=0)
    assert y.shape == (2, *out) and (y >= 0).all()  # ends in ReLU


def test_residual_unit_is_the_notes_unit():
    """Hands-On ML's order: conv 3x3 (strides) - BN - ReLU - conv 3x3 - BN, no biases; 1x1 projection + BN."""
    unit = ResidualUnit(16, strides=2)
    unit.build((None, 8, 8, 8))
    assert [(c.kernel_size, c.strides, c.use_bias) for c in (unit.conv1, unit.conv2, unit.skip_conv)] == [
        ((3, 3), (2, 2), False), ((3, 3), (1, 1), False), ((1, 1), (2, 2), False)]
    assert unit.conv1.padding == unit.conv2.padding == unit.skip_conv.padding == "same"
    assert unit.activation is keras.activations.relu


@pytest.mark.parametrize("training", [False, True])
def test_zero_initialized_last_bn_starts_as_the_activation_of_the_shortcut(training):
    """With the last BN's gamma at 0 the main path outputs 0 (BN's beta), in training and inference mode."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 6, 4)).astype("float32")
    identity = ResidualUnit(4, zero_init_last_bn=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(identity(x, training=training)), np.maximum(x, 0),
                               atol=1e-6)
    tanh = ResidualUnit(4, activation="tanh", zero_init_last_bn=True)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(tanh(x, training=training)), np.tanh(x), atol=1e-6)
    # option A's shortcut: every second pixel, zero channels added
    padded = ResidualUnit(6, strides=2, shortcut="zero_pad", zero_init_last_bn=True)
    want = np.concatenate([np.maximum(x[:, ::2, ::2], 0), np.zeros((2, 3, 3, 2), "float32")], axis=-1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(padded(x, training=training)), want, atol=1e-6)
    # the default (gamma = 1) is not the identity
    assert not np.allclose(keras.ops.convert_to_numpy(ResidualUnit(4)(x, training=training)), np.maximum(x, 0))


def _one_sgd_step(model, seed=0):
    """Weights (path inside the model -> array) before and after one SGD step on a random batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, *model.input_shape[1:])).astype("float32")
    y = rng.integers(0, model.output_shape[-1], 8)
    def weights():
        return {w.path.split("/", 1)[1]: keras.ops.convert_to_numpy(w) for w in model.trainable_weights}

    before = weights()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    return before, weights()


def _stack(shortcut, zero_init, units=4):
    keras.utils.set_random_seed(0)
    return _model((6, 6, 3), keras.layers.Conv2D(4, 3, padding="same", name="stem"),
                  *[ResidualUnit(4, shortcut=shortcut, zero_init_last_bn=zero_init) for _ in range(units)],
                  keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax"))


def test_gradients_flow_through_the_skip_connections():
    before, after = _one_sgd_step(_stack("projection", zero_init=False))
    unchanged = [p for p in before if np.array_equal(before[p], after[p])]
    assert not unchanged, f"no gradient reached {unchanged}"
    # Zero-initialized last BNs: every main path outputs 0, yet the stem below four units still learns
    # (through the shortcuts); without shortcuts the same stack passes no gradient down at all.
    before, after = _one_sgd_step(_stack("projection", zero_init=True))
    stem = [p for p in before if p.startswith("stem/")]
    assert stem and all(not np.array_equal(before[p], after[p]) for p in stem)
    before, after = _one_sgd_step(_stack(None, zero_init=True))
    assert all(np.array_equal(before[p], after[p]) for p in stem)


def test_residual_unit_config_and_keras_file_round_trip(tmp_path):
    plain = ResidualUnit.from_config(ResidualUnit(12, shortcut=None, name="plain").get_config())
    assert (plain.filters, plain.strides, plain.shortcut, plain.se) == (12, 1, None, None)
    # (weight shapes as in the tests above: on JAX every new shape costs seconds of compiling a random initializer)
    units = [ResidualUnit(16, 2, shortcut="zero_pad", name="padded"),
             ResidualUnit(16, 1, "elu", se_ratio=4, zero_init_last_bn=True, name="se"),
             BottleneckUnit(4, expansion=4, name="bottleneck"), ResidualUnit(16, 2, name="down")]
    model = _model((8, 8, 8), *units, keras.layers.GlobalAveragePooling2D())
    config = model.get_layer("se").get_config()
    assert {k: config[k] for k in ("filters", "strides", "activation", "shortcut", "se_ratio", "zero_init_last_bn")} \
        == {"filters": 16, "strides": 1, "activation": "elu", "shortcut": "projection", "se_ratio": 4,
            "zero_init_last_bn": True}
    assert model.get_layer("bottleneck").get_config()["expansion"] == 4
    x = np.random.default_rng(4).standard_normal((2, 8, 8, 8)).astype("float32")
    model.save(tmp_path / "units.keras")
    again = keras.models.load_model(tmp_path / "units.keras")
    assert isinstance(again.get_layer("se"), ResidualUnit) and again.get_layer("se").se is not None
    assert again.get_layer("down").skip_conv is not None and again.get_layer("se").skip_conv is None
    assert again.get_layer("padded").pad_channels == 8 and again.count_params() == model.count_params()
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("c_in", "filters", "strides", "expansion", "projects"), [
    (16, 4, 1, 4, False),  # 16 -> 16: identity
    (8, 4, 1, 4, True),  # ResNet-50's first unit: 64 -> 256 at stride 1 needs a projection
    (16, 8, 2, 4, True),
    (8, 8, 1, 1, False),
])
def test_bottleneck_unit_counts_and_shapes(c_in, filters, strides, expansion, projects):
    unit = BottleneckUnit(filters, strides, expansion)
    model = _model((7, 7, c_in), unit)
    out = filters * expansion
    by_hand = (c_in * filters + _bn(filters)) + (9 * filters * filters + _bn(filters)) + (filters * out + _bn(out))
    by_hand += (c_in * out + _bn(out)) if projects else 0
    assert model.count_params() == by_hand
    assert model.output_shape == (None, -(-7 // strides), -(-7 // strides), out)
    assert [c.kernel_size for c in (unit.conv1, unit.conv2, unit.conv3)] == [(1, 1), (3, 3), (1, 1)]
    assert unit.conv2.strides == (strides, strides)  # the stride is on the 3x3 convolution


def test_bottleneck_unit_is_cheaper_than_two_3x3_convolutions():
    """ResNet-50's unit at 256 channels against a ResNet-34 unit at 256: about 17 times fewer weights."""
    bottleneck = _model((7, 7, 256), BottleneckUnit(64)).count_params()
    basic = _model((7, 7, 256), ResidualUnit(256)).count_params()
    assert bottleneck == 256 * 64 + 9 * 64 * 64 + 64 * 256 + _bn(64) * 2 + _bn(256) == 71_168
    assert basic == 2 * 9 * 256 * 256 + 2 * _bn(256) == 1_181_696


# --- squeeze-and-excitation (notebook 11) ----------------------------------------------------------


def test_squeeze_excitation_is_its_formula():
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 32)).astype("float32")
    se = SqueezeExcitation(ratio=16)
    y = keras.ops.convert_to_numpy(se(x))
    w1, b1, w2, b2 = (keras.ops.convert_to_numpy(v) for v in (se.reduce.kernel, se.reduce.bias, se.expand.kernel,
                                                              se.expand.bias))
    assert w1.shape == (32, 2) and w2.shape == (2, 32)  # 32 / 16 = 2 units in the narrow layer
    squeeze = x.mean(axis=(1, 2))  # (N, C)
    excite = 1 / (1 + np.exp(-(np.maximum(squeeze @ w1 + b1, 0) @ w2 + b2)))  # (N, C), each in (0, 1)
    np.testing.assert_allclose(y, x * excite[:, None, None, :], rtol=1e-5, atol=1e-6)
    assert se.count_params() == _se(32, 16) == 32 * 2 + 2 + 2 * 32 + 32


def test_squeeze_excitation_round_trip_and_small_inputs(tmp_path):
    model = _model((5, 5, 8), SqueezeExcitation(16, name="se"))  # 8 // 16 = 0: one unit, not none
    assert model.count_params() == _se(8, 16) == 2 * 8 + 1 + 8 and model.output_shape == (None, 5, 5, 8)
    x = np.random.default_rng(6).standard_normal((2, 5, 5, 8)).astype("float32")
    model.save(tmp_path / "se.keras")
    again = keras.models.load_model(tmp_path / "se.keras")
    assert again.get_layer("se").ratio == 16
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


# --- Xception's block and Inception-ResNet's module (notebook 11) -----------------------------------------


def _sep(c, f):
    return 9 * c + c * f  # depthwise 3x3 (one filter per input channel) + pointwise 1x1, no biases


@pytest.mark.parametrize(("c_in", "filters", "repeats", "pool", "projects", "out"), [
    (8, 16, None, True, True, (4, 3, 16)),  # entry flow: two convolutions, max pooling, 1x1 stride-2 projection
    (16, 16, 3, False, False, (7, 6, 16)),  # middle flow: three convolutions, identity shortcut
    (8, (8, 12), None, True, True, (4, 3, 12)),  # exit flow: two widths
    (8, 12, 1, False, True, (7, 6, 12)),  # more channels without pooling: a stride-1 projection
])
def test_xception_block_counts_and_shapes(c_in, filters, repeats, pool, projects, out):
    block = XceptionBlock(filters, repeats, pool=pool)
    model = _model((7, 6, c_in), block)
    widths = list(filters) if isinstance(filters, tuple) else [filters] * (repeats or 2)
    by_hand, c = 0, c_in
    for f in widths:
        by_hand += _sep(c, f) + _bn(f)
        c = f
    by_hand += (c_in * widths[-1] + _bn(widths[-1])) if projects else 0
    assert model.count_params() == by_hand
    assert (block.skip_conv is not None) is projects
    assert model.output_shape == (None, *out) == block.compute_output_shape((None, 7, 6, c_in))
    assert [(c.kernel_size, c.padding, c.use_bias) for c in block.convs] == [((3, 3), "same", False)] * len(widths)


def test_xception_block_is_its_formula():
    """Inference mode, fresh BNs (x / sqrt(1 + eps)): relu -> separable -> BN, twice, pool, plus the projection."""
    x = np.random.default_rng(9).standard_normal((2, 6, 6, 4)).astype("float32")
    block = XceptionBlock(6, first_activation=False)
    y = keras.ops.convert_to_numpy(block(x, training=False))
    bn = 1 / np.sqrt(1 + 1e-3)  # Keras' BatchNormalization epsilon

    def layer(lay, z):
        return keras.ops.convert_to_numpy(lay(z))

    z = layer(block.convs[0], x) * bn  # no ReLU first: first_activation=False
    z = layer(block.convs[1], np.maximum(z, 0)) * bn
    z = layer(block.max_pool, z)
    np.testing.assert_allclose(y, z + layer(block.skip_conv, x) * bn, rtol=1e-5, atol=1e-5)


def test_inception_resnet_a_counts_and_the_residual():
    module = InceptionResNetA(4, 4, 6, 2, 3, 5, scale=0.2)
    model = _model((5, 5, 8), module)
    c = 8
    by_hand = (c * 4 + 3 * 4) + (c * 4 + 3 * 4 + 9 * 4 * 6 + 3 * 6) + (c * 2 + 3 * 2 + 9 * 2 * 3 + 3 * 3 + 9 * 3 * 5
                                                                      + 3 * 5) + ((4 + 6 + 5) * c + c)
    assert model.count_params() == by_hand
    assert model.output_shape == (None, 5, 5, 8) == module.compute_output_shape((None, 5, 5, 8))
    x = np.random.default_rng(10).standard_normal((2, 5, 5, 8)).astype("float32")
    up = model.get_layer(index=0).up
    # the module is relu(x + scale * up(branches)): with the projection's bias alone, relu(x + 0.2 * bias)
    up.kernel.assign(np.zeros(up.kernel.shape, "float32"))
    up.bias.assign(np.arange(8, dtype="float32"))
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x + 0.2 * np.arange(8), 0), rtol=1e-6,
                               atol=1e-6)


def test_xception_and_inception_resnet_keras_file_round_trip(tmp_path):
    model = _model((8, 8, 8), XceptionBlock(8, first_activation=False, name="entry"),
                   XceptionBlock(8, repeats=3, pool=False, name="middle"),
                   XceptionBlock((8, 12), name="exit"), InceptionResNetA(4, 4, 6, 2, 3, 5, name="irA"),
                   keras.layers.GlobalAveragePooling2D())
    x = np.random.default_rng(11).standard_normal((2, 8, 8, 8)).astype("float32")
    model.save(tmp_path / "xception.keras")
    again = keras.models.load_model(tmp_path / "xception.keras")
    assert again.get_layer("exit").filters == [8, 12] and again.get_layer("entry").first_activation is False
    assert again.get_layer("middle").skip_conv is None and again.get_layer("exit").skip_conv is not None
    assert again.get_layer("irA").get_config()["f3x3dbl"] == 5 and again.get_layer("irA").scale == 0.17
    assert again.count_params() == model.count_params()
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


# --- DenseNet (notebook 10) ------------------------------------------------------------------------------


@pytest.mark.parametrize(("c_in", "k", "bottleneck"), [(8, 4, True), (8, 4, False)])
def test_dense_layer_concatenates_its_new_maps(c_in, k, bottleneck):
    layer = DenseLayer(k, bottleneck=bottleneck)
    model = _model((5, 5, c_in), layer)
    by_hand = (_bn(c_in) + c_in * 4 * k + _bn(4 * k) + 9 * 4 * k * k) if bottleneck else (_bn(c_in) + 9 * c_in * k)
    assert model.count_params() == by_hand
    assert model.output_shape == (None, 5, 5, c_in + k)
    x = np.random.default_rng(7).standard_normal((2, 5, 5, c_in)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0)[..., :c_in], x)  # the input passes unchanged
    if bottleneck:  # BN - ReLU - 1x1 (4k) - BN - ReLU - 3x3 (k), no biases
        assert [(c.kernel_size, c.filters, c.use_bias) for c in layer.convs] == [((1, 1), 4 * k, False),
                                                                                  ((3, 3), k, False)]


@pytest.mark.parametrize(("c_in", "compression", "c_out"), [(16, 0.5, 8), (15, 0.5, 7), (10, 1.0, 10), (9, 0.34, 3)])
def test_transition_layer(c_in, compression, c_out):
    model = _model((7, 6, c_in), TransitionLayer(compression))
    assert model.output_shape == (None, 3, 3, c_out)  # floor(compression * C); 2x2 average pooling
    assert model.count_params() == _bn(c_in) + c_in * c_out


def test_dense_layers_keras_file_round_trip(tmp_path):
    model = _model((8, 8, 8), DenseLayer(4, name="d1"), DenseLayer(4, bottleneck=False, name="d2"),
                   TransitionLayer(0.5, name="t"), keras.layers.GlobalAveragePooling2D())
    assert model.get_layer("t").output.shape[1:] == (4, 4, 8)  # (8 + 4 + 4) // 2
    x = np.random.default_rng(8).standard_normal((2, 8, 8, 8)).astype("float32")
    model.save(tmp_path / "dense.keras")
    again = keras.models.load_model(tmp_path / "dense.keras")
    assert again.get_layer("d2").get_config()["bottleneck"] is False
    assert again.get_layer("t").get_config()["compression"] == 0.5
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
        (lambda: ResidualUnit(0), r"filters must be a positive integer, got 0"),
        (lambda: ResidualUnit(8, strides=1.5), r"strides must be a positive integer, got 1.5"),
        (lambda: ResidualUnit(8, activation="relux"), r"activation must be the name of a Keras activation"),
        (lambda: ResidualUnit(8, shortcut="identity"), r"shortcut must be one of 'projection', 'zero_pad', None"),
        (lambda: ResidualUnit(8, se_ratio=0), r"se_ratio .* must be a positive integer, got 0"),
        (lambda: ResidualUnit(8, zero_init_last_bn=1), r"zero_init_last_bn must be True or False, got 1"),
        (lambda: ResidualUnit(4, shortcut="zero_pad").build((None, 8, 8, 8)), r"can only add channels, but the input "
         r"has 8 and the unit outputs 4; use shortcut='projection'"),
        (lambda: ResidualUnit(4).build((None, 8, 8)), r"needs \(N, H, W, C\) inputs"),
        (lambda: BottleneckUnit(4, expansion=0), r"expansion .* must be a positive integer"),
        (lambda: SqueezeExcitation(0), r"ratio \(the SE block's reduction ratio r\) must be a positive integer"),
        (lambda: SqueezeExcitation().build((None, 8)), r"SqueezeExcitation needs \(N, H, W, C\) inputs"),
        (lambda: DenseLayer(0), r"growth_rate \(k, new channels per layer\) must be a positive integer"),
        (lambda: DenseLayer(4, bottleneck="yes"), r"bottleneck must be True or False"),
        (lambda: DenseLayer(4, bottleneck_width=0), r"bottleneck_width .* must be a positive integer"),
        (lambda: TransitionLayer(0), r"compression .* must be in \(0, 1\], got 0"),
        (lambda: TransitionLayer(1.5), r"compression .* must be a number in \[0, 1\]"),
        (lambda: TransitionLayer(0.1).build((None, 8, 8, 5)), r"compression 0.1 of 5 channels keeps none"),
        (lambda: XceptionBlock(0), r"filters \(a positive integer or a list of them\) must be a positive integer"),
        (lambda: XceptionBlock([]), r"filters must be a positive integer or a non-empty list"),
        (lambda: XceptionBlock([8, -1]), r"filters\[1\] must be a positive integer, got -1"),
        (lambda: XceptionBlock([8, 8], repeats=3), r"repeats=3 disagrees with the 2 filters given"),
        (lambda: XceptionBlock(8, repeats=0), r"repeats .* must be a positive integer, got 0"),
        (lambda: XceptionBlock(8, pool="yes"), r"pool must be True or False"),
        (lambda: XceptionBlock(8).build((None, 8, 8)), r"XceptionBlock needs \(N, H, W, C\) inputs"),
        (lambda: InceptionResNetA(f3x3=0), r"f3x3 \(filters of an Inception-ResNet branch\) must be a positive"),
        (lambda: InceptionResNetA(scale=0), r"scale .* must be above 0, got 0"),
        (lambda: InceptionResNetA(scale=1.5), r"scale .* must be a number in \[0, 1\]"),
        (lambda: InceptionResNetA(activation="relux"), r"activation must be the name of a Keras activation"),
        (lambda: InceptionResNetA().build((None, 8, 8)), r"InceptionResNetA needs \(N, H, W, C\) inputs"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
