"""Builders of the famous CNNs, to count, inspect and (small versions) train (Part III, notebooks 07-09).

* :func:`lenet5` - LeCun et al. (1998): C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84, 10 outputs;
  ``classic=True`` with tanh and average pooling, ``False`` with ReLU and max pooling (notebook 07);
* :func:`alexnet` - Krizhevsky et al. (2012), with LRN and optional two-group ("two-GPU")
  convolutions (notebook 07);
* :func:`vgg_block`, :func:`vgg` - Simonyan and Zisserman (2015): blocks of 3x3 convolutions and
  a 2x2 pooling; ``VGG16`` / ``VGG19`` are configurations of :func:`vgg` (notebook 08);
* :func:`googlenet` - Szegedy et al. (2015), Inception v1 without the auxiliary classifiers
  (notebook 09);
* :func:`small_googlenet` - a GoogLeNet-style network for 28x28 images (stem, inception modules,
  global average pooling), small enough to train on a CPU (notebook 09).

The full-size networks are built to count and inspect (``count_params()``, ``summary()``), not
to be trained on a 2-core CPU; the notebooks train small versions on 28x28 images. Builders
import Keras when called and return uncompiled models; the output softmax is float32 under
mixed precision, like :mod:`course_utils.models`.
"""

from __future__ import annotations

from course_utils.checks import fraction, image_shape, int_pair, positive_int
from course_utils.checks import num_classes as check_num_classes

__all__ = [
    "GOOGLENET_MODULES", "SMALL_GOOGLENET_MODULES", "VGG16", "VGG19",
    "alexnet", "googlenet", "lenet5", "small_googlenet", "vgg", "vgg_block",
]  # fmt: skip

# (convolutions, filters) per block
VGG16 = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
VGG19 = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))

# Szegedy et al. (2015), table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj; "pool" = 3x3/2 max pooling
GOOGLENET_MODULES = (
    ("3a", (64, 96, 128, 16, 32, 32)),
    ("3b", (128, 128, 192, 32, 96, 64)),
    "pool",
    ("4a", (192, 96, 208, 16, 48, 64)),
    ("4b", (160, 112, 224, 24, 64, 64)),
    ("4c", (128, 128, 256, 24, 64, 64)),
    ("4d", (112, 144, 288, 32, 64, 64)),
    ("4e", (256, 160, 320, 32, 128, 128)),
    "pool",
    ("5a", (256, 160, 320, 32, 128, 128)),
    ("5b", (384, 192, 384, 48, 128, 128)),
)

# Notebook 09's small GoogLeNet for 28x28 images, in the same format: one module at 14x14, three at
# 7x7 (where the same module does a quarter of the work), each a quarter to a tenth of the width
# of GoogLeNet's modules, with the same proportions (3x3 reduce below #3x3, a narrow 5x5 branch)
SMALL_GOOGLENET_MODULES = (
    ("a", (16, 24, 32, 4, 8, 8)),
    "pool",
    ("b", (64, 48, 96, 12, 32, 32)),
    ("c", (96, 64, 128, 16, 48, 48)),
    ("d", (128, 80, 160, 24, 64, 64)),
)


def lenet5(input_shape=(28, 28, 1), num_classes: int = 10, *, classic: bool = True, name: str | None = None):
    """LeNet-5 (notebook 07). 28x28 inputs are zero-padded by 2 to LeCun's 32x32.

    ``classic=True``: tanh and 2x2 average pooling (LeCun's subsampling layers had a trainable
    weight and bias per map, 12 and 32 parameters; Keras' pooling has none), C3 connected to all
    six maps (LeCun's table connected each C3 map to some of them: 1,516 instead of 2,416
    parameters). ``classic=False``: ReLU and max pooling. 61,706 parameters for 10 classes.
    """
    import keras
    from keras import layers

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    if min(shape[:2]) < 28:
        raise ValueError(f"LeNet-5 needs inputs of at least 28x28 (padded to 32x32), got {shape[:2]}")
    act, pool = ("tanh", layers.AveragePooling2D) if classic else ("relu", layers.MaxPooling2D)
    pad = [layers.ZeroPadding2D(2, name="pad_to_32")] if shape[:2] == (28, 28) else []
    return keras.Sequential([
        keras.Input(shape=shape),
        *pad,
        layers.Conv2D(6, 5, activation=act, name="C1"),
        pool(2, name="S2"),
        layers.Conv2D(16, 5, activation=act, name="C3"),
        pool(2, name="S4"),
        layers.Conv2D(120, 5, activation=act, name="C5"),
        layers.Flatten(),
        layers.Dense(84, activation=act, name="F6"),
        layers.Dense(classes, activation="softmax", dtype="float32", name="output"),
    ], name=name or ("lenet5" if classic else "lenet5_modern"))


def alexnet(input_shape=(227, 227, 3), num_classes: int = 1000, *, groups: int = 1, lrn: bool = True,
            dropout: float = 0.5, name: str = "alexnet"):
    """AlexNet (notebook 07): five convolutions and three dense layers, 62,378,344 parameters.

    ``groups=2`` splits conv2, conv4 and conv5 into two halves that see only their own half of the
    channels, as the paper's two GPUs did (60,965,224 parameters, the paper's "60 million");
    ``lrn`` puts :class:`~course_utils.layers.LocalResponseNormalization` after conv1 and conv2.
    The paper's 224x224 input only works out with 227 (or padding); that is the default here.
    """
    import keras
    from keras import layers

    from course_utils.layers import LocalResponseNormalization

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    if groups not in (1, 2):
        raise ValueError(f"groups must be 1 (one GPU) or 2 (the paper's two GPUs), got {groups!r}")
    fraction("dropout", dropout)
    if min(shape[:2]) < 67:
        raise ValueError(f"AlexNet's strides and poolings need inputs of at least 67x67, got {shape[:2]}")

    def norm(n):
        return [LocalResponseNormalization(2, 2.0, 1e-4, 0.75, name=f"lrn{n}")] if lrn else []

    return keras.Sequential([
        keras.Input(shape=shape),
        layers.Conv2D(96, 11, strides=4, activation="relu", name="conv1"),
        *norm(1),
        layers.MaxPooling2D(3, strides=2, name="pool1"),
        layers.Conv2D(256, 5, padding="same", groups=groups, activation="relu", name="conv2"),
        *norm(2),
        layers.MaxPooling2D(3, strides=2, name="pool2"),
        layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),
        layers.Conv2D(384, 3, padding="same", groups=groups, activation="relu", name="conv4"),
        layers.Conv2D(256, 3, padding="same", groups=groups, activation="relu", name="conv5"),
        layers.MaxPooling2D(3, strides=2, name="pool5"),
        layers.Flatten(),
        layers.Dense(4096, activation="relu", name="fc6"),
        layers.Dropout(dropout),
        layers.Dense(4096, activation="relu", name="fc7"),
        layers.Dropout(dropout),
        layers.Dense(classes, activation="softmax", dtype="float32", name="fc8"),
    ], name=name)


def vgg_block(num_convs: int, filters: int, name: str = "block"):
    """``num_convs`` 3x3 convolutions ("same", ReLU) then a 2x2 max pooling, as a list of layers (notebook 08)."""
    from keras import layers

    positive_int("num_convs", num_convs)
    positive_int("filters", filters)
    return [layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i + 1}")
            for i in range(num_convs)] + [layers.MaxPooling2D(2, name=f"{name}_pool")]


def vgg(blocks=VGG16, input_shape=(224, 224, 3), num_classes: int = 1000, *, dense=(4096, 4096),
        dropout: float = 0.5, name: str = "vgg"):
    """A VGG network: :func:`vgg_block` per ``(convolutions, filters)`` entry, then the dense head (notebook 08).

    ``vgg(VGG16)`` has 138,357,544 parameters (as ``keras.applications.VGG16(weights=None)``),
    ``vgg(VGG19)`` 143,667,240. Inputs must be at least ``2 ** len(blocks)`` pixels high and wide.
    """
    import keras
    from keras import layers

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    if not isinstance(blocks, tuple | list) or not blocks:
        raise ValueError(f"blocks must be a non-empty list of (convolutions, filters) pairs, got {blocks!r}")
    blocks = [int_pair(f"block {i + 1} (convolutions, filters)", b) for i, b in enumerate(blocks)]
    if min(shape[:2]) < 2 ** len(blocks):
        raise ValueError(f"{len(blocks)} blocks halve the input {len(blocks)} times: it needs at least "
                         f"{2 ** len(blocks)}x{2 ** len(blocks)} pixels, got {shape[:2]}")
    if not isinstance(dense, tuple | list):
        raise ValueError(f"dense must be a list of hidden Dense sizes, e.g. (4096, 4096), got {dense!r}")
    fraction("dropout", dropout)
    model = keras.Sequential([keras.Input(shape=shape)], name=name)
    for i, (convs, filters) in enumerate(blocks):
        for layer in vgg_block(convs, filters, name=f"block{i + 1}"):
            model.add(layer)
    model.add(layers.Flatten())
    for i, units in enumerate(dense):
        model.add(layers.Dense(positive_int("dense units", units), activation="relu", name=f"fc{i + 1}"))
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"))
    return model


def googlenet(input_shape=(224, 224, 3), num_classes: int = 1000, *, lrn: bool = True, dropout: float = 0.4,
              name: str = "googlenet"):
    """GoogLeNet / Inception v1 (notebook 09): the stem, nine :class:`~course_utils.layers.InceptionModule`
    (:data:`GOOGLENET_MODULES`), global average pooling, dropout and one Dense layer.

    Without the two auxiliary classifiers used only in training; 6,998,552 parameters for 1,000
    classes. Needs inputs of at least 32x32 (five stride-2 steps).
    """
    import keras
    from keras import layers

    from course_utils.layers import InceptionModule, LocalResponseNormalization

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    fraction("dropout", dropout)
    if min(shape[:2]) < 32:
        raise ValueError(f"GoogLeNet halves its input five times: it needs at least 32x32, got {shape[:2]}")

    def norm(n):
        return [LocalResponseNormalization(2, 2.0, 1e-4, 0.75, name=f"lrn{n}")] if lrn else []

    stem = [
        layers.Conv2D(64, 7, strides=2, padding="same", activation="relu", name="conv1"),
        layers.MaxPooling2D(3, strides=2, padding="same", name="pool1"),
        *norm(1),
        layers.Conv2D(64, 1, activation="relu", name="conv2_reduce"),
        layers.Conv2D(192, 3, padding="same", activation="relu", name="conv2"),
        *norm(2),
        layers.MaxPooling2D(3, strides=2, padding="same", name="pool2"),
    ]
    body, pools = [], 0
    for entry in GOOGLENET_MODULES:
        if entry == "pool":
            pools += 1
            body.append(layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{pools + 2}"))
        else:
            body.append(InceptionModule(*entry[1], name=f"inception_{entry[0]}"))
    return keras.Sequential([
        keras.Input(shape=shape), *stem, *body,
        layers.GlobalAveragePooling2D(),
        layers.Dropout(dropout),
        layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"),
    ], name=name)


def _check_modules(modules) -> list:
    """``modules`` as a list of ``"pool"`` or ``(name, six filter counts)`` entries (GOOGLENET_MODULES' format)."""
    if not isinstance(modules, tuple | list) or not any(entry != "pool" for entry in modules):
        raise ValueError(f"modules must be a list of (name, six filter counts) entries and 'pool', with at least "
                         f"one module, got {modules!r}")
    for i, entry in enumerate(modules):
        if entry == "pool":
            continue
        ok = isinstance(entry, tuple | list) and len(entry) == 2 and isinstance(entry[0], str)
        if not ok or not isinstance(entry[1], tuple | list) or len(entry[1]) != 6:
            raise ValueError(
                f"modules[{i}] must be 'pool' or (name, (f1x1, f3x3_reduce, f3x3, f5x5_reduce, f5x5, pool_proj)), "
                f"got {entry!r}"
            )
        for value in entry[1]:
            positive_int(f"modules[{i}] ({entry[0]!r}) filter counts", value)
    return list(modules)


def small_googlenet(input_shape=(28, 28, 1), num_classes: int = 10, *, stem: int = 32,
                    modules=SMALL_GOOGLENET_MODULES, dropout: float = 0.4, name: str = "small_googlenet"):
    """A GoogLeNet-style network for small images such as Fashion-MNIST (notebook 09).

    ``Conv2D(stem, 3x3, same, ReLU)`` then a 2x2 max pooling (28x28 -> 14x14), then for each entry
    of ``modules`` (the format of :data:`GOOGLENET_MODULES`) an
    :class:`~course_utils.layers.InceptionModule` or, for ``"pool"``, another 2x2 max pooling
    (14x14 -> 7x7), then global average pooling, ``Dropout(dropout)`` and
    ``Dense(num_classes, softmax)``. With the defaults (:data:`SMALL_GOOGLENET_MODULES`) on
    ``(28, 28, 1)``: stem (28, 28, 32), pool1 (14, 14, 32), module a (14, 14, 64), pool2
    (7, 7, 64), modules b, c, d (7, 7, 224), (7, 7, 320), (7, 7, 416); 416 features into the
    classifier, 467,642 parameters for 10 classes, about 24 million multiply-adds per image.

    GoogLeNet pools with overlapping 3x3 windows (stride 2); here the poolings are 2x2, whose
    backward pass TensorFlow's CPU kernels run about four times faster (measured for notebook 09),
    and 28 -> 14 -> 7 exactly. Inputs must be at least ``2 ** (1 + number of "pool"
    entries)`` pixels high and wide.
    """
    import keras
    from keras import layers

    from course_utils.layers import InceptionModule

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    positive_int("stem (filters of the first convolution)", stem)
    modules = _check_modules(modules)
    fraction("dropout", dropout)
    halvings = 1 + sum(entry == "pool" for entry in modules)
    if min(shape[:2]) < 2 ** halvings:
        raise ValueError(f"the stem and {halvings - 1} 'pool' entries halve the input {halvings} times: it needs "
                         f"at least {2 ** halvings}x{2 ** halvings} pixels, got {shape[:2]}")
    body, pools = [], 0
    for entry in modules:
        if entry == "pool":
            pools += 1
            body.append(layers.MaxPooling2D(2, padding="same", name=f"pool{pools + 1}"))
        else:
            body.append(InceptionModule(*entry[1], name=f"inception_{entry[0]}"))
    return keras.Sequential([
        keras.Input(shape=shape),
        layers.Conv2D(stem, 3, padding="same", activation="relu", name="stem"),
        layers.MaxPooling2D(2, padding="same", name="pool1"),
        *body,
        layers.GlobalAveragePooling2D(name="global_pool"),
        layers.Dropout(dropout, name="dropout"),
        layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"),
    ], name=name)
