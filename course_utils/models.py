"""Keras model builders for the seed models (Part II onwards).

* :func:`seed001_cnn` — seed 001's study-session model: Conv 32-32-64-64 (3x3, same padding),
  each followed by 2x2 max pooling, Flatten, Dense 64, Dense 10 softmax.
* :func:`hands_on_cnn` — the Fashion-MNIST model of seeds 000/004 (Hands-On ML ch. 14), written
  with ``functools.partial`` as the seeds' ``DefaultConv2D``: 64@7x7, pool, 128, 128, pool,
  256, 256, pool, Flatten, Dense 128 + Dropout 0.5, Dense 64 + Dropout 0.5, Dense 10 softmax.
* :func:`bn_cnn` — notebook 06's "training better" model: blocks of two 3x3 convolutions, each
  followed by batch normalization and ReLU, then 2x2 max pooling and Dropout; a Dense + BN + ReLU
  + Dropout head and Dense 10 softmax. ``batch_norm=False`` gives the same model without BN.

All use ``keras.Input(shape=...)`` (the seeds' ``input_shape=`` on the first layer makes
Keras 3 warn) and return uncompiled ``keras.Sequential`` models. The softmax output layer always
computes in float32: under mixed precision (``runtime.setup(mixed_precision=True)`` on a GPU) the
other layers compute in float16, whose probabilities would not even sum to 1 (0.9995).
"""

from __future__ import annotations

from functools import partial


def _check_shape(input_shape, num_classes: int, builder: str, poolings: int) -> tuple[int, int, int]:
    # Also checks that `poolings` 2x2 poolings leave at least one pixel.
    shape = tuple(input_shape)
    if len(shape) != 3 or any((not isinstance(s, int)) or s < 1 for s in shape):
        raise ValueError(f"input_shape must be (height, width, channels) with positive ints, got {input_shape!r}")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    smallest = 2**poolings
    if min(shape[:2]) < smallest:
        raise ValueError(
            f"{builder} pools {poolings} times by 2, so it needs at least {smallest}x{smallest} inputs, got {shape[:2]}"
        )
    return shape


def seed001_cnn(input_shape=(28, 28, 1), num_classes: int = 10, name: str = "seed001_cnn"):
    """Seed 001's Sequential CNN. Needs inputs of at least 16x16 (four 2x2 poolings)."""
    import keras
    from keras import layers

    shape = _check_shape(input_shape, num_classes, "seed001_cnn", poolings=4)
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
    """The 000/004 model with ``DefaultConv2D = partial(Conv2D, kernel_size=3, padding="same", ...)``."""
    import keras
    from keras import layers

    shape = _check_shape(input_shape, num_classes, "hands_on_cnn", poolings=3)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
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
    """A CNN with batch normalization (notebook 06): per entry ``f`` of ``filters`` one block

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
        or any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in filters)
    ):
        raise ValueError(f"filters must be a non-empty tuple of positive ints (one per block), got {filters!r}")
    if isinstance(dense, bool) or not isinstance(dense, int) or dense < 1:
        raise ValueError(f"dense must be a positive int (units of the hidden Dense layer), got {dense!r}")
    if (
        not isinstance(dropout, tuple | list)
        or len(dropout) != 2
        or any(isinstance(r, bool) or not isinstance(r, int | float) or not 0.0 <= r < 1.0 for r in dropout)
    ):
        raise ValueError(
            f"dropout must be two rates in [0, 1) (after each block, before the output), got {dropout!r}"
        )
    if isinstance(bn_momentum, bool) or not isinstance(bn_momentum, int | float) or not 0.0 <= bn_momentum < 1.0:
        raise ValueError(f"bn_momentum must be in [0, 1) (Keras' default is 0.99), got {bn_momentum!r}")
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
