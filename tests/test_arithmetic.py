"""course_utils.arithmetic against real Keras / TensorFlow layers and brute-force counts."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import math

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import arithmetic as ar

FEW = settings(max_examples=30, deadline=None)


def _conv_shape(h, w, f, s, padding, d=1):
    """Spatial output shape of a real convolution (TensorFlow backend) on a zero image."""
    x = np.zeros((1, h, w, 1), dtype="float32")
    k = np.zeros((f, f, 1, 1), dtype="float32")
    return tuple(keras.ops.conv(x, k, strides=s, padding=padding, dilation_rate=d).shape[1:3])


# --- output_size / padding_amounts vs Keras -----------------------------------------------------


@FEW
@given(
    h=st.integers(1, 30),
    w=st.integers(1, 30),
    f=st.integers(1, 7),
    s=st.integers(1, 5),
    padding=st.sampled_from(["valid", "same"]),
)
def test_output_size_matches_keras_strided(h, w, f, s, padding):
    if padding == "valid" and f > min(h, w):
        with pytest.raises(ValueError, match="more than the padded input"):
            ar.conv_output_shape((h, w), f, s, padding)
        return
    assert ar.conv_output_shape((h, w), f, s, padding) == _conv_shape(h, w, f, s, padding)


@FEW
@given(
    h=st.integers(1, 30),
    f=st.integers(1, 5),
    d=st.integers(1, 4),
    padding=st.sampled_from(["valid", "same"]),
)
def test_output_size_matches_keras_dilated(h, f, d, padding):
    # TensorFlow does not combine stride > 1 with dilation > 1, so dilation is tested at stride 1.
    if padding == "valid" and ar.effective_filter_size(f, d) > h:
        with pytest.raises(ValueError, match="dilated filter|filter size"):
            ar.output_size(h, f, 1, padding, d)
        return
    assert ar.output_size(h, f, 1, padding, d) == _conv_shape(h, h, f, 1, padding, d)[0]


@FEW
@given(
    h=st.integers(1, 25),
    f=st.integers(1, 6),
    s=st.integers(1, 4),
    before=st.integers(0, 3),
    after=st.integers(0, 3),
)
def test_explicit_padding_matches_zero_padding_layer(h, f, s, before, after):
    inputs = keras.Input(shape=(h, h, 1))
    padded = keras.layers.ZeroPadding2D(((before, after), (before, after)))(inputs)
    if f > h + before + after:
        with pytest.raises(ValueError, match="more than the padded input"):
            ar.output_size(h, f, s, (before, after))
        return
    out = keras.layers.Conv2D(1, f, strides=s, padding="valid")(padded)
    assert ar.output_size(h, f, s, (before, after)) == out.shape[1]
    if before == after:
        assert ar.output_size(h, f, s, before) == out.shape[1]


@FEW
@given(
    h=st.integers(1, 16),
    f=st.integers(1, 6),
    s=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_same_padding_amounts_reproduce_tensorflow(h, f, s, seed):
    """Padding by padding_amounts(...) then VALID equals TensorFlow's SAME, value for value."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, h, h, 1)).astype("float32")
    k = rng.normal(size=(f, f, 1, 1)).astype("float32")
    before, after = ar.padding_amounts(h, f, s, "same")
    manual = keras.ops.conv(
        np.pad(x, ((0, 0), (before, after), (before, after), (0, 0))), k, strides=s, padding="valid"
    )
    same = keras.ops.conv(x, k, strides=s, padding="same")
    np.testing.assert_allclose(np.asarray(manual), np.asarray(same), rtol=1e-5, atol=1e-5)


def test_worked_examples():
    assert ar.output_size(4, 3) == 2  # 001
    assert ar.output_size(4, 3, 1, 1) == 4  # 001 padded
    assert ar.output_size(13, 6, 5, "same") == 3  # 000
    assert ar.padding_amounts(13, 6, 5, "same") == (1, 2)  # extra zero at the bottom/right
    assert ar.output_size(13, 6, 5, "valid") == 2  # the last 3 rows are ignored
    assert ar.conv_output_shape(96, 8) == (89, 89)  # 001
    assert ar.conv_output_shape((8, 4), 2, 2) == (4, 2)  # 003's 8x4 exercise


def test_strict_rejects_fractional_output():
    assert ar.output_size(7, 2, 2) == 3  # libraries round down
    with pytest.raises(ValueError, match=r"= 3\.5 is not an integer"):
        ar.output_size(7, 2, 2, strict=True)
    assert ar.output_size(7, 3, 2, strict=True) == 3


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ar.output_size(0, 3), "input size must be a positive integer"),
        (lambda: ar.output_size(5.5, 3), "input size must be a positive integer"),
        (lambda: ar.output_size(5, 3, 0), "stride must be a positive integer"),
        (lambda: ar.output_size(5, 3, -1), "stride must be a positive integer"),
        (lambda: ar.output_size(5, 0), "filter size must be a positive integer"),
        (lambda: ar.output_size(5, 3, dilation=0), "dilation must be a positive integer"),
        (lambda: ar.output_size(5, 6), "filter size 6, more than the padded input 5"),
        (lambda: ar.output_size(5, 3, 1, 0, 3), "covers 7, more than the padded input"),
        (lambda: ar.output_size(5, 3, 1, "full"), "padding must be 'valid', 'same'"),
        (lambda: ar.output_size(5, 3, 1, -1), "padding must be a non-negative integer"),
        (lambda: ar.output_size(5, 3, 1, (1, 2, 3)), r"padding pair must be \(before, after\)"),
        (lambda: ar.output_size(6, 3, 2, strict=True), "is not an integer"),
        (lambda: ar.output_size(True, 3), "input size must be a positive integer"),
        (lambda: ar.conv_output_shape((5, 5, 5), 3), r"\(height, width\) pair"),
        (lambda: ar.conv_output_shape((5, 0), 3), r"input size \(width\) must be a positive"),
        (lambda: ar.conv_params(3, 3, 0), "out_channels must be a positive integer"),
        (lambda: ar.conv_params(3, 6, 4, groups=4), "groups=4 must divide both"),
        (lambda: ar.conv_params(3, 6, 4, groups=0), "groups must be a positive integer"),
        (lambda: ar.dense_params(0, 10), "in_features must be a positive integer"),
        (lambda: ar.conv_macs(3, 3, 8, (0, 5)), "output size .* must be a positive integer"),
        (lambda: ar.dtype_bytes("float31"), "unknown dtype 'float31'; expected one of"),
        (lambda: ar.activation_bytes((10, 10), "double"), "unknown dtype"),
        (lambda: ar.activation_bytes((None, 10, 10)), "unknown \\(None\\) size"),
        (lambda: ar.activation_bytes(()), "non-empty tuple"),
        (lambda: ar.activation_bytes((10, 0)), r"shape\[1\] must be a positive integer"),
        (lambda: ar.activation_bytes((10, 10), batch_size=0), "batch_size must be a positive"),
        (lambda: ar.format_bytes(-1), "number of bytes must be a non-negative"),
        (lambda: ar.receptive_field([]), "layers is empty"),
        (lambda: ar.receptive_field("3,1"), "must be a list of"),
        (lambda: ar.receptive_field([(3,)]), r"layer 1 must be \(filter, stride\)"),
        (lambda: ar.receptive_field([(3, 1), (3, 0)]), "layer 2 stride must be a positive"),
        (lambda: ar.receptive_field([(3, 1, 0)]), "layer 1 dilation must be a positive"),
        (lambda: ar.input_window(-1, 3), "output index must be a non-negative"),
        (lambda: ar.bottleneck_params(128, 0), "out_channels must be a positive integer"),
        (lambda: ar.depthwise_params(3, 8, 0), "depth_multiplier must be a positive integer"),
        (lambda: ar.separable_params(3, 0, 8), "in_channels must be a positive integer"),
        (lambda: ar.separable_macs(3, 8, 8, (0, 4)), r"output size \(height\) must be a positive"),
        (lambda: ar.transposed_output_size(4, 3, 2, "full"), "must be 'valid' or 'same', got 'full'"),
        (lambda: ar.transposed_output_size(4, 3, 2, 1), "must be 'valid' or 'same', got 1"),
        (lambda: ar.transposed_output_size(4, 3, 2, "same", 2), r"output_padding must be smaller than the stride \(2\)"),
        (lambda: ar.transposed_output_size(4, 3, 2, "same", -1), "output_padding must be a non-negative"),
        (lambda: ar.transposed_output_size(0, 3), "input size must be a positive"),
        (lambda: ar.transposed_output_shape((4, 4), 3, 1, "valid", (0, 0, 0)), r"output_padding must be an integer or"),
        (lambda: ar.conv_type_costs((8, 8), 6, 8, groups=4), "groups=4 must divide both"),
        (lambda: ar.conv_type_costs((8, 8), 6, 8, dilation=0), "dilation must be a positive"),
        (lambda: ar.densenet_channels(64, (6, 12), 32, compression=0), r"compression must be a number in \(0, 1\]"),
        (lambda: ar.densenet_channels(64, (6, 12), 32, compression=1.5), r"compression must be a number in \(0, 1\]"),
        (lambda: ar.densenet_channels(64, 6, 32), "blocks must be a non-empty list of layers per dense block"),
        (lambda: ar.densenet_channels(64, (), 32), "blocks must be a non-empty list"),
        (lambda: ar.densenet_channels(64, (6, 0), 32), r"blocks\[1\] \(layers in dense block 2\) must be a positive"),
        (lambda: ar.densenet_channels(64, (6,), 0), "growth_rate must be a positive integer"),
        (lambda: ar.densenet_channels(1, (1, 1), 1, compression=0.1), "leaves no channel after dense block 1"),
    ],
)
def test_bad_input_raises_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- parameters vs count_params() ---------------------------------------------------------------


@FEW
@given(
    fh=st.integers(1, 5),
    fw=st.integers(1, 5),
    groups=st.sampled_from([1, 2, 4]),
    c_in_per_group=st.integers(1, 4),
    c_out_per_group=st.integers(1, 4),
    bias=st.booleans(),
)
def test_conv_params_match_keras(fh, fw, groups, c_in_per_group, c_out_per_group, bias):
    c_in, c_out = c_in_per_group * groups, c_out_per_group * groups
    layer = keras.layers.Conv2D(c_out, (fh, fw), groups=groups, use_bias=bias)
    layer.build((None, 9, 9, c_in))
    assert ar.conv_params((fh, fw), c_in, c_out, bias=bias, groups=groups) == layer.count_params()


@FEW
@given(n_in=st.integers(1, 300), n_out=st.integers(1, 300), bias=st.booleans())
def test_dense_params_match_keras(n_in, n_out, bias):
    layer = keras.layers.Dense(n_out, use_bias=bias)
    layer.build((None, n_in))
    assert ar.dense_params(n_in, n_out, bias=bias) == layer.count_params()


def test_seed_parameter_counts_match_keras_models():
    model = keras.Sequential([keras.Input(shape=(150, 100, 3)), keras.layers.Conv2D(200, 5, padding="same")])
    assert ar.conv_params(5, 3, 200) == model.count_params() == 15_200
    assert model.output_shape[1:3] == ar.conv_output_shape((150, 100), 5, 1, "same")
    layer = keras.layers.Conv2D(64, 3, use_bias=False)
    layer.build((None, 32, 32, 128))
    assert ar.conv_params(3, 128, 64, bias=False) == layer.count_params() == 73_728
    b = ar.bottleneck_params(128, 32)
    assert (b.direct, b.reduce, b.conv, b.bottleneck) == (147_456, 4_096, 36_864, 40_960)
    assert b.ratio == pytest.approx(40_960 / 147_456)


@FEW
@given(
    h=st.integers(3, 12),
    f=st.integers(1, 3),
    s=st.integers(1, 3),
    groups=st.sampled_from([1, 2]),
    c_in_per_group=st.integers(1, 3),
    c_out_per_group=st.integers(1, 3),
)
def test_macs_match_a_real_convolution_of_ones(h, f, s, groups, c_in_per_group, c_out_per_group):
    """With all-ones input and filters (no padding, no bias) every product is 1, so the sum of
    all outputs of a real Keras layer is the number of multiply-accumulates."""
    c_in, c_out = c_in_per_group * groups, c_out_per_group * groups
    layer = keras.layers.Conv2D(c_out, f, strides=s, groups=groups, use_bias=False, kernel_initializer="ones")
    out = layer(np.ones((1, h, h, c_in), dtype="float32"))
    oh, ow = ar.conv_output_shape(h, f, s)
    assert ar.conv_macs(f, c_in, c_out, (oh, ow), groups=groups) == int(np.asarray(out).sum())


def test_macs_worked_example():
    assert ar.conv_macs(5, 3, 200, (150, 100)) == 225_000_000  # 000
    assert ar.conv_macs(5, 3, 200, (150, 100)) == ar.conv_params(5, 3, 200, bias=False) * 150 * 100


@FEW
@given(
    shape=st.lists(st.integers(1, 12), min_size=1, max_size=4).map(tuple),
    dtype=st.sampled_from(["float64", "float32", "float16", "int8", "uint8", "int32"]),
    batch=st.integers(1, 5),
)
def test_activation_bytes_match_numpy(shape, dtype, batch):
    assert ar.activation_bytes(shape, dtype, batch) == np.zeros((batch, *shape), dtype=dtype).nbytes
    assert ar.activation_bytes(shape, np.dtype(dtype), batch) == np.zeros((batch, *shape), dtype).nbytes


def test_bfloat16_and_mixed_policy_sizes():
    assert ar.dtype_bytes("bfloat16") == 2
    assert ar.dtype_bytes("mixed_float16") == 2
    x = keras.ops.zeros((2, 3), dtype="bfloat16")
    assert ar.dtype_bytes(str(x.dtype.name)) == 2


def test_format_bytes():
    assert ar.format_bytes(512) == "512 B"
    assert ar.format_bytes(2048) == "2.0 KiB"
    assert ar.format_bytes(12_000_000) == "11.4 MiB"
    assert ar.format_bytes(1_200_000_000) == "1.1 GiB"


# --- receptive fields vs brute force ------------------------------------------------------------


def _brute_force_field(layers):
    """Input indices that output 0 of the last layer depends on, found by walking back."""
    seen = {0}
    for f, s, d in reversed(layers):
        seen = {i * s + k * d for i in seen for k in range(f)}
    return seen


layer_st = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 3))


@FEW
@given(layers=st.lists(layer_st, min_size=1, max_size=5))
def test_receptive_field_matches_brute_force(layers):
    rf = ar.receptive_field(layers)
    seen = _brute_force_field(layers)
    assert rf.size == max(seen) - min(seen) + 1
    assert rf.jump == math.prod(s for _, s, _ in layers)
    assert [row.size for row in rf.layers] == [
        ar.receptive_field(layers[: i + 1]).size for i in range(len(layers))
    ]


@settings(max_examples=10, deadline=None)
@given(layers=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 2)), min_size=1, max_size=3))
def test_receptive_field_matches_tensorflow_gradient(layers):
    """Gradient of the first output of a real stack of 1-D convolutions w.r.t. its input."""
    import tensorflow as tf

    n = 1
    for f, s in reversed(layers):  # an input just large enough for one output
        n = (n - 1) * s + f
    x = tf.Variable(np.ones((1, n + 4, 1), dtype="float32"))
    with tf.GradientTape() as tape:
        y = x
        for f, s in layers:
            y = keras.ops.conv(y, np.ones((f, 1, 1), dtype="float32"), strides=s, padding="valid")
        target = y[0, 0, 0]
    grad = tape.gradient(target, x).numpy()[0, :, 0]
    touched = np.flatnonzero(grad)
    assert ar.receptive_field(layers).size == touched.max() - touched.min() + 1


def test_receptive_field_worked_examples():
    assert ar.receptive_field([(3, 1)] * 2).size == 5
    assert ar.receptive_field([(3, 1)] * 3).size == 7
    assert ar.receptive_field([(3, 1, 2)]).size == 5  # one dilated 3x3 spans 5x5
    rf = ar.receptive_field([(3, 1), (2, 2), (3, 1)])
    assert (rf.size, rf.jump) == (8, 2)
    assert "field" in rf.table() and len(rf.table().splitlines()) == 4


def test_input_window_is_stride_mapping():
    # 000: output (i, j) sees rows i*s_h ... i*s_h + f_h - 1
    for i in range(4):
        assert ar.input_window(i, 3, 2) == list(range(2 * i, 2 * i + 3))
    assert ar.input_window(0, 3, 1, pad_before=1) == [-1, 0, 1]
    assert ar.input_window(1, 3, 1, dilation=2) == [1, 3, 5]


# --- stacked convolutions and whole-model costs (notebook 08) ------------------------------------


@FEW
@given(n=st.integers(1, 6), c=st.integers(1, 16), f=st.sampled_from([1, 3, 5]), bias=st.booleans())
def test_stacked_convs_match_keras(n, c, f, bias):
    s = ar.stacked_convs(n, c, f, bias=bias)
    stack = keras.Sequential([keras.Input(shape=(40, 40, c))] + [keras.layers.Conv2D(c, f, use_bias=bias) for _ in range(n)])
    big = keras.Sequential([keras.Input(shape=(40, 40, c)), keras.layers.Conv2D(c, s.field, use_bias=bias)])
    assert s.field == ar.receptive_field([(f, 1)] * n).size == n * (f - 1) + 1
    assert (s.stacked, s.single) == (stack.count_params(), big.count_params())
    assert stack.output_shape == big.output_shape  # the same field shrinks a valid convolution by as much
    assert s.saved == s.single - s.stacked and s.ratio == pytest.approx(s.stacked / s.single)


def test_stacked_convs_worked_examples():
    # lecture notes / Hands-On ML ch. 14: two 3x3 = 18 C^2 vs 25 C^2, three 3x3 = 27 C^2 vs 49 C^2
    c = 64
    assert (ar.stacked_convs(2, c).stacked, ar.stacked_convs(2, c).single) == (18 * c * c, 25 * c * c)
    assert (ar.stacked_convs(3, c).stacked, ar.stacked_convs(3, c).single) == (27 * c * c, 49 * c * c)
    assert ar.stacked_convs(3, c).ratio == 27 / 49
    assert ar.stacked_convs(1, c).saved == 0


def _check_costs(model):
    costs = ar.layer_costs(model)
    body = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    assert len(costs) == len(body)
    for cost, layer in zip(costs, body, strict=True):
        assert cost.name == layer.name and cost.kind == type(layer).__name__
        assert cost.params == layer.count_params(), layer.name
        assert cost.output_shape == tuple(layer.output.shape[1:]), layer.name
        assert cost.output_bytes == 4 * math.prod(cost.output_shape)
    assert sum(c.params for c in costs) == model.count_params()
    return costs


@pytest.mark.keras
def test_layer_costs_match_the_course_models():
    from course_utils.architectures import lenet5, vgg
    from course_utils.models import bn_cnn, hands_on_cnn, session8_cnn

    for model in (session8_cnn(), hands_on_cnn(), bn_cnn(), lenet5(), lenet5(classic=False),
                  vgg(((1, 8), (2, 16)), (28, 28, 1), 10, dense=(32,))):
        _check_costs(model)
    costs = _check_costs(session8_cnn())
    # multiply-adds: 3x3 convolutions on 28, 14, 7 and 3 pixels, then the two dense layers
    expected = (ar.conv_macs(3, 1, 32, 28) + ar.conv_macs(3, 32, 32, 14) + ar.conv_macs(3, 32, 64, 7)
                + ar.conv_macs(3, 64, 64, 3) + 64 * 64 + 64 * 10)
    assert sum(c.macs for c in costs) == expected
    assert [c.field for c in costs if c.kind == "Conv2D"] == [3, 8, 18, 38]


@pytest.mark.keras
def test_layer_costs_field_strides_dilation_and_padding():
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(37, 33, 3)),
        layers.ZeroPadding2D(((1, 2), (0, 3))),
        layers.Conv2D(4, 5, strides=2, padding="same"),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.AveragePooling2D(3, strides=2),
        layers.Conv2D(6, 3, dilation_rate=2, use_bias=False, groups=2),
        layers.Dense(5),  # on a feature map: a 1x1 convolution, the field stays
        layers.GlobalAveragePooling2D(),
        layers.Dropout(0.1),
        layers.Dense(2),
    ])
    costs = _check_costs(model)
    fields = [c.field for c in costs]
    spatial = [(1, 1, 1), (5, 2, 1), (3, 2, 1), (3, 1, 2)]  # padding layer, conv, pool, dilated conv
    assert fields[:7] == [1, 5, 5, 5, ar.receptive_field(spatial[1:3]).size,
                          ar.receptive_field(spatial[1:]).size, ar.receptive_field(spatial[1:]).size]
    assert costs[6].jump == 4 and fields[7:] == [None, None, None]
    bn = costs[2]
    assert bn.params == 4 * 4 and bn.macs == 0
    assert costs[5].macs == ar.conv_macs(3, 4, 6, costs[5].output_shape[:2], groups=2)
    assert costs[6].macs == math.prod(costs[6].output_shape[:2]) * 6 * 5


@pytest.mark.keras
def test_layer_costs_vgg16_worked_numbers():
    from course_utils.architectures import VGG16, vgg

    model = vgg(VGG16)
    costs = _check_costs(model)
    by_name = {c.name: c for c in costs}
    assert sum(c.params for c in costs) == 138_357_544
    assert sum(c.macs for c in costs) == 15_470_264_320  # about 15.5 G multiply-adds per image
    # forward activations in float32: 57.6 MiB, plus the two Dropout layers' outputs (4,096 each)
    assert sum(c.output_bytes for c in costs) == 4 * (15_112_168 + 2 * 4096)
    assert by_name["fc1"].params == 102_764_544
    assert (by_name["block5_conv3"].field, by_name["block5_pool"].field) == (196, 212)
    assert ar.layer_costs(model, "float16")[0].output_bytes == 2 * 224 * 224 * 64


def _fake_layer(kind, **attributes):
    """A stand-in for a Keras layer: what layer_costs reads (class name, name, attributes)."""
    return type(kind, (), {"name": kind.lower(), **attributes})()


def _fake_model(input_shape, *layers):
    """A stand-in for a model whose layers Keras itself would refuse to chain."""
    from types import SimpleNamespace

    return SimpleNamespace(layers=list(layers), inputs=[SimpleNamespace(shape=(None, *input_shape))])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: ar.stacked_convs(0, 8), "num_convs must be a positive integer"),
        (lambda: ar.stacked_convs(2, 0), "channels must be a positive integer"),
        (lambda: ar.stacked_convs(2, 8, 0), "filter_size must be a positive integer"),
        (lambda: ar.layer_costs("vgg16"), "must be a built Keras model"),
        (lambda: ar.layer_costs(keras.Sequential([keras.Input(shape=(None, None, 3)), keras.layers.Conv2D(2, 3)])),
         r"fixed size \(H, W, C\)"),
        (lambda: ar.layer_costs(keras.Sequential([keras.Input(shape=(10, 4)), keras.layers.Conv1D(2, 3)])),
         r"fixed size \(H, W, C\)"),
        (lambda: ar.layer_costs(keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2DTranspose(2, 3)])),
         r"'conv2d_transpose.*' \(Conv2DTranspose\) has no formula"),
        (lambda: ar.layer_costs(_fake_model((8, 8, 1), _fake_layer("Flatten"),
                                            _fake_layer("MaxPooling2D", pool_size=(2, 2), strides=(2, 2),
                                                        padding="valid"))),
         r"'maxpooling2d' \(MaxPooling2D\) needs an \(H, W, C\) input"),
        (lambda: ar.layer_costs(_fake_model((8, 8, 1))), "no layers after its input"),
        (lambda: ar.layer_costs(keras.Sequential([keras.Input(shape=(8, 8, 1))])), "exactly one input"),
        (lambda: ar.layer_costs(keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Flatten()]), "half"),
         "unknown dtype 'half'"),
    ],
)
def test_notebook_08_helpers_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- convolution types (notebook 11) --------------------------------------------------------------


def test_the_docstring_examples_hold():
    import doctest

    assert doctest.testmod(ar, optionflags=doctest.ELLIPSIS).failed == 0


# Parameter counts do not depend on the initial values; zeros skip JAX's compiling a random kernel per shape.
ZEROS = {
    "Conv2D": {"kernel_initializer": "zeros"},
    "Conv2DTranspose": {"kernel_initializer": "zeros"},
    "DepthwiseConv2D": {"depthwise_initializer": "zeros"},
    "SeparableConv2D": {"depthwise_initializer": "zeros", "pointwise_initializer": "zeros"},
}


def _built(layer, c_in, hw=(9, 7)):
    """A layer's count_params() and output shape for one (H, W, C) input, without a (slow on JAX) model."""
    layer.build((1, *hw, c_in))
    return layer.count_params(), tuple(layer.compute_output_shape((1, *hw, c_in))[1:])


@pytest.mark.keras
@FEW
@given(f=st.integers(1, 5), c_in=st.integers(1, 12), m=st.integers(1, 3), c_out=st.integers(1, 12), bias=st.booleans())
def test_depthwise_and_separable_params_match_keras(f, c_in, m, c_out, bias):
    layers = keras.layers
    assert ar.depthwise_params(f, c_in, m, bias=bias) == _built(
        layers.DepthwiseConv2D(f, depth_multiplier=m, use_bias=bias, **ZEROS["DepthwiseConv2D"]), c_in)[0]
    assert ar.separable_params(f, c_in, c_out, m, bias=bias) == _built(
        layers.SeparableConv2D(c_out, f, depth_multiplier=m, use_bias=bias, **ZEROS["SeparableConv2D"]), c_in)[0]
    # a depthwise convolution is a grouped one with one group per input channel
    assert ar.depthwise_params(f, c_in, m, bias=bias) == ar.conv_params(f, c_in, c_in * m, bias=bias, groups=c_in)


@pytest.mark.keras
@pytest.mark.parametrize(("hw", "c_in", "c_out", "kwargs"), [
    ((8, 8), 16, 32, {}),
    ((7, 5), 6, 4, {"groups": 2, "dilation": 3, "depth_multiplier": 2, "stride": 3}),
    ((14, 14), 12, 24, {"filter_size": 5, "groups": 4, "stride": 2}),
    ((3, 9), 4, 8, {"filter_size": 1, "groups": 4, "dilation": 1, "stride": 1}),
])
def test_conv_type_costs_match_the_keras_layers(hw, c_in, c_out, kwargs):
    rows = ar.conv_type_costs(hw, c_in, c_out, **kwargs)
    assert [r.kind for r in rows] == ["normal", "pointwise", "depthwise", "depthwise separable", "grouped",
                                      "dilated", "transposed"]
    x = np.zeros((1, *hw, c_in), dtype="float32")
    for row in rows:
        layer = getattr(keras.layers, row.layer)(**row.kwargs, **ZEROS[row.layer])
        assert _built(layer, c_in, hw) == (row.params, row.output_shape), row.kind
        if row.kind != "dilated" or keras.backend.backend() != "tensorflow" or hw == (3, 9):
            assert tuple(layer(x).shape[1:]) == row.output_shape, row.kind
    by_kind = {r.kind: r for r in rows}
    f = kwargs.get("filter_size", 3)
    assert by_kind["dilated"].params == by_kind["normal"].params  # dilation spreads the same weights
    assert by_kind["dilated"].field == ar.effective_filter_size(f, kwargs.get("dilation", 2))
    assert by_kind["grouped"].params - c_out == (by_kind["normal"].params - c_out) // kwargs.get("groups", 2)
    assert by_kind["depthwise separable"].macs < by_kind["normal"].macs or f == 1


@pytest.mark.keras
@FEW
@given(h=st.integers(2, 8), f=st.integers(1, 3), c_in=st.integers(1, 3), m=st.integers(1, 2), c_out=st.integers(1, 3),
       s=st.integers(1, 2))
def test_separable_macs_match_convolutions_of_ones(h, f, c_in, m, c_out, s):
    """All-ones input and kernels, no bias, "valid": each output is the number of products that made it."""
    if f > h:
        return
    x = np.ones((1, h, h, c_in), dtype="float32")
    depthwise = keras.layers.DepthwiseConv2D(f, strides=s, depth_multiplier=m, use_bias=False,
                                             depthwise_initializer="ones")
    mid = depthwise(x)
    oh, ow = ar.conv_output_shape(h, f, s)
    assert ar.depthwise_macs(f, c_in, (oh, ow), m) == int(np.asarray(mid).sum())
    pointwise = keras.layers.Conv2D(c_out, 1, use_bias=False, kernel_initializer="ones")
    pointwise_macs = c_in * m * c_out * oh * ow
    assert int(np.asarray(pointwise(keras.ops.ones_like(mid))).sum()) == pointwise_macs
    assert ar.separable_macs(f, c_in, c_out, (oh, ow), m) == ar.depthwise_macs(f, c_in, (oh, ow), m) + pointwise_macs


transposed_cases = st.tuples(
    st.integers(1, 9), st.integers(1, 9),  # input height, width
    st.integers(1, 6), st.integers(1, 4),  # kernel, stride
    st.sampled_from(["valid", "same"]),
    st.integers(0, 3),  # output padding (used when < stride), or None when it is >= stride
    st.integers(1, 3),  # dilation (only at stride 1: Keras rejects both > 1)
)


@pytest.mark.keras
@settings(max_examples=40, deadline=None)
@given(transposed_cases)
def test_transposed_output_shape_matches_keras(case):
    h, w, f, s, padding, op, d = case
    d = d if s == 1 else 1
    op = op if op < s else None
    layer = keras.layers.Conv2DTranspose(2, f, strides=s, padding=padding, output_padding=op, dilation_rate=d,
                                         **ZEROS["Conv2DTranspose"])
    want = tuple(layer.compute_output_shape((1, h, w, 3))[1:3])
    if padding == "same" and op == 0 and ar.effective_filter_size(f, d) % 2 == 0:
        # Keras' formula says (I - 1) * S, which TensorFlow's kernel rejects: no "same" conv maps it back to I
        with pytest.raises(ValueError, match="maps back to"):
            ar.transposed_output_shape((h, w), f, s, padding, op, d)
        assert want == ((h - 1) * s, (w - 1) * s)
        return
    assert ar.transposed_output_shape((h, w), f, s, padding, op, d) == want
    if d == 1 or keras.backend.backend() != "tensorflow":  # TensorFlow's CPU kernel has no dilated transpose
        assert tuple(layer(np.zeros((1, h, w, 3), dtype="float32")).shape[1:3]) == want
    if op is None and padding == "same":
        assert want == (h * s, w * s)  # the inverse of a "same" convolution's ceil(I / S)
        assert ar.conv_output_shape(want, f, s, "same") == (h, w)


@pytest.mark.keras
def test_transposed_worked_examples_and_macs():
    assert ar.transposed_output_size(7, 3, 2, "same") == 14
    assert ar.transposed_output_size(7, 3, 2, "valid") == 15  # (7 - 1) * 2 + 3
    assert ar.transposed_output_size(7, 3, 2, "valid", 1) == 16
    assert ar.transposed_output_size(7, 2, 4, "valid") == 28  # stride > kernel: the gaps are kept
    assert ar.transposed_output_size(7, 3, 2, "same", 0) == 13  # (7 - 1) * 2 + 3 % 2 + 0
    assert ar.transposed_output_size(5, 3, 1, "valid", None, 2) == 9  # dilated kernel covers 5
    with pytest.raises(ValueError, match=r"output_padding = 12 outputs, which a 'same' convolution maps back to 6, not 7"):
        ar.transposed_output_size(7, 4, 2, "same", 0)
    assert ar.transposed_output_size(7, 4, 2, "same", 1) == 13 and ar.conv_output_shape(13, 4, 2, "same") == (7, 7)
    # a transposed convolution of ones: every input value is spread over FH*FW*C_out outputs
    x = np.ones((1, 4, 5, 3), dtype="float32")
    layer = keras.layers.Conv2DTranspose(2, 3, strides=2, use_bias=False, kernel_initializer="ones")
    assert int(np.asarray(layer(x)).sum()) == ar.transposed_macs(3, 3, 2, (4, 5)) == 3 * 3 * 3 * 2 * 4 * 5


# --- DenseNet channels (notebook 10) ----------------------------------------------------------------


def test_densenet_channels():
    rows = ar.densenet_channels(64, (6, 12, 24, 16), 32)  # DenseNet-121
    assert [r.channels_in for r in rows] == [64, 128, 256, 512]
    assert rows[0].layers == (96, 128, 160, 192, 224, 256)
    assert [(r.channels_out, r.transition) for r in rows] == [(256, 128), (512, 256), (1024, 512), (1024, None)]
    rows = ar.densenet_channels(24, (4, 4, 4), 12)  # small_densenet's defaults
    assert [(r.channels_out, r.transition) for r in rows] == [(72, 36), (84, 42), (90, None)]
    plain = ar.densenet_channels(16, (3, 3), 12, compression=1)  # DenseNet without compression
    assert [(r.channels_out, r.transition) for r in plain] == [(52, 52), (88, None)]
    assert ar.densenet_channels(10, (1, 1), 3, compression=0.5)[0].transition == 6  # floor(0.5 * 13)
