"""course_utils.architectures: exact parameter counts of the famous networks, on every backend."""

import numpy as np
import pytest

from course_utils import architectures as arch

pytestmark = pytest.mark.keras  # `make test` runs these on TensorFlow and again on JAX


def _conv(f, c_in, c_out, groups=1):
    return f * f * (c_in // groups) * c_out + c_out


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
    import keras

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
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    assert np.isfinite(float(model.train_on_batch(x, np.arange(8))))
    path = tmp_path / "small_googlenet.keras"
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


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
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
