"""course_utils.explain: gradients on every backend, feature maps, saliency, Grad-CAM, occlusion (notebook 14).

Every explanation is checked on a model built by hand whose answer is known exactly: the "two
squares" model sees a red and a green square through a 3x3 convolution that copies each colour
to its own channel, keeps what is brighter than 0.5 (bias -0.5, ReLU) and scores class 0 by
the red channel's mean, class 1 by the green one's. So the evidence for class 1 is the green
square and nothing else. The tests marked ``keras`` run on TensorFlow and again on JAX (``make
unit-jax``). Two run on TensorFlow only, those on the course's CNNs and on the cached ImageNet
MobileNet: on JAX, building those models is most of their cost (every weight initializer is
compiled: 10-20 s for MobileNet on 2 busy cores), and what they check beyond the small models (the
layer found in real graphs, nested and flat) does not depend on the backend.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from course_utils import explain
from course_utils.gradcheck import numerical_gradient, relative_error

L = keras.layers

SIZE = 16
RED, GREEN = (slice(2, 6), slice(2, 6)), (slice(10, 14), slice(8, 12))  # rows, columns of each square


def two_squares_image(seed: int = 0) -> np.ndarray:
    """(16, 16, 2): faint noise in [0, 0.3] (below the 0.5 threshold) with a red and a green square of 1."""
    image = np.random.default_rng(seed).uniform(0, 0.3, (SIZE, SIZE, 2)).astype(np.float32)
    image[RED + (0,)] = 1.0
    image[GREEN + (1,)] = 1.0
    return image


def in_square(square) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    mask[square] = True
    return mask


def two_squares_model(head: str = "dense-softmax", gain: float = 1.0):
    """Sequential: features (Conv2D 3x3 + ReLU) -> pool (2x2 average) -> gap -> head (Dense 2) [-> softmax].

    The average pooling keeps the mean, so class k's logit is ``gain`` times the mean of
    ``max(colour_k - 0.5, 0)`` over the image: 1/32 for one 4x4 square and gain 1.
    """
    features = L.Conv2D(2, 3, padding="same", activation="relu", name="features")
    layers = [keras.Input((SIZE, SIZE, 2)), features, L.AveragePooling2D(2, name="pool"),
              L.GlobalAveragePooling2D(name="gap")]  # fmt: skip
    dense = L.Dense(2, activation="softmax" if head == "dense-softmax" else None, name="head")
    layers.append(dense)
    if head == "activation":
        layers.append(L.Activation("softmax", name="probabilities"))
    elif head == "softmax-layer":
        layers.append(L.Softmax(name="probabilities"))
    model = keras.Sequential(layers, name=f"two_squares_{head.replace('-', '_')}")
    kernel = np.zeros((3, 3, 2, 2), dtype=np.float32)
    kernel[1, 1] = np.eye(2)  # the centre tap copies colour c to channel c
    features.set_weights([kernel, np.full(2, -0.5, dtype=np.float32)])
    dense.set_weights([gain * np.eye(2, dtype=np.float32), np.zeros(2, dtype=np.float32)])
    return model


@pytest.fixture(scope="module")
def squares():
    return two_squares_model()


# --- gradients ------------------------------------------------------------------------------------
@pytest.mark.keras
def test_gradient_is_the_analytic_one_on_this_backend():
    assert keras.backend.backend() == os.environ.get("KERAS_BACKEND", "tensorflow")
    rng = np.random.default_rng(0)
    w = np.arange(1, 7, dtype=np.float32)
    dense = keras.Sequential([keras.Input((6,)), L.Dense(1, use_bias=False)])
    dense.set_weights([w[:, None]])
    x = rng.normal(size=(3, 6)).astype(np.float32)
    value, grad = explain.value_and_input_gradient(lambda t: dense(t, training=False)[:, 0], x)
    np.testing.assert_allclose(value, x @ w, rtol=1e-5)  # one score per sample...
    np.testing.assert_allclose(grad, np.tile(w, (3, 1)), rtol=1e-6)  # ...and each sample's own d(w.x)/dx = w
    c = np.linspace(-1, 1, 6, dtype=np.float32)
    grad = explain.input_gradient(lambda t: keras.ops.sum(c * t**2), x)  # a quadratic: 2 c x
    np.testing.assert_allclose(grad, 2 * c * x, rtol=1e-6)
    grad = explain.input_gradient(lambda t: keras.ops.sum(t[:, :2]), x)  # ignored inputs: zero, not None
    np.testing.assert_array_equal(grad, np.c_[np.ones((3, 2)), np.zeros((3, 4))])
    assert grad.dtype == np.float32 and isinstance(grad, np.ndarray)


@pytest.mark.keras
def test_gradient_through_batch_norm_in_inference_mode_matches_central_differences():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((5, 5, 2)), L.Conv2D(3, 3, padding="same"), L.BatchNormalization(), L.Activation("tanh"),
        L.Dropout(0.5), L.Flatten(), L.Dense(2),
    ])  # fmt: skip
    bn = model.layers[1]
    bn.moving_mean.assign(np.array([0.3, -0.2, 0.1], dtype=np.float32))
    bn.moving_variance.assign(np.array([2.0, 0.5, 1.5], dtype=np.float32))
    x = np.random.default_rng(2).normal(size=(1, 5, 5, 2))

    def score(t):
        return model(t, training=False)[:, 1]

    grad = explain.input_gradient(score, x)
    numeric = numerical_gradient(lambda: float(model.predict_on_batch(x.astype(np.float32))[0, 1]), x, h=1e-2)
    assert relative_error(grad, numeric) < 1e-3  # float32 model: central differences agree to ~1e-4
    np.testing.assert_array_equal(explain.input_gradient(score, x), grad)  # dropout off: the same twice
    np.testing.assert_allclose(np.asarray(bn.moving_mean), [0.3, -0.2, 0.1])  # statistics not updated


@pytest.mark.keras
def test_torch_branch_when_pytorch_is_installed():
    pytest.importorskip("torch", reason="PyTorch is not installed: the torch branch of value_and_input_gradient is not run here")
    code = textwrap.dedent("""
        import keras, numpy as np
        from course_utils import explain
        assert keras.backend.backend() == "torch"
        x = np.arange(6, dtype=np.float32).reshape(2, 3)
        value, grad = explain.value_and_input_gradient(lambda t: keras.ops.sum(t**2, axis=1), x)
        np.testing.assert_allclose(value, (x**2).sum(1)); np.testing.assert_allclose(grad, 2 * x)
        np.testing.assert_array_equal(explain.input_gradient(lambda t: keras.ops.sum(t[:, 0]), x)[:, 1:], 0)
        print("ok")
    """)
    env = dict(os.environ, KERAS_BACKEND="torch")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-2000:]


# --- feature_model -------------------------------------------------------------------------------------
def _chain():
    return [L.Conv2D(3, 3, padding="same", activation="relu", name="c1"), L.MaxPooling2D(name="p1"),
            L.Flatten(name="flat"), L.Dense(4, name="out")]  # fmt: skip


def _with_input():
    return keras.Sequential([keras.Input((8, 8, 2)), *_chain()])


def _built():
    model = keras.Sequential(_chain())
    model.build((None, 8, 8, 2))  # no keras.Input: model.input and model.output raise in Keras 3
    return model


def _called():
    model = keras.Sequential(_chain())
    model(np.zeros((5, 8, 8, 2), dtype=np.float32))  # built by a first call on a batch of 5
    return model


def _functional():
    inputs = keras.Input((8, 8, 2))
    x = inputs
    for layer in _chain():
        x = layer(x)
    return keras.Model(inputs, x)


@pytest.mark.keras
@pytest.mark.parametrize("build", [_with_input, _built, _called, _functional])
def test_feature_model_on_sequential_and_functional_models(build):
    model = build()
    x = np.random.default_rng(0).normal(size=(2, 8, 8, 2)).astype(np.float32)
    conv, pooled = explain.feature_model(model, ["c1", "p1"])(x)
    c1 = model.get_layer("c1")
    np.testing.assert_allclose(conv, c1(x), rtol=1e-5, atol=1e-6)  # the model's own layer: same weights
    np.testing.assert_allclose(pooled, model.get_layer("p1")(c1(x)), rtol=1e-5, atol=1e-6)
    single = explain.feature_model(model, "out")  # one name: one output, any batch size
    np.testing.assert_allclose(single.predict(x[:1], verbose=0), model(x[:1]), rtol=1e-5, atol=1e-6)
    assert single.count_params() == model.count_params()  # shares weights, copies nothing
    assert explain.layer_names(model) == ["c1", "p1", "flat", "out"]
    with pytest.raises(ValueError, match="has no layer named 'conv1'; expected one of: c1, p1, flat, out"):
        explain.feature_model(model, "conv1")


@pytest.mark.keras
def test_feature_model_reaches_into_nested_models_and_rejects_unbuilt_ones(squares):
    inner = two_squares_model()
    nested_seq = keras.Sequential([keras.Input((SIZE, SIZE, 2)), inner], name="outer")
    inputs = keras.Input((SIZE, SIZE, 2))
    nested_fn = keras.Model(inputs, inner(inputs, training=False))
    x = two_squares_image()[None]
    expected = np.maximum(x - 0.5, 0)  # the features layer: each colour above its threshold
    for model in (squares, nested_seq, nested_fn):
        np.testing.assert_allclose(explain.feature_model(model, "features")(x), expected, atol=1e-6)
    assert "features" in explain.layer_names(nested_seq)
    with pytest.raises(ValueError, match="has not been built.*keras.Input"):
        explain.feature_model(keras.Sequential(_chain()), "c1")
    with pytest.raises(ValueError, match="layer_names is empty"):
        explain.feature_model(squares, [])


@pytest.mark.keras
def test_last_conv_layer_skips_pooling_dropout_and_flatten(squares):
    assert explain.last_conv_layer(squares) == "features"  # not the pooling after it
    bn_style = keras.Sequential([
        keras.Input((SIZE, SIZE, 2)), L.Conv2D(2, 3, use_bias=False), L.BatchNormalization(), L.ReLU(name="act"),
        L.MaxPooling2D(2), L.Dropout(0.25), L.Flatten(), L.Dense(2),
    ])  # fmt: skip
    assert explain.last_conv_layer(bn_style) == "act"
    with pytest.raises(ValueError, match="no layer with a 4-D output"):
        explain.last_conv_layer(keras.Sequential([keras.Input((4,)), L.Dense(2)]))


def test_last_conv_layer_of_the_course_cnns():
    # TensorFlow only: on JAX, building these models is most of the cost (each initializer is compiled).
    from course_utils.models import bn_cnn, session8_cnn

    s8 = session8_cnn((16, 16, 1))
    assert explain.last_conv_layer(s8) == [la.name for la in s8.layers if isinstance(la, L.Conv2D)][-1]
    bn = bn_cnn((8, 8, 1), filters=(4,), dense=8)  # ... ReLU, MaxPooling2D, Dropout, Flatten ...
    assert explain.last_conv_layer(bn) == [la.name for la in bn.layers if isinstance(la, L.ReLU)][-2]
    cam = explain.grad_cam(s8, np.random.default_rng(0).uniform(size=(16, 16, 1)), 3)
    assert cam.shape == (16, 16) and 0 <= cam.min() and cam.max() <= 1


# --- saliency ------------------------------------------------------------------------------------------
@pytest.mark.keras
def test_saliency_is_exactly_the_green_square_for_class_1(squares):
    image = two_squares_image()
    sal = explain.saliency(squares, image, 1)
    # d logit_1 / d green pixel = 1/256 where the pixel is above the threshold, else 0 (GAP of 256 pixels)
    np.testing.assert_allclose(sal, in_square(GREEN) / SIZE**2, atol=1e-7)
    np.testing.assert_allclose(explain.saliency(squares, image, 0), in_square(RED) / SIZE**2, atol=1e-7)
    batch = explain.saliency(squares, np.stack([image, image]), [1, 0])  # one class per image
    np.testing.assert_allclose(batch, [sal, in_square(RED) / SIZE**2], atol=1e-7)


@pytest.mark.keras
@pytest.mark.parametrize("head", ["dense-softmax", "activation", "softmax-layer"])
def test_saliency_of_a_saturated_softmax_is_tiny(head):
    model = two_squares_model(head, gain=256.0)
    image = two_squares_image()
    image[RED + (0,)] = 0.0  # only the green square: logits (0, 256 / 32) = (0, 8)
    p1 = 1 / (1 + np.exp(-8.0))  # 0.99966: the model is sure
    np.testing.assert_allclose(np.asarray(model(image[None]))[0, 1], p1, rtol=1e-6)
    logit = explain.saliency(model, image, 1)  # the default: the score before the softmax
    prob = explain.saliency(model, image, 1, logits=False)
    np.testing.assert_allclose(logit, 256 * in_square(GREEN) / SIZE**2, atol=1e-6)
    # dp1/dx = p1 (1 - p1) dz1/dx here (z0 ignores the green pixels): the same map, 3,000 times smaller
    np.testing.assert_allclose(prob, p1 * (1 - p1) * logit, rtol=2e-3, atol=1e-9)
    assert prob.max() < 1e-3 * logit.max()


@pytest.mark.keras
def test_saliency_predicted_class_and_a_model_without_softmax():
    model = two_squares_model("logits")
    image = two_squares_image()
    image[RED + (0,)] = 0.0
    np.testing.assert_allclose(explain.saliency(model, image), explain.saliency(model, image, 1))  # predicted: 1
    np.testing.assert_allclose(explain.saliency(model, image, 1, logits=False), explain.saliency(model, image, 1))


# --- Grad-CAM ------------------------------------------------------------------------------------------
@pytest.mark.keras
def test_grad_cam_weights_the_channel_of_the_class(squares):
    image = two_squares_image()
    # At "features" (16x16, no resizing): alpha = (0, 1/256) for class 1, so the map is the green
    # channel's activation (0.5 on the square, 0 elsewhere) divided by its maximum.
    np.testing.assert_allclose(explain.grad_cam(squares, image, 1), in_square(GREEN), atol=1e-6)
    np.testing.assert_allclose(explain.grad_cam(squares, image, 0, "features"), in_square(RED), atol=1e-6)
    # At "pool" (8x8), upsampled bilinearly to 16x16: highest on the square, 0 far from it, in [0, 1].
    cam = explain.grad_cam(squares, image, 1, "pool")
    assert cam.shape == (SIZE, SIZE) and cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    assert np.unravel_index(cam.argmax(), cam.shape) in {(r, c) for r in range(10, 14) for c in range(8, 12)}
    assert cam[RED].max() == 0
    coarse = explain.grad_cam(squares, image[None], 1, "pool", upsample=False)
    np.testing.assert_allclose(coarse[0], in_square(GREEN)[::2, ::2], atol=1e-6)


@pytest.mark.keras
def test_grad_cam_on_nested_and_functional_graphs(squares):
    image = two_squares_image()
    expected = explain.grad_cam(squares, image, 1)
    inner = two_squares_model()
    outer = keras.Sequential([keras.Input((SIZE, SIZE, 2)), inner])
    inputs = keras.Input((SIZE, SIZE, 2))
    branch = L.Conv2D(2, 1, name="bypass")(inputs)  # a branch around the explained layer
    functional = keras.Model(inputs, L.Add()([inner(inputs), L.GlobalAveragePooling2D()(branch) * 0.0]))
    for model in (outer, functional):
        assert explain.last_conv_layer(model) in ("features", "bypass")
        np.testing.assert_allclose(explain.grad_cam(model, image, 1, "features"), expected, atol=1e-6)
    # No class evidence at all (no green square): an all-zero map, not NaN.
    blank = two_squares_image()
    blank[GREEN + (1,)] = 0.0
    np.testing.assert_array_equal(explain.grad_cam(squares, blank, 1), 0.0)


def test_grad_cam_on_the_cached_imagenet_mobilenet():
    from course_utils import pretrained
    from course_utils.data import sample_image

    if not os.path.exists(os.path.join(pretrained.keras_home(), "models", "mobilenet_2_5_224_tf.h5")):
        pytest.fail("the Keras cache lacks models/mobilenet_2_5_224_tf.h5; point KERAS_HOME at a copy of the cache")
    model = pretrained.build("MobileNet-0.25")
    x = pretrained.prepare(sample_image("chelsea"), "MobileNet-0.25")
    assert explain.last_conv_layer(model) == "conv_pw_13_relu"
    cam = explain.grad_cam(model, x[0])  # the predicted class (a cat), before the softmax
    assert cam.shape == (224, 224) and cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    nested = keras.Sequential([keras.Input((224, 224, 3)), model])
    np.testing.assert_allclose(explain.grad_cam(nested, x[0]), cam, atol=1e-4)


# --- occlusion ----------------------------------------------------------------------------------------
@pytest.mark.keras
def test_occlusion_finds_the_green_square(squares):
    image = two_squares_image()
    drop = explain.occlusion_map(squares, image, 1, patch=4, stride=2)
    assert drop.shape == (SIZE, SIZE)
    assert in_square(GREEN)[np.unravel_index(drop.argmax(), drop.shape)]
    assert drop[GREEN].mean() > 0 > drop[RED].mean()  # hiding red helps class 1
    grid = explain.occlusion_map(squares, image, 1, patch=4, stride=2, resolution="grid")
    assert grid.shape == (7, 7)  # corners 0, 2, ..., 12
    np.testing.assert_allclose(grid[:, 6:], 0, atol=1e-6)  # patches at column 12: neither square
    assert grid[5, 4] == grid.max() > 0  # the patch at (10, 8) hides the whole green square


@pytest.mark.keras
def test_occlusion_with_a_function_matches_the_score_by_hand():
    image = np.arange(7 * 9, dtype=np.float32).reshape(7, 9, 1)

    def brightness_of_the_corner(batch):  # "class" 0: the mean of the top-left 2x2 pixels
        return batch[:, :2, :2, 0].mean(axis=(1, 2))[:, None]

    grid = explain.occlusion_map(brightness_of_the_corner, image, 0, patch=(2, 3), stride=(2, 4), fill=0.0,
                                 resolution="grid")
    assert grid.shape == (4, 3)  # rows 0, 2, 4 and 5 (flush with the bottom edge); columns 0, 4, 6
    expected = np.zeros((4, 3), dtype=np.float32)
    expected[0, 0] = image[:2, :2, 0].mean()  # only the first patch covers the corner
    np.testing.assert_allclose(grid, expected)
    full = explain.occlusion_map(brightness_of_the_corner, image, 0, patch=(2, 3), stride=(2, 3), fill=0.0)
    assert full.shape == (7, 9) and full[0, 0] == expected[0, 0] and full[6, 8] == 0 and np.all(np.isfinite(full))
    with pytest.raises(ValueError, match=r"stride \(2, 4\) is larger than patch \(2, 3\).*resolution='grid'"):
        explain.occlusion_map(brightness_of_the_corner, image, 0, patch=(2, 3), stride=(2, 4))


# --- activation maximization -----------------------------------------------------------------------------
@pytest.mark.keras
def test_maximize_activation_draws_stripes_for_a_vertical_edge_filter(squares):
    edges = L.Conv2D(1, 3, padding="same", activation="relu", name="edges")
    model = keras.Sequential([keras.Input((SIZE, SIZE, 1)), edges, L.GlobalAveragePooling2D(), L.Dense(2)])
    kernel = np.zeros((3, 3, 1, 1), dtype=np.float32)
    kernel[:, 0], kernel[:, 2] = -1.0, 1.0  # right column minus left column: a vertical edge
    edges.set_weights([kernel, np.array([0.1], dtype=np.float32)])
    run = explain.maximize_activation(model, "edges", 0, steps=20, lr=0.05, seed=0)
    assert run.image.shape == (SIZE, SIZE, 1) and run.history.shape == (21,)
    assert run.history[0] < 0.3 and run.history[-1] > 0.8 and run.gain > 0.5
    assert np.all(np.diff(run.history) > -1e-6)  # each step went uphill
    assert 0 <= run.image.min() and run.image.max() <= 1
    image = run.image[..., 0]
    across, down = np.abs(np.diff(image, axis=1)).mean(), np.abs(np.diff(image, axis=0)).mean()
    assert across > 5 * down  # vertical stripes: the image changes across columns, hardly down them
    smooth = explain.maximize_activation(model, "edges", 0, steps=5, jitter=2, blur=0.7, seed=1)
    assert smooth.gain > 0
    red = explain.maximize_activation(squares, "head", 0, steps=5)  # a Dense unit: class 0's logit
    assert red.gain > 0 and np.all(red.image[..., 1] < 0.56)  # only red helps class 0


# --- bad input ------------------------------------------------------------------------------------------
@pytest.mark.keras
def test_bad_input_is_explained(squares):
    image = two_squares_image()
    with pytest.raises(ValueError, match=r"class_index must be an integer in \[0, 2\) \(the model has 2 classes\), got 2"):
        explain.saliency(squares, image, 2)
    with pytest.raises(ValueError, match=r"in \[0, 2\).*got -1"):
        explain.grad_cam(squares, image, -1)
    with pytest.raises(ValueError, match="one integer per image"):
        explain.saliency(squares, np.stack([image] * 3), [0, 1])
    with pytest.raises(ValueError, match=r"x must be one image \(H, W, C\) or a batch \(N, H, W, C\), got shape \(16, 16\)"):
        explain.saliency(squares, image[..., 0], 1)
    with pytest.raises(ValueError, match=r"takes images of shape \(16, 16, 2\), got x of shape \(16, 16, 3\)"):
        explain.grad_cam(squares, np.zeros((16, 16, 3)), 1)
    with pytest.raises(ValueError, match="no layer named 'conv'; expected one of: features, pool, gap, head"):
        explain.grad_cam(squares, image, 1, "conv")
    with pytest.raises(ValueError, match=r"4-D output \(N, H, W, C\).*'gap' outputs shape \(None, 2\).*'features'"):
        explain.grad_cam(squares, image, 1, "gap")
    with pytest.raises(ValueError, match=r"patch \(20, 20\) is larger than the image \(16, 16\)"):
        explain.occlusion_map(squares, image, 1, patch=20)
    with pytest.raises(ValueError, match="stride must be a positive integer, got 0"):
        explain.occlusion_map(squares, image, 1, stride=0)
    with pytest.raises(ValueError, match=r"image must be one image \(H, W, C\)"):
        explain.occlusion_map(squares, np.stack([image] * 2), 1)
    with pytest.raises(ValueError, match="fill must be 'mean', a number or one number per channel"):
        explain.occlusion_map(squares, image, 1, fill=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="resolution must be one of 'input', 'grid'"):
        explain.occlusion_map(squares, image, 1, resolution="pixels")
    with pytest.raises(ValueError, match="steps must be a positive integer, got 0"):
        explain.maximize_activation(squares, "features", 0, steps=0)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        explain.maximize_activation(squares, "features", 0, lr=-1)
    with pytest.raises(ValueError, match="blur .* must be a number in"):
        explain.maximize_activation(squares, "features", 0, blur=-1.0)
    with pytest.raises(ValueError, match="value_range must be .low, high., two numbers with low < high"):
        explain.maximize_activation(squares, "features", 0, value_range=(1, 0))
    with pytest.raises(ValueError, match="jitter must be a non-negative integer"):
        explain.maximize_activation(squares, "features", 0, jitter=-1)
    with pytest.raises(ValueError, match=r"filter_index must be an integer in \[0, 2\) \(layer 'features' has 2 filters\)"):
        explain.maximize_activation(squares, "features", 2)
    with pytest.raises(ValueError, match="takes 16x16 images, got size=.32, 32."):
        explain.maximize_activation(squares, "features", 0, size=32)
    with pytest.raises(ValueError, match="model must be a Keras model"):
        explain.saliency(lambda b: b, image, 1)
