"""course_utils.architectures: exact parameter counts of the famous networks, on every backend."""

import numpy as np
import pytest

from course_utils import architectures as arch

pytestmark = pytest.mark.keras  # `make test` runs these on TensorFlow and again on JAX


def _trains_and_round_trips(model, x_shape, path, *, optimizer="sgd", rtol=1e-5):
    """One training step gives a finite loss; the .keras file reloads to the same predictions.

    SGD by default: Adam takes about 5x longer to trace on a tiny model.
    """
    import keras

    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random(x_shape, dtype=np.float32)
    assert np.isfinite(float(model.train_on_batch(x, np.arange(x_shape[0]))))
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=rtol, atol=1e-6)


def _conv(f, c_in, c_out, groups=1):
    return f * f * (c_in // groups) * c_out + c_out


def _full_size_counts_on_tensorflow_only():
    """Skip on JAX: a full-size network's counts do not depend on the backend, and JAX's CPU compiles a random
    initializer for every new weight shape (10-40 s per network). The small variants of the same builders
    train a step and round-trip on JAX below."""
    import keras

    if keras.backend.backend() == "jax":
        pytest.skip("TensorFlow only: full-size counts do not depend on the backend; the small variant runs on JAX")


def test_lenet5_counts_61706_and_trains_a_step():
    import keras

    by_hand = _conv(5, 1, 6) + _conv(5, 6, 16) + _conv(5, 16, 120) + (120 * 84 + 84) + (84 * 10 + 10)
    classic, modern = arch.lenet5(), arch.lenet5(classic=False)
    assert by_hand == 61_706 == classic.count_params() == modern.count_params()
    assert classic.get_layer("pad_to_32").output.shape[1:3] == (32, 32)
    assert classic.get_layer("C5").output.shape[1:] == (1, 1, 120)
    assert [classic.get_layer(n).activation.__name__ for n in ("C1", "C3", "C5", "F6")] == ["tanh"] * 4
    assert isinstance(modern.get_layer("S2"), keras.layers.MaxPooling2D)
    classic.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    loss = classic.train_on_batch(np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32), np.arange(8))
    assert np.isfinite(float(loss))


def test_alexnet_counts_with_and_without_the_two_gpu_split():
    one = arch.alexnet(lrn=False)
    assert one.get_layer("conv1").output.shape[1:] == (55, 55, 96)
    assert one.get_layer("pool5").output.shape[1:] == (6, 6, 256)
    head = (6 * 6 * 256 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)
    convs = _conv(11, 3, 96) + _conv(3, 256, 384)
    assert one.count_params() == convs + _conv(5, 96, 256) + _conv(3, 384, 384) + _conv(3, 384, 256) + head
    assert one.count_params() == 62_378_344
    two = arch.alexnet(groups=2)  # with LRN, which has no weights
    assert 5 * 5 * 48 * 256 == 307_200 and 11 * 11 * 3 * 96 == 34_848  # the lecture notes' numbers
    assert two.count_params() == convs + _conv(5, 96, 256, 2) + _conv(3, 384, 384, 2) + _conv(3, 384, 256, 2) + head
    assert two.count_params() == 60_965_224  # the paper's "60 million parameters"


@pytest.mark.parametrize(("blocks", "expected"), [(arch.VGG16, 138_357_544), (arch.VGG19, 143_667_240)])
def test_vgg_matches_keras_applications(blocks, expected):
    import keras

    _full_size_counts_on_tensorflow_only()

    ours = arch.vgg(blocks)
    assert ours.count_params() == expected
    app = {arch.VGG16: keras.applications.VGG16, arch.VGG19: keras.applications.VGG19}[blocks]
    assert app(weights=None).count_params() == expected
    assert ours.get_layer("block5_pool").output.shape[1:] == (7, 7, 512)


def test_small_vgg_on_28x28():
    model = arch.vgg(((1, 16), (1, 32)), input_shape=(28, 28, 1), num_classes=10, dense=(64,))
    assert model.output_shape == (None, 10)
    assert model.count_params() == _conv(3, 1, 16) + _conv(3, 16, 32) + (7 * 7 * 32 * 64 + 64) + (64 * 10 + 10)


def test_googlenet_modules_and_count():
    _full_size_counts_on_tensorflow_only()
    model = arch.googlenet()
    modules = dict(entry for entry in arch.GOOGLENET_MODULES if entry != "pool")
    widths = {name: f[0] + f[2] + f[4] + f[5] for name, f in modules.items()}
    assert widths["3a"] == 256 and widths["3b"] == 480 and widths["4e"] == 832 and widths["5b"] == 1024
    assert model.get_layer("inception_5b").output.shape[1:] == (7, 7, 1024)
    assert model.count_params() == 6_998_552


def _inception(c_in, f):
    """Parameters of an inception module with filters f = (#1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj)."""
    f1, r3, f3, r5, f5, pp = f
    return (_conv(1, c_in, f1) + _conv(1, c_in, r3) + _conv(3, r3, f3) + _conv(1, c_in, r5) + _conv(5, r5, f5)
            + _conv(1, c_in, pp))


def test_small_googlenet_shapes_count_and_a_training_step(tmp_path):

    model = arch.small_googlenet()
    shapes = {layer.name: tuple(layer.output.shape[1:]) for layer in model.layers}
    assert shapes["stem"] == (28, 28, 32) and shapes["pool1"] == (14, 14, 32)
    assert shapes["inception_a"] == (14, 14, 64) and shapes["pool2"] == (7, 7, 64)
    assert [shapes[f"inception_{n}"] for n in "bcd"] == [(7, 7, 224), (7, 7, 320), (7, 7, 416)]
    assert shapes["global_pool"] == (416,) and model.output_shape == (None, 10)
    channels, by_hand = 32, _conv(3, 1, 32)
    for entry in arch.SMALL_GOOGLENET_MODULES:
        if entry != "pool":
            f = entry[1]
            by_hand += _inception(channels, f)
            channels = f[0] + f[2] + f[4] + f[5]
    by_hand += channels * 10 + 10
    assert by_hand == model.count_params() == 467_642
    _trains_and_round_trips(model, (8, 28, 28, 1), tmp_path / "small_googlenet.keras", optimizer="adam", rtol=1e-6)


def test_small_googlenet_options():
    modules = (("a", (4, 4, 8, 2, 4, 4)), "pool", ("b", (8, 8, 8, 2, 4, 4)), "pool", ("c", (8, 8, 8, 2, 4, 4)))
    model = arch.small_googlenet((32, 32, 3), 5, stem=16, modules=modules, dropout=0.0)
    assert model.get_layer("inception_a").output.shape[1:] == (16, 16, 20)
    assert model.get_layer("inception_c").output.shape[1:] == (4, 4, 24)
    assert model.output_shape == (None, 5)
    assert model.count_params() == (_conv(3, 3, 16) + _inception(16, modules[0][1]) + _inception(20, modules[2][1])
                                    + _inception(24, modules[4][1]) + 24 * 5 + 5)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: arch.lenet5((16, 16, 1)), r"at least 28x28"),
        (lambda: arch.lenet5(num_classes=1), r"num_classes must be an integer >= 2"),
        (lambda: arch.alexnet(groups=3), r"groups must be 1 .* or 2"),
        (lambda: arch.alexnet((32, 32, 3)), r"at least 67x67"),
        (lambda: arch.vgg(((2, 64),) * 6, input_shape=(28, 28, 1)), r"at least 64x64 pixels"),
        (lambda: arch.vgg(((2, 0),)), r"block 1 \(convolutions, filters\) \(width\) must be a positive integer"),
        (lambda: arch.vgg(dense=4096), r"dense must be a list"),
        (lambda: arch.googlenet((16, 16, 3)), r"at least 32x32"),
        (lambda: arch.googlenet(dropout=1.0), r"dropout must be a number in \[0, 1\)"),
        (lambda: arch.vgg_block(0, 64), r"num_convs must be a positive integer"),
        (lambda: arch.small_googlenet((2, 2, 1)), r"needs at least 4x4 pixels, got \(2, 2\)"),
        (lambda: arch.small_googlenet(num_classes=1), r"num_classes must be an integer >= 2"),
        (lambda: arch.small_googlenet(stem=0), r"stem \(filters of the first convolution\) must be a positive integer"),
        (lambda: arch.small_googlenet(modules=("pool",)), r"at least one module"),
        (lambda: arch.small_googlenet(modules="pool"), r"modules must be a list"),
        (lambda: arch.small_googlenet(modules=(("a", (1, 2, 3)),)), r"modules\[0\] must be 'pool' or \(name, "),
        (lambda: arch.small_googlenet(modules=("avg", ("a", (1, 1, 1, 1, 1, 1)))), r"modules\[0\] must be 'pool'"),
        (lambda: arch.small_googlenet(modules=(("a", (1, 2, 3, 4, 5, 0)),)),
         r"modules\[0\] \('a'\) filter counts must be a positive integer, got 0"),
        (lambda: arch.small_googlenet(dropout=-0.1), r"dropout must be a number in \[0, 1\)"),
        (lambda: arch.resnet34(num_classes=1), r"num_classes must be an integer >= 2"),
        (lambda: arch.resnet34((224, 224)), r"input_shape must be \(height, width, channels\)"),
        (lambda: arch.resnet50(stages=()), r"stages must be a non-empty list of \(filters, units\) pairs"),
        (lambda: arch.resnet50(stages=((64, 0),)), r"stages\[0\] \(filters, units\) \(width\) must be a positive"),
        (lambda: arch.cifar_resnet(21), r"depth must be 6n \+ 2 for 3 stages .* \(8, 14, 20, 32, 56, \.\.\.\), got 21"),
        (lambda: arch.cifar_resnet(2), r"depth must be 6n \+ 2"),
        (lambda: arch.cifar_resnet(20.0), r"depth must be 6n \+ 2"),
        (lambda: arch.cifar_resnet(20, widths=(16, 32)), r"depth must be 4n \+ 2 for 2 stages"),
        (lambda: arch.cifar_resnet(20, widths=(16, 0, 64)), r"widths\[1\] \(filters of stage 2\) must be a positive"),
        (lambda: arch.cifar_resnet(20, widths=16), r"widths must be a non-empty list"),
        (lambda: arch.cifar_resnet(20, residual="no"), r"residual must be True \(ResNet\) or False"),
        (lambda: arch.cifar_resnet(20, shortcut=None), r"shortcut must be one of 'zero_pad', 'projection'"),
        (lambda: arch.cifar_resnet(20, se_ratio=0), r"se_ratio .* must be a positive integer"),
        (lambda: arch.cifar_resnet(20, num_classes=1), r"num_classes must be an integer >= 2"),
        (lambda: arch.densenet(input_shape=(28, 28, 1)), r"at least 32x32, got \(28, 28\)"),
        (lambda: arch.densenet(blocks=()), r"blocks must be a non-empty list of layers per dense block"),
        (lambda: arch.densenet(growth_rate=0), r"growth_rate must be a positive integer"),
        (lambda: arch.densenet(compression=0), r"compression must be a number in \(0, 1\]"),
        (lambda: arch.small_densenet(blocks=(4, 0)), r"blocks\[1\] \(layers in dense block 2\) must be a positive"),
        (lambda: arch.small_densenet((2, 2, 1)), r"2 transitions halve the input 2 times: it needs at least 4x4"),
        (lambda: arch.small_densenet(stem=0), r"stem \(filters of the first convolution\) must be a positive"),
        (lambda: arch.small_densenet(bottleneck=1), r"bottleneck must be True \(DenseNet-B\) or False"),
        (lambda: arch.small_densenet(compression=1.5), r"compression must be a number in \(0, 1\]"),
        (lambda: arch.dense_block(0, 12), r"num_layers must be a positive integer"),
        (lambda: arch.dense_block(2, 0), r"growth_rate \(k, new channels per layer\) must be a positive"),
        (lambda: arch.transition_block(0), r"compression .* must be in \(0, 1\]"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# --- ResNet (notebook 10) -------------------------------------------------------------------------


def _bn(c):
    return 4 * c  # gamma, beta, moving mean, moving variance: count_params() counts all four


def _unit(c_in, f, projects):
    """Parameters of a ResidualUnit: two 3x3 convolutions without bias, two BNs, maybe a 1x1 projection + BN."""
    return 9 * c_in * f + 9 * f * f + 2 * _bn(f) + ((c_in * f + _bn(f)) if projects else 0)


def _split(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return model.count_params(), trainable, model.count_params() - trainable


def test_resnet34_is_the_notes_network_with_21306826_parameters():
    from course_utils.layers import ResidualUnit

    model = arch.resnet34()
    assert _split(model) == (21_306_826, 21_289_802, 17_024)  # the seed's summary; 17,024 = moving mean + variance
    units = [layer for layer in model.layers if isinstance(layer, ResidualUnit)]
    assert [u.filters for u in units] == list(arch.RESNET34_UNITS) == [64] * 3 + [128] * 4 + [256] * 6 + [512] * 3
    assert [u.name for u in units if u.strides == 2] == ["conv3_1", "conv4_1", "conv5_1"]
    assert [u.name for u in units if u.skip_conv is not None] == ["conv3_1", "conv4_1", "conv5_1"]
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[:4] == ["Conv2D", "BatchNormalization", "Activation", "MaxPooling2D"]
    assert kinds[-3:] == ["GlobalAveragePooling2D", "Flatten", "Dense"]
    conv1 = model.get_layer("conv1")
    assert (conv1.filters, conv1.kernel_size, conv1.strides, conv1.use_bias) == (64, (7, 7), (2, 2), False)
    assert model.get_layer("pool1").output.shape[1:] == (56, 56, 64)
    assert model.get_layer("conv5_3").output.shape[1:] == (7, 7, 512)
    assert model.output_shape == (None, 10)
    c_in, by_hand = 64, 7 * 7 * 3 * 64 + _bn(64)
    for f in arch.RESNET34_UNITS:
        by_hand += _unit(c_in, f, f != c_in)
        c_in = f
    assert by_hand + 512 * 10 + 10 == 21_306_826


def test_resnet50_counts_and_shapes():
    from course_utils.layers import BottleneckUnit

    _full_size_counts_on_tensorflow_only()

    model = arch.resnet50()
    # keras.applications.ResNet50's 25,636,712 less its 26,560 convolution biases (test_keras_applications_counts)
    assert _split(model) == (25_610_152, 25_557_032, 53_120)
    units = [layer for layer in model.layers if isinstance(layer, BottleneckUnit)]
    assert [u.name for u in units if u.skip_conv is not None] == ["conv2_1", "conv3_1", "conv4_1", "conv5_1"]
    assert [model.get_layer(f"conv{s}_1").output.shape[1:] for s in (2, 3, 4, 5)] == [
        (56, 56, 256), (28, 28, 512), (14, 14, 1024), (7, 7, 2048)]


@pytest.mark.parametrize(("depth", "params"), [(20, 270_810), (56, 856_794)])
def test_cifar_resnet_and_its_plain_twin(depth, params):
    from course_utils.layers import ResidualUnit

    residual, plain = arch.cifar_resnet(depth), arch.cifar_resnet(depth, residual=False)
    assert residual.count_params() == plain.count_params() == params  # option A shortcuts have no weights
    assert (residual.name, plain.name) == (f"resnet{depth}", f"plain{depth}")
    n = (depth - 2) // 6
    for model, shortcut in ((residual, "zero_pad"), (plain, None)):
        units = [layer for layer in model.layers if isinstance(layer, ResidualUnit)]
        assert len(units) == 3 * n and {u.shortcut for u in units} == {shortcut}
        assert 2 * len(units) + 2 == depth  # two convolutions per unit, the first convolution, the classifier
        assert [u.filters for u in units] == [16] * n + [32] * n + [64] * n
        assert [u.name for u in units if u.strides == 2] == ["stage2_unit1", "stage3_unit1"]
        assert [model.get_layer(f"stage{s}_unit{n}").output.shape[1:] for s in (1, 2, 3)] == [
            (28, 28, 16), (14, 14, 32), (7, 7, 64)]
    c_in, by_hand = 16, 9 * 1 * 16 + _bn(16) + 64 * 10 + 10
    for f in [16] * n + [32] * n + [64] * n:
        by_hand += _unit(c_in, f, False)
        c_in = f
    assert by_hand == params
    projected = arch.cifar_resnet(depth, shortcut="projection")  # two 1x1 projections (16->32, 32->64) + BN
    assert projected.count_params() == params + (16 * 32 + _bn(32)) + (32 * 64 + _bn(64))


def test_cifar_resnet_options_training_step_and_round_trip(tmp_path):

    se = arch.cifar_resnet(8, se_ratio=4)
    assert se.name == "se_resnet8" and se.get_layer("stage3_unit1").se_ratio == 4
    assert se.count_params() == arch.cifar_resnet(8).count_params() + sum(
        2 * c * (c // 4) + c // 4 + c for c in (16, 32, 64))
    # 2 stages of 2 units (depth 2*2*2 + 2), with the weight shapes of resnet20 above: on JAX every new shape
    # costs seconds of compiling a random initializer
    model = arch.cifar_resnet(10, (8, 8, 1), 5, widths=(16, 32), name="tiny")
    assert model.output_shape == (None, 5) and model.get_layer("stage2_unit2").output.shape[1:] == (4, 4, 32)
    _trains_and_round_trips(model, (4, 8, 8, 1), tmp_path / "tiny.keras")


# --- DenseNet (notebook 10) -------------------------------------------------------------------------


def _dense_channels(model):
    """Channels after each dense layer and each transition of one of our DenseNets, in order."""
    from course_utils.layers import DenseLayer, TransitionLayer

    return [layer.output.shape[-1] for layer in model.layers if isinstance(layer, DenseLayer | TransitionLayer)]


def _expected_channels(rows):
    return [c for row in rows for c in (*row.layers, *([row.transition] if row.transition else []))]


def test_densenet121_counts_and_channels():
    from course_utils.arithmetic import densenet_channels

    _full_size_counts_on_tensorflow_only()

    model = arch.densenet()
    assert model.name == "densenet121"
    assert _split(model) == (8_062_504, 7_978_856, 83_648)  # as keras.applications.DenseNet121 (below)
    assert _dense_channels(model) == _expected_channels(densenet_channels(64, arch.DENSENET121, 32))
    assert model.get_layer("pool1").output.shape[1:] == (56, 56, 64)
    assert model.get_layer("dense4_layer16").output.shape[1:] == (7, 7, 1024)


def test_small_densenet_shapes_and_count():
    from course_utils.arithmetic import densenet_channels

    model = arch.small_densenet()
    rows = densenet_channels(24, (4, 4, 4), 12)
    assert _dense_channels(model) == _expected_channels(rows)
    assert [model.get_layer(f"transition{i}").output.shape[1:] for i in (1, 2)] == [(14, 14, 36), (7, 7, 42)]
    assert model.get_layer("global_pool").output.shape[1:] == (90,)
    assert model.count_params() == 105_190 and model.output_shape == (None, 10)


def test_small_densenet_options_training_step_and_round_trip(tmp_path):

    from course_utils.arithmetic import densenet_channels

    model = arch.small_densenet((8, 8, 1), 4, blocks=(2, 2), compression=1.0, bottleneck=False, stem=12)
    assert _dense_channels(model) == _expected_channels(densenet_channels(12, (2, 2), 12, 1.0)) == [24, 36, 36, 48, 60]
    assert model.output_shape == (None, 4) and model.count_params() == (
        9 * 12 + sum(_bn(c) + 9 * c * 12 for c in (12, 24, 36, 48)) + _bn(36) + 36 * 36 + _bn(60) + 60 * 4 + 4)
    _trains_and_round_trips(model, (4, 8, 8, 1), tmp_path / "densenet.keras")
    assert len(arch.dense_block(3, 4, name="b")) == 3 and arch.dense_block(3, 4, name="b")[2].name == "b_layer3"
    assert arch.transition_block(0.5, name="t").compression == 0.5


@pytest.mark.parametrize("name", ["ResNet50", "DenseNet121", "Xception"])
def test_keras_applications_counts(name):
    """The numbers notebooks 10 and 11 quote, and how our builders relate to them (weights=None: no download)."""
    import keras

    from course_utils.arithmetic import densenet_channels

    _full_size_counts_on_tensorflow_only()

    model = getattr(keras.applications, name)(weights=None)
    expected = {"ResNet50": 25_636_712, "DenseNet121": 8_062_504, "Xception": 22_910_480}[name]
    assert model.count_params() == expected
    if name == "ResNet50":  # our resnet50 has no biases in the convolutions that BN follows
        biases = sum(layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
        assert biases == 26_560 and expected - biases == 25_610_152 and _split(model)[2] == 53_120
    if name == "DenseNet121":  # the channel counts our densenet() reproduces
        rows = densenet_channels(64, arch.DENSENET121, 32)
        assert [model.get_layer(f"pool{i}_pool").output.shape[-1] for i in (2, 3, 4)] == [r.transition for r in rows[:3]]
        assert model.get_layer("conv5_block16_concat").output.shape[-1] == rows[-1].channels_out == 1024
        assert _split(model)[2] == 83_648
