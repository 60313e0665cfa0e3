"""The course's own training CNNs, as Keras model builders (Part II onwards; notebooks 05 and 06).

* :func:`session8_cnn` — the small model of the session-8 study slides: Conv 32-32-64-64 (3x3,
  same padding), each followed by 2x2 max pooling, Flatten, Dense 64, Dense 10 softmax.
* :func:`hands_on_cnn` — the Fashion-MNIST model of Hands-On ML ch. 14, written with
  ``functools.partial`` as the book's ``DefaultConv2D``: 64@7x7, pool, 128, 128, pool,
  256, 256, pool, Flatten, Dense 128 + Dropout 0.5, Dense 64 + Dropout 0.5, Dense 10 softmax.
* :func:`bn_cnn` — notebook 06's "training better" model: blocks of two 3x3 convolutions, each
  followed by batch normalization and ReLU, then 2x2 max pooling and Dropout; a Dense + BN + ReLU
  + Dropout head and Dense 10 softmax. ``batch_norm=False`` gives the same model without BN.

The famous architectures (LeNet-5, AlexNet, VGG, ...) belong in ``course_utils.architectures``,
Keras layers of our own in ``course_utils.layers`` (see CONTRIBUTING.md). All builders here use
``keras.Input(shape=...)`` (the study notes' ``input_shape=`` on the first layer makes Keras 3
warn), only Keras layers (so they run on every Keras backend; ``tests/test_models.py`` runs on
TensorFlow and JAX) and return uncompiled ``keras.Sequential`` models. The softmax output layer always
computes in float32: under mixed precision (``runtime.setup(mixed_precision=True)`` on a GPU) the
other layers compute in float16, whose probabilities would not even sum to 1 (0.9995).
"""

from __future__ import annotations

from functools import partial

from course_utils.checks import fraction, image_shape, is_int, positive_int
from course_utils.checks import num_classes as check_num_classes


def _check_shape(input_shape, num_classes: int, builder: str, poolings: int) -> tuple[int, int, int]:
    # Also checks that `poolings` 2x2 poolings leave at least one pixel.
    shape = image_shape(input_shape)
    check_num_classes(num_classes)
    smallest = 2**poolings
    if min(shape[:2]) < smallest:
        raise ValueError(
            f"{builder} pools {poolings} times by 2, so it needs at least {smallest}x{smallest} inputs, got {shape[:2]}"
        )
    return shape


def session8_cnn(input_shape=(28, 28, 1), num_classes: int = 10, name: str = "session8_cnn"):
    """The session-8 study slides' Sequential CNN (notebook 05; trained again in 06).

    Needs inputs of at least 16x16 (four 2x2 poolings); 69,802 parameters for 28x28x1 and 10 classes.
    """
    import keras
    from keras import layers

    shape = _check_shape(input_shape, num_classes, "session8_cnn", poolings=4)
    model = keras.Sequential([keras.Input(shape=shape)], name=name)
    for filters in (32, 32, 64, 64):
        model.add(layers.Conv2D(filters, (3, 3), padding="same", activation="relu"))
        model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(num_classes, activation="softmax", dtype="float32"))
    return model


def hands_on_cnn(
    input_shape=(28, 28, 1), num_classes: int = 10, dropout: float = 0.5, name: str = "hands_on_cnn"
):
    """Hands-On ML ch. 14's Fashion-MNIST CNN (notebook 05), 1,413,834 parameters for 28x28x1.

    Written as the book writes it, with ``DefaultConv2D = partial(Conv2D, kernel_size=3,
    padding="same", ...)``.
    """
    import keras
    from keras import layers

    shape = _check_shape(input_shape, num_classes, "hands_on_cnn", poolings=3)
    fraction("dropout", dropout)
    default_conv2d = partial(layers.Conv2D, kernel_size=3, activation="relu", padding="same")
    return keras.Sequential(
        [
            keras.Input(shape=shape),
            default_conv2d(filters=64, kernel_size=7),
            layers.MaxPooling2D(pool_size=2),
            default_conv2d(filters=128),
            default_conv2d(filters=128),
            layers.MaxPooling2D(pool_size=2),
            default_conv2d(filters=256),
            default_conv2d(filters=256),
            layers.MaxPooling2D(pool_size=2),
            layers.Flatten(),
            layers.Dense(units=128, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(units=64, activation="relu"),
            layers.Dropout(dropout),
            layers.Dense(units=num_classes, activation="softmax", dtype="float32"),
        ],
        name=name,
    )


def bn_cnn(
    input_shape=(28, 28, 1),
    num_classes: int = 10,
    filters=(32, 64),
    dense: int = 128,
    dropout=(0.25, 0.4),
    batch_norm: bool = True,
    name: str = "bn_cnn",
    bn_momentum: float = 0.99,
):
    """The course's CNN with batch normalization (notebook 06): per entry ``f`` of ``filters`` one block

    ``[Conv2D(f, 3, same) -> BatchNormalization -> ReLU] x 2 -> MaxPooling2D(2) -> Dropout(dropout[0])``,

    then ``Flatten -> Dense(dense) -> BatchNormalization -> ReLU -> Dropout(dropout[1]) ->
    Dense(num_classes, softmax)``. BN sits between each linear layer and its activation, so
    the layers before it have no bias (``use_bias=not batch_norm``): BN's ``beta`` takes its
    place. With ``batch_norm=False`` the BN layers are left out and the biases come back.
    The default (32, 64) model has 468,778 parameters for 28x28x1 inputs and 10 classes.
    ``bn_momentum`` is BN's moving-average momentum (Keras' default 0.99): the moving statistics
    remember about ``1 / (1 - bn_momentum)`` steps, so very short runs (a few dozen steps) need a
    smaller value such as 0.9, or inference mode still sees the initial statistics (0 and 1).
    Inputs must be at least ``2 ** len(filters)`` pixels high and wide (one 2x2 pooling per block).
    """
    import keras
    from keras import layers

    if (
        not isinstance(filters, tuple | list)
        or not filters
        or any(not is_int(f) or f < 1 for f in filters)
    ):
        raise ValueError(f"filters must be a non-empty tuple of positive ints (one per block), got {filters!r}")
    positive_int("dense (the units of the hidden Dense layer)", dense)
    try:
        if not isinstance(dropout, tuple | list) or len(dropout) != 2:
            raise ValueError
        for rate in dropout:
            fraction("dropout", rate)
    except ValueError:
        raise ValueError(
            f"dropout must be two rates in [0, 1) (after each block, before the output), got {dropout!r}"
        ) from None
    fraction("bn_momentum (Keras' default is 0.99)", bn_momentum)
    shape = _check_shape(input_shape, num_classes, "bn_cnn", poolings=len(filters))

    def normalized(layer):
        out = [layer]
        if batch_norm:
            out.append(layers.BatchNormalization(momentum=bn_momentum))
        out.append(layers.ReLU())
        return out

    model = keras.Sequential([keras.Input(shape=shape)], name=name)
    for f in filters:
        for _ in range(2):
            for layer in normalized(layers.Conv2D(f, 3, padding="same", use_bias=not batch_norm)):
                model.add(layer)
        model.add(layers.MaxPooling2D(2))
        model.add(layers.Dropout(dropout[0]))
    model.add(layers.Flatten())
    for layer in normalized(layers.Dense(dense, use_bias=not batch_norm)):
        model.add(layer)
    model.add(layers.Dropout(dropout[1]))
    model.add(layers.Dense(num_classes, activation="softmax", dtype="float32"))
    return model


# Every builder of the course's own training CNNs, by name: tools/gpu_check.py trains each of
# them, and tests/test_models.py saves and reloads each. Add new builders here.
BUILDERS = {"session8_cnn": session8_cnn, "hands_on_cnn": hands_on_cnn, "bn_cnn": bn_cnn}
