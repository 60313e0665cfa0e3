"""Builders of the famous CNNs, to count, inspect and (small versions) train (Parts III and IV, notebooks 07-10).

* :func:`lenet5` - LeCun et al. (1998): C1 6@5x5, S2, C3 16@5x5, S4, C5 120, F6 84, 10 outputs;
  ``classic=True`` with tanh and average pooling, ``False`` with ReLU and max pooling (notebook 07);
* :func:`alexnet` - Krizhevsky et al. (2012), with LRN and optional two-group ("two-GPU")
  convolutions (notebook 07);
* :func:`vgg_block`, :func:`vgg` - Simonyan and Zisserman (2015): blocks of 3x3 convolutions and
  a 2x2 pooling; ``VGG16`` / ``VGG19`` are configurations of :func:`vgg` (notebook 08);
* :func:`googlenet` - Szegedy et al. (2015), Inception v1 without the auxiliary classifiers
  (notebook 09);
* :func:`small_googlenet` - a GoogLeNet-style network for 28x28 images (stem, inception modules,
  global average pooling), small enough to train on a CPU (notebook 09);
* :func:`resnet34` - He et al. (2016) as Hands-On ML builds it: a ``Sequential`` of
  :class:`~course_utils.layers.ResidualUnit` (notebook 10); :func:`resnet50` with
  :class:`~course_utils.layers.BottleneckUnit` (notebook 10);
* :func:`cifar_resnet` - He et al.'s CIFAR networks (depth 6n + 2: 20, 32, 44, 56, 110), with
  ``residual=False`` for the "plain" network of the degradation experiment and ``se_ratio`` for
  an SE-ResNet (notebooks 10 and 11);
* :func:`dense_block`, :func:`transition_block`, :func:`densenet` - Huang et al. (2017),
  DenseNet-BC; ``densenet(DENSENET121)`` is ``keras.applications.DenseNet121``'s network;
  :func:`small_densenet` for 28x28 images (notebook 10).

The full-size networks are built to count and inspect (``count_params()``, ``summary()``), not
to be trained on a 2-core CPU; the notebooks train small versions on 28x28 images. Builders
import Keras when called and return uncompiled models; the output softmax is float32 under
mixed precision, like :mod:`course_utils.models`.
"""

from __future__ import annotations

from course_utils.arithmetic import densenet_channels
from course_utils.checks import fraction, image_shape, int_pair, is_int, one_of, positive_int
from course_utils.checks import num_classes as check_num_classes

__all__ = [
    "DENSENET121", "GOOGLENET_MODULES", "RESNET34_UNITS", "RESNET50_STAGES", "SMALL_GOOGLENET_MODULES", "VGG16",
    "VGG19", "alexnet", "cifar_resnet", "dense_block", "densenet", "googlenet", "lenet5", "resnet34", "resnet50",
    "small_densenet", "small_googlenet", "transition_block", "vgg", "vgg_block",
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

# ResNet-34's residual units, one entry (filters) per unit (He et al., 2016, table 1; Hands-On ML's loop)
RESNET34_UNITS = (64,) * 3 + (128,) * 4 + (256,) * 6 + (512,) * 3
# ResNet-50's stages: (filters of the 3x3 convolutions, bottleneck units); each unit outputs 4 * filters
RESNET50_STAGES = ((64, 3), (128, 4), (256, 6), (512, 3))
# DenseNet-121's layers per dense block (Huang et al., 2017, table 1)
DENSENET121 = (6, 12, 24, 16)

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


# ---------------------------------------------------------------------------------------------
# ResNet (notebook 10)
# ---------------------------------------------------------------------------------------------
def _resnet_stem(layers):
    """ResNet's stem: ``Conv2D(64, 7x7, stride 2) - BN - ReLU - MaxPooling2D(3x3, stride 2)``, all "same"."""
    return [
        layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.Activation("relu", name="relu1"),
        layers.MaxPooling2D(3, strides=2, padding="same", name="pool1"),
    ]


def resnet34(input_shape=(224, 224, 3), num_classes: int = 10, *, name: str = "resnet34"):
    """ResNet-34 as Hands-On ML builds it: one ``keras.Sequential`` (notebook 10).

    The stem (``Conv2D(64, 7x7, stride 2, no bias) - BN - ReLU - MaxPooling2D(3x3, stride 2)``,
    all "same"), then one :class:`~course_utils.layers.ResidualUnit` per entry of
    :data:`RESNET34_UNITS` (64 x 3, 128 x 4, 256 x 6, 512 x 3 filters; stride 2 where the
    filters change, with a 1x1 projection shortcut there), then global average pooling,
    ``Flatten`` (a no-op kept from the notes) and ``Dense(num_classes, softmax)``. The network is
    a chain, so ``Sequential`` can hold it: every skip connection lives inside a unit.

    For 224x224x3 and 10 classes: 21,306,826 parameters, 21,289,802 trainable and 17,024
    non-trainable (the moving mean and variance of 8,512 BN channels); the last unit outputs
    (7, 7, 512). Units are named after the paper's stages: ``conv2_1`` ... ``conv5_3``.
    """
    import keras
    from keras import layers

    from course_utils.layers import ResidualUnit

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    model = keras.Sequential([keras.Input(shape=shape), *_resnet_stem(layers)], name=name)
    prev_filters, stage, index = RESNET34_UNITS[0], 2, 0
    for filters in RESNET34_UNITS:
        strides = 1 if filters == prev_filters else 2
        if strides == 2:
            stage, index = stage + 1, 0
        index += 1
        model.add(ResidualUnit(filters, strides=strides, name=f"conv{stage}_{index}"))
        prev_filters = filters
    model.add(layers.GlobalAveragePooling2D(name="global_pool"))
    model.add(layers.Flatten(name="flatten"))
    model.add(layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"))
    return model


def resnet50(input_shape=(224, 224, 3), num_classes: int = 1000, *, stages=RESNET50_STAGES, name: str = "resnet50"):
    """ResNet-50: ResNet-34's stem and head around :class:`~course_utils.layers.BottleneckUnit` (notebook 10).

    ``stages`` lists ``(filters, units)``: 3, 4, 6 and 3 bottleneck units of 64, 128, 256 and
    512 filters, each unit 4x wider at its output (256 ... 2,048 channels); the first unit of
    every stage after the first has stride 2. 25,610,152 parameters for 1,000 classes:
    ``keras.applications.ResNet50``'s 25,636,712 less the 26,560 biases of its convolutions
    (here, as in the paper's BN networks, convolutions followed by BN have no bias).
    """
    import keras
    from keras import layers

    from course_utils.layers import BottleneckUnit

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    if not isinstance(stages, tuple | list) or not stages:
        raise ValueError(f"stages must be a non-empty list of (filters, units) pairs, got {stages!r}")
    model = keras.Sequential([keras.Input(shape=shape), *_resnet_stem(layers)], name=name)
    for s, stage in enumerate(stages):
        filters, units = int_pair(f"stages[{s}] (filters, units)", stage)
        for u in range(units):
            strides = 2 if s > 0 and u == 0 else 1
            model.add(BottleneckUnit(filters, strides=strides, name=f"conv{s + 2}_{u + 1}"))
    model.add(layers.GlobalAveragePooling2D(name="global_pool"))
    model.add(layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"))
    return model


def cifar_resnet(depth: int, input_shape=(28, 28, 1), num_classes: int = 10, *, widths=(16, 32, 64),
                 residual: bool = True, shortcut: str = "zero_pad", se_ratio: int | None = None,
                 name: str | None = None):
    """He et al.'s (2016, section 4.2) ResNet for small images, and its "plain" twin (notebooks 10 and 11).

    ``depth = 6n + 2`` weighted layers (20, 32, 44, 56, 110): a 3x3 convolution with
    ``widths[0]`` filters (BN, ReLU), then three stages of ``n``
    :class:`~course_utils.layers.ResidualUnit` (two 3x3 convolutions each) with ``widths`` =
    16, 32, 64 filters, the first unit of the second and third stage with stride 2
    (28x28 -> 14x14 -> 7x7), then global average pooling and ``Dense(num_classes, softmax)``.

    ``residual=False`` removes every skip connection and keeps everything else: the plain
    network of the degradation experiment (a deeper plain network trains *worse*; the residual
    one does not). ``shortcut`` is the paper's option A for these networks, ``"zero_pad"``
    (no parameters, so the plain and residual networks have exactly the same weights), or
    ``"projection"`` (Hands-On ML's 1x1 convolutions where the shape changes). ``se_ratio=r``
    adds an SE block to every unit (an SE-ResNet, notebook 11).

    With ``widths=(16, 32, 64)`` on (28, 28, 1) and 10 classes: 20 layers 270,810 parameters
    (269,434 trainable) and 56 layers 856,794 (852,730 trainable), plain or residual (the
    paper's "0.27M" and "0.85M"); 273,754 and 859,738 with projection shortcuts; 273,183 and
    863,913 with ``se_ratio=16``. In general ``depth = 2 * n * len(widths) + 2``.
    """
    import keras
    from keras import layers

    from course_utils.layers import ResidualUnit

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    if not isinstance(widths, tuple | list) or not widths:
        raise ValueError(f"widths must be a non-empty list of filters per stage, e.g. (16, 32, 64), got {widths!r}")
    widths = [positive_int(f"widths[{i}] (filters of stage {i + 1})", w) for i, w in enumerate(widths)]
    per_unit = 2 * len(widths)
    if not is_int(depth) or depth < per_unit + 2 or (depth - 2) % per_unit:
        examples = ", ".join(str(per_unit * n + 2) for n in (1, 2, 3, 5, 9))
        raise ValueError(
            f"depth must be {per_unit}n + 2 for {len(widths)} stages of n units with 2 convolutions each, plus the "
            f"first convolution and the classifier ({examples}, ...), got {depth!r}"
        )
    if not isinstance(residual, bool):
        raise ValueError(f"residual must be True (ResNet) or False (the plain network), got {residual!r}")
    shortcut = one_of("shortcut", shortcut, ("zero_pad", "projection"))
    n = (depth - 2) // per_unit
    default = ("se_resnet" if se_ratio is not None else "resnet") if residual else "plain"
    model = keras.Sequential([
        keras.Input(shape=shape),
        layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.Activation("relu", name="relu1"),
    ], name=name or f"{default}{depth}")
    for s, filters in enumerate(widths):
        for u in range(n):
            strides = 2 if s > 0 and u == 0 else 1
            model.add(ResidualUnit(filters, strides=strides, shortcut=shortcut if residual else None,
                                   se_ratio=se_ratio, name=f"stage{s + 1}_unit{u + 1}"))
    model.add(layers.GlobalAveragePooling2D(name="global_pool"))
    model.add(layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"))
    return model


# ---------------------------------------------------------------------------------------------
# DenseNet (notebook 10)
# ---------------------------------------------------------------------------------------------
def dense_block(num_layers: int, growth_rate: int, bottleneck: bool = True, name: str = "dense"):
    """``num_layers`` :class:`~course_utils.layers.DenseLayer`, as a list of layers (notebook 10).

    Each layer adds ``growth_rate`` channels: ``C`` in, ``C + num_layers * growth_rate`` out
    (:func:`course_utils.arithmetic.densenet_channels`). Names ``{name}_layer1`` ....
    """
    from course_utils.layers import DenseLayer

    n = positive_int("num_layers", num_layers)
    return [DenseLayer(growth_rate, bottleneck=bottleneck, name=f"{name}_layer{i + 1}") for i in range(n)]


def transition_block(compression: float = 0.5, name: str = "transition"):
    """A :class:`~course_utils.layers.TransitionLayer`: BN-ReLU-1x1 conv to ``floor(compression * C)``, 2x2 average pool (notebook 10)."""
    from course_utils.layers import TransitionLayer

    return TransitionLayer(compression, name=name)


def _check_blocks(blocks) -> list[int]:
    if isinstance(blocks, str) or not isinstance(blocks, tuple | list) or not blocks:
        raise ValueError(f"blocks must be a non-empty list of layers per dense block, e.g. (6, 12, 24, 16), "
                         f"got {blocks!r}")
    return [positive_int(f"blocks[{i}] (layers in dense block {i + 1})", n) for i, n in enumerate(blocks)]


def _densenet_body(layers, blocks, growth_rate, compression, bottleneck):
    body = []
    for i, n in enumerate(blocks):
        body += dense_block(n, growth_rate, bottleneck, name=f"dense{i + 1}")
        if i < len(blocks) - 1:
            body.append(transition_block(compression, name=f"transition{i + 1}"))
    return body + [
        layers.BatchNormalization(name="bn"),
        layers.Activation("relu", name="relu"),
        layers.GlobalAveragePooling2D(name="global_pool"),
    ]


def densenet(blocks=DENSENET121, input_shape=(224, 224, 3), num_classes: int = 1000, *, growth_rate: int = 32,
             compression: float = 0.5, name: str | None = None):
    """DenseNet-BC for ImageNet-size inputs (Huang et al., 2017) (notebook 10).

    The stem of ``keras.applications.DenseNet121`` (``Conv2D(2k, 7x7, stride 2)``, BN, ReLU,
    3x3/2 max pooling: 224 -> 56), then per entry of ``blocks`` a :func:`dense_block` of that
    many layers, with a :func:`transition_block` between blocks (56 -> 28 -> 14 -> 7), then
    BN, ReLU, global average pooling and ``Dense(num_classes, softmax)``. ``densenet()``
    (:data:`DENSENET121`, k = 32) has 8,062,504 parameters, as ``keras.applications.DenseNet121``;
    the channels after each layer are :func:`course_utils.arithmetic.densenet_channels`
    ``(64, blocks, 32)``: 256, 512, 1024 and 1024 channels out of the four blocks.
    """
    import keras
    from keras import layers

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    blocks = _check_blocks(blocks)
    k = positive_int("growth_rate", growth_rate)
    densenet_channels(2 * k, blocks, k, compression)  # checks compression
    if min(shape[:2]) < 32:
        raise ValueError(f"DenseNet's stem and transitions shrink the input 32 times: it needs at least 32x32, "
                         f"got {shape[:2]}")
    return keras.Sequential([
        keras.Input(shape=shape),
        layers.ZeroPadding2D(3, name="pad1"),
        layers.Conv2D(2 * k, 7, strides=2, use_bias=False, name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.Activation("relu", name="relu1"),
        layers.ZeroPadding2D(1, name="pad2"),
        layers.MaxPooling2D(3, strides=2, name="pool1"),
        *_densenet_body(layers, blocks, k, compression, True),
        layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"),
    ], name=name or f"densenet{sum(blocks) * 2 + 5}")


def small_densenet(input_shape=(28, 28, 1), num_classes: int = 10, *, blocks=(4, 4, 4), growth_rate: int = 12,
                   compression: float = 0.5, bottleneck: bool = True, stem: int | None = None,
                   name: str = "small_densenet"):
    """A DenseNet-BC for small images such as Fashion-MNIST, after Huang et al.'s CIFAR networks (notebook 10).

    ``Conv2D(stem, 3x3, same)`` (``stem = 2 * growth_rate`` by default), then the dense blocks
    with a :func:`transition_block` between them (28x28 -> 14x14 -> 7x7 for three blocks), BN,
    ReLU, global average pooling and ``Dense(num_classes, softmax)``. With the defaults (three
    blocks of 4 bottleneck layers, k = 12, compression 0.5) on (28, 28, 1): channels
    24 -> 72 | 36 -> 84 | 42 -> 90 (after each block | after its transition), 105,190
    parameters for 10 classes, 28 layers deep as the paper counts (24 in the blocks, the first
    convolution, two transitions, the classifier). ``blocks=(6, 6, 6)`` is the paper's
    DenseNet-BC-40 depth (180,778 parameters), about twice as slow to train on a CPU (measured
    for notebook 10: a batch of 64 took 1.9x as long as with the defaults, 2.9x a small_googlenet's).
    Inputs must be at least ``2 ** (len(blocks) - 1)`` pixels high and wide.
    """
    import keras
    from keras import layers

    shape, classes = image_shape(input_shape), check_num_classes(num_classes)
    blocks = _check_blocks(blocks)
    k = positive_int("growth_rate", growth_rate)
    stem = 2 * k if stem is None else positive_int("stem (filters of the first convolution)", stem)
    densenet_channels(stem, blocks, k, compression)  # checks compression
    if not isinstance(bottleneck, bool):
        raise ValueError(f"bottleneck must be True (DenseNet-B) or False, got {bottleneck!r}")
    halvings = len(blocks) - 1
    if min(shape[:2]) < 2 ** halvings:
        raise ValueError(f"{halvings} transitions halve the input {halvings} times: it needs at least "
                         f"{2 ** halvings}x{2 ** halvings} pixels, got {shape[:2]}")
    return keras.Sequential([
        keras.Input(shape=shape),
        layers.Conv2D(stem, 3, padding="same", use_bias=False, name="conv1"),
        *_densenet_body(layers, blocks, k, compression, bottleneck),
        layers.Dense(classes, activation="softmax", dtype="float32", name="predictions"),
    ], name=name)
