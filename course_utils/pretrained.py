"""Pretrained ImageNet models from ``keras.applications``, with the right size and preprocessing (notebooks 12 and 13).

* :data:`APPLICATIONS`: the models the course compares, each with its input size, its
  ``preprocess_input`` and its published ImageNet top-1 accuracy (with the source).
* :func:`build`: one named application, ImageNet weights by default, through Keras' own
  download (``$KERAS_HOME/models``); offline without the file it raises
  :class:`~course_utils.data.DataUnavailableError` naming the file, like the data loaders.
* :func:`prepare`: photos -> centre crop -> resize -> ``preprocess_input`` of *that* model.
* :func:`decode` / :func:`classify`: ``decode_predictions`` top-k tables (the 1000 ImageNet labels).
* :func:`weight_depth`, :func:`model_macs`, :func:`weights_megabytes`, :func:`inference_ms`,
  :func:`cost_table`: what a student weighs when choosing a model, counted and measured.

Keras is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_utils import arithmetic
from course_utils.checks import positive_int
from course_utils.data import _fetch
from course_utils.runtime import keras_home

KERAS_TABLE = "Keras Applications table (keras.io/api/applications), ImageNet validation top-1"


@dataclass(frozen=True)
class Application:
    """One ``keras.applications`` model as the course uses it (notebook 12).

    ``constructor``: the function in ``keras.applications``; ``module``: the sub-module whose
    ``preprocess_input`` belongs to it; ``size``: the input side the weights were trained at;
    ``options``: extra constructor arguments (a width multiplier ``alpha``); ``top1``: published
    ImageNet top-1 accuracy in percent, from ``source``.
    """

    name: str
    constructor: str
    module: str
    size: int
    options: tuple[tuple[str, float], ...]
    top1: float
    source: str

    @property
    def kwargs(self) -> dict:
        return dict(self.options)


def _app(name, constructor, module, size, top1, source=KERAS_TABLE, **options) -> Application:
    return Application(name, constructor, module, size, tuple(options.items()), top1, source)


APPLICATIONS: dict[str, Application] = {
    a.name: a
    for a in (
        # The three whose ImageNet weights are in the course's offline cache (see ../shared/data/README.md).
        _app("MobileNet-0.25", "MobileNet", "mobilenet", 224, 50.6,
             "Howard et al. 2017, MobileNets, Table 6 (0.25 MobileNet-224)", alpha=0.25),
        _app("MobileNetV2-0.35", "MobileNetV2", "mobilenet_v2", 224, 60.3,
             "TF-slim MobileNetV2 checkpoint table (mobilenet_v2_0.35_224)", alpha=0.35),
        _app("MobileNetV2-0.35-128", "MobileNetV2", "mobilenet_v2", 128, 50.8,
             "TF-slim MobileNetV2 checkpoint table (mobilenet_v2_0.35_128)", alpha=0.35),
        # Full-size models: built with weights=None here to count and time them.
        _app("MobileNet", "MobileNet", "mobilenet", 224, 70.4),
        _app("MobileNetV2", "MobileNetV2", "mobilenet_v2", 224, 71.3),
        _app("EfficientNetB0", "EfficientNetB0", "efficientnet", 224, 77.1),
        _app("DenseNet121", "DenseNet121", "densenet", 224, 75.0),
        _app("ResNet50", "ResNet50", "resnet50", 224, 74.9),
        _app("InceptionV3", "InceptionV3", "inception_v3", 299, 77.9),
        _app("Xception", "Xception", "xception", 299, 79.0),
        _app("ConvNeXtTiny", "ConvNeXtTiny", "convnext", 224, 81.3),
        _app("VGG16", "VGG16", "vgg16", 224, 71.3),
    )
}  # fmt: skip

# What each family's preprocess_input does to RGB pixels in [0, 255] (checked in the tests).
PREPROCESS_MODES = {
    "mobilenet": "tf", "mobilenet_v2": "tf", "inception_v3": "tf", "xception": "tf",
    "resnet50": "caffe", "vgg16": "caffe", "densenet": "torch",
    "efficientnet": "none", "convnext": "none",
}  # fmt: skip
MODE_MEANING = {
    "tf": "scale to [-1, 1]: x / 127.5 - 1",
    "caffe": "RGB -> BGR, subtract the ImageNet mean per channel (no scaling)",
    "torch": "scale to [0, 1], subtract the ImageNet mean and divide by its std per channel",
    "none": "nothing: the model rescales inside (its first layers)",
}


def application(name: str) -> Application:
    """The :class:`Application` called ``name`` (a key of :data:`APPLICATIONS`) (notebook 12)."""
    if name not in APPLICATIONS:
        raise ValueError(f"unknown application {name!r}; expected one of: {', '.join(APPLICATIONS)}")
    return APPLICATIONS[name]


def preprocess_function(name: str):
    """The ``preprocess_input`` of application ``name``'s family, e.g. ``keras.applications.mobilenet`` (notebook 12).

    It expects RGB pixels in [0, 255]; see :data:`PREPROCESS_MODES` for what it does.
    """
    import keras

    return getattr(keras.applications, application(name).module).preprocess_input


def build(name: str, *, weights: str | None = "imagenet", include_top: bool = True, input_size: int | None = None,
          pooling: str | None = None, classes: int = 1000):
    """A ``keras.applications`` model by course name, e.g. ``build("MobileNet-0.25")`` (notebooks 12 and 13).

    ``weights="imagenet"`` downloads the weights through Keras once (into ``$KERAS_HOME/models``);
    offline, with the file missing, :class:`~course_utils.data.DataUnavailableError` names the
    file and how to provide it. ``weights=None`` builds the same architecture with random
    weights (enough to count and time it). ``input_size`` defaults to the size the weights were
    trained at; ``include_top=False`` with ``pooling="avg"`` gives the feature extractor
    ``(B, S, S, 3) -> (B, C)`` of transfer learning.
    """
    import keras

    app = application(name)
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None (random), got {weights!r}")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")
    size = app.size if input_size is None else positive_int("input_size", input_size)
    if size < 32:
        raise ValueError(f"input_size must be at least 32 pixels for keras.applications, got {size}")
    if include_top and weights == "imagenet" and size != app.size:
        raise ValueError(
            f"{name}'s ImageNet classifier takes {app.size}x{app.size} inputs, got input_size={size}; "
            "resize the photos (prepare() does) or use include_top=False"
        )
    constructor = getattr(keras.applications, app.constructor)
    kwargs = dict(app.kwargs, weights=weights, include_top=include_top, input_shape=(size, size, 3), pooling=pooling)
    if include_top:
        kwargs["classes"] = positive_int("classes", classes)
    return _fetch(f"{name} ImageNet weights", lambda: constructor(**kwargs), files=(), subdir="models")


def _as_batch(images) -> np.ndarray:
    """Photos as a float32 batch (N, H, W, 3) in [0, 255]: float input must be in [0, 1], uint8 in [0, 255]."""
    if isinstance(images, list | tuple):
        if not images:
            raise ValueError("images is empty; expected at least one (H, W, 3) photo")
        shapes = {np.shape(im) for im in images}
        if len(shapes) != 1:  # photos of different sizes: prepare each alone
            raise ValueError(f"photos of different sizes must be prepared one by one, got shapes {sorted(shapes)}")
    x = np.asarray(images)
    if x.ndim == 3:
        x = x[np.newaxis]
    if x.ndim != 4 or x.shape[-1] != 3:
        raise ValueError(f"images must be (H, W, 3) or (N, H, W, 3) RGB, got shape {x.shape}")
    if x.dtype == np.uint8:
        return x.astype(np.float32)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"images must be uint8 in [0, 255] or float in [0, 1], got dtype {x.dtype}")
    if not np.all(np.isfinite(x)) or x.min() < 0 or x.max() > 1:
        raise ValueError(
            f"float images must be in [0, 1] (as course_utils.data.sample_image gives), got values in "
            f"[{np.nanmin(x):g}, {np.nanmax(x):g}]; divide by 255 first, or pass uint8"
        )
    return x.astype(np.float32) * 255.0


def center_crop(images) -> np.ndarray:
    """The largest centred square of each photo: ``(N, H, W, C) -> (N, S, S, C)``, ``S = min(H, W)`` (notebook 12)."""
    x = np.asarray(images)
    if x.ndim != 4:
        raise ValueError(f"images must be (N, H, W, C), got shape {x.shape}")
    h, w = x.shape[1:3]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return x[:, top:top + s, left:left + s]


def prepare(images, name: str, *, input_size: int | None = None, crop: bool = True, preprocess: bool = True) -> np.ndarray:
    """Photos ready for application ``name``: ``(N, S, S, 3)`` float32 (notebook 12).

    ``images``: one photo ``(H, W, 3)`` or a batch ``(N, H, W, 3)``, uint8 in [0, 255] or float in
    [0, 1]. Steps: centre crop to a square (``crop``; otherwise the photo is squashed), bilinear
    resize to ``input_size`` (default: the model's), then the model's own ``preprocess_input``
    (``preprocess=False`` stops at pixels in [0, 255], to show what skipping it does).
    """
    import keras

    app = application(name)
    size = app.size if input_size is None else positive_int("input_size", input_size)
    x = _as_batch(images)
    if crop:
        x = center_crop(x)
    x = np.asarray(keras.ops.convert_to_numpy(keras.ops.image.resize(x, (size, size), interpolation="bilinear")))
    x = np.clip(x, 0.0, 255.0).astype(np.float32)
    return np.asarray(preprocess_function(name)(x.copy()), dtype=np.float32) if preprocess else x


def load_photo(path: str) -> np.ndarray:
    """A photo file (JPEG, PNG, ...) as float32 ``(H, W, 3)`` in [0, 1], to pass to :func:`prepare` (notebook 12)."""
    import keras

    if not os.path.isfile(path):
        raise ValueError(f"no photo at {path!r}; expected the path of a JPEG or PNG file")
    return keras.utils.img_to_array(keras.utils.load_img(path, color_mode="rgb")) / 255.0


def decode(probabilities, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """The ``top`` ImageNet classes of each row of ``probabilities: (N, 1000)`` as ``(wnid, label, p)`` (notebook 12).

    Keras' ``decode_predictions``, which reads the 1000 labels from ``imagenet_class_index.json``
    (downloaded once into ``$KERAS_HOME/models``; offline without it: DataUnavailableError).
    """
    import keras

    p = np.asarray(probabilities)
    if p.ndim != 2 or p.shape[1] != 1000:
        raise ValueError(f"probabilities must be (N, 1000) ImageNet scores, got shape {p.shape}")
    top = positive_int("top", top)
    rows = _fetch(
        "ImageNet class labels",
        lambda: keras.applications.imagenet_utils.decode_predictions(p, top=top),
        files=("models/imagenet_class_index.json",),
    )
    return [[(str(w), str(label), float(s)) for w, label, s in row] for row in rows]


def classify(model, name: str, images, top: int = 5, *, crop: bool = True) -> list[list[tuple[str, str, float]]]:
    """Top-``top`` ImageNet labels of photos with an ImageNet classifier built by :func:`build` (notebook 12)."""
    x = prepare(images, name, input_size=int(model.input_shape[1]), crop=crop)
    return decode(model.predict(x, verbose=0), top)


# --- what a model costs (notebook 12) ------------------------------------------------------------

_WEIGHT_LAYERS = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Dense")


def _parents(layer) -> list:
    node = layer._inbound_nodes[0] if layer._inbound_nodes else None
    return [] if node is None else [parent.operation for parent in node.parent_nodes]


def _check_model(model):
    if not hasattr(model, "layers") or not hasattr(model, "count_params"):
        raise ValueError(f"model must be a built Keras model, got {type(model).__name__}")


def weight_depth(model) -> int:
    """Weight layers (convolutions and Dense) on the longest input-to-output path (notebook 12).

    The way networks are named: VGG16 has 16, ResNet50 50 (its 1x1 projection shortcuts sit
    beside the main path, not on it). Nested models count their own longest path.
    """
    import keras

    _check_model(model)
    depth: dict[int, int] = {}
    # A functional model's operations include the raw ops between layers (``x + y`` in ConvNeXt's blocks),
    # which ``model.layers`` leaves out: walking only the layers would break the path at every such op.
    for layer in getattr(model, "operations", model.layers):
        own = weight_depth(layer) if isinstance(layer, keras.Model) else int(type(layer).__name__ in _WEIGHT_LAYERS)
        depth[id(layer)] = own + max((depth.get(id(p), 0) for p in _parents(layer)), default=0)
    return max(depth.values(), default=0)


def model_macs(model) -> int:
    """Multiply-accumulates for one image: every convolution and Dense layer, branches included (notebook 12).

    Counted with :mod:`course_utils.arithmetic`'s formulas from each layer's input and output
    shapes (needs a fixed input size); biases, BN, activations and pooling are not counted.
    """
    import keras

    _check_model(model)
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if isinstance(layer, keras.Model):
            total += model_macs(layer)
            continue
        if kind not in _WEIGHT_LAYERS:
            continue
        inp, out = tuple(layer.input.shape[1:]), tuple(layer.output.shape[1:])
        if any(s is None for s in inp + out):
            raise ValueError(f"layer {layer.name!r} has no fixed shape ({inp} -> {out}); build the model with input_shape")
        if kind == "Dense":
            total += math.prod(inp[:-1]) * inp[-1] * layer.units
        elif kind == "Conv2D":
            total += arithmetic.conv_macs(layer.kernel_size, inp[-1], layer.filters, out[:2], groups=layer.groups)
        elif kind == "DepthwiseConv2D":
            total += arithmetic.depthwise_macs(layer.kernel_size, inp[-1], out[:2], layer.depth_multiplier)
        elif kind == "SeparableConv2D":
            total += arithmetic.separable_macs(layer.kernel_size, inp[-1], layer.filters, out[:2], layer.depth_multiplier)
        else:  # Conv2DTranspose
            total += arithmetic.transposed_macs(layer.kernel_size, inp[-1], layer.filters, inp[:2])
    return total


def weights_megabytes(model) -> float:
    """Size of all weights (moving statistics included) in MB (10^6 bytes), each in its own dtype (notebook 12)."""
    _check_model(model)
    return sum(math.prod(w.shape) * arithmetic.dtype_bytes(w.dtype) for w in model.weights) / 1e6


def inference_ms(model, batch_size: int = 1, *, repeats: int = 5, seed: int = 0) -> float:
    """Median wall time of one ``predict_on_batch`` call, in milliseconds per image (notebook 12).

    A random batch of the model's input shape; one untimed call first (it traces and compiles).
    """
    _check_model(model)
    batch_size = positive_int("batch_size", batch_size)
    repeats = positive_int("repeats", repeats)
    shape = tuple(model.input_shape[1:])
    if any(s is None for s in shape):
        raise ValueError(f"model input must have a fixed shape to time it, got {shape}")
    x = np.random.default_rng(seed).uniform(-1, 1, (batch_size, *shape)).astype(np.float32)
    model.predict_on_batch(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict_on_batch(x)
        times.append(time.perf_counter() - start)
    return 1000.0 * float(np.median(times)) / batch_size


@dataclass(frozen=True)
class ModelCost:
    """One row of :func:`cost_table` (notebook 12)."""

    name: str
    input_size: int
    params: int
    weights_mb: float
    depth: int
    macs: int
    ms_per_image: dict[int, float]  # batch size -> median ms per image
    top1: float
    source: str


def cost_table(names: Sequence[str], *, batch_sizes: Sequence[int] = (1, 32), repeats: int = 3) -> list[ModelCost]:
    """Parameters, weight size, depth, multiply-adds and measured speed of named applications (notebook 12).

    Each model is built with ``weights=None`` (speed does not depend on the weights' values),
    with its top (1000 classes) at its own input size, timed by :func:`inference_ms` for each
    batch size, then released.
    """
    import keras

    names = list(names)
    for name in names:
        application(name)
    sizes = [positive_int("batch size", b) for b in batch_sizes]
    if not names or not sizes:
        raise ValueError("need at least one application name and one batch size")
    rows = []
    for name in names:
        app = application(name)
        model = build(name, weights=None)
        rows.append(ModelCost(name, app.size, int(model.count_params()), weights_megabytes(model),
                              weight_depth(model), model_macs(model),
                              {b: inference_ms(model, b, repeats=repeats) for b in sizes}, app.top1, app.source))
        del model
        keras.backend.clear_session()
    return rows


def cached_weights() -> list[str]:
    """File names of the ImageNet weights already in the Keras cache (``$KERAS_HOME/models``) (notebook 12)."""
    folder = os.path.join(keras_home(), "models")
    return sorted(f for f in os.listdir(folder) if f.endswith(".h5")) if os.path.isdir(folder) else []
