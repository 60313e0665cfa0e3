"""Keras layers of our own, for Part III on (notebooks 07 and 09).

* :class:`LocalResponseNormalization` - AlexNet's LRN (국소 응답 정규화), with
  :func:`lrn_loops` (the formula, written with loops) and :func:`lrn` (vectorized NumPy) as its
  references (notebook 07);
* :class:`InceptionModule` - GoogLeNet's module of four parallel branches (notebook 09).

Every layer uses only ``keras.ops`` and Keras layers (so it runs on TensorFlow, JAX and PyTorch),
implements ``get_config`` and is registered for serialization, so a model that uses it survives
``model.save("x.keras")`` and ``keras.models.load_model``. Tensors are NHWC: ``(N, H, W, C)``.
Unlike the other modules, this one imports Keras when it is imported: its classes subclass
``keras.layers.Layer``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from course_utils.checks import nhwc, non_negative_int, positive_int

__all__ = ["InceptionModule", "LocalResponseNormalization", "lrn", "lrn_loops"]

PACKAGE = "course_utils"


# ---------------------------------------------------------------------------------------------
# local response normalization
# ---------------------------------------------------------------------------------------------
def _check_lrn(depth_radius, bias, alpha, beta) -> tuple[int, float, float, float]:
    depth_radius = non_negative_int("depth_radius (the window's half-width, r/2 in the formula)", depth_radius)
    for name, value in (("bias (k)", bias), ("alpha", alpha), ("beta", beta)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    if bias == 0 and alpha == 0:
        raise ValueError("bias (k) and alpha cannot both be 0: the denominator would be 0")
    return depth_radius, float(bias), float(alpha), float(beta)


def lrn_loops(a, depth_radius: int = 2, bias: float = 2.0, alpha: float = 1e-4, beta: float = 0.75) -> np.ndarray:
    """LRN from the formula, one activation at a time (notebook 07).

    a: (N, H, W, C) -> (N, H, W, C). For channel ``i`` of ``C``:
    ``b_i = a_i / (k + alpha * sum_{j=max(0, i-r)}^{min(C-1, i+r)} a_j**2) ** beta`` with
    ``r = depth_radius`` (the formula's ``n/2``) and ``k = bias``. Like TensorFlow and the AlexNet
    paper, ``alpha`` multiplies the sum itself (PyTorch's ``LocalResponseNorm`` divides it by the
    window size ``n = 2r + 1`` first).
    """
    depth_radius, bias, alpha, beta = _check_lrn(depth_radius, bias, alpha, beta)
    a = _nhwc_float(a)
    b = np.empty_like(a)
    n, h, w, c = a.shape
    for s in range(n):
        for y in range(h):
            for x in range(w):
                for i in range(c):
                    lo, hi = max(0, i - depth_radius), min(c - 1, i + depth_radius)
                    total = sum(a[s, y, x, j] ** 2 for j in range(lo, hi + 1))
                    b[s, y, x, i] = a[s, y, x, i] / (bias + alpha * total) ** beta
    return b


def lrn(a, depth_radius: int = 2, bias: float = 2.0, alpha: float = 1e-4, beta: float = 0.75) -> np.ndarray:
    """:func:`lrn_loops`, vectorized: the window sums are differences of a cumulative sum (notebook 07).

    a: (N, H, W, C) -> (N, H, W, C).
    """
    depth_radius, bias, alpha, beta = _check_lrn(depth_radius, bias, alpha, beta)
    a = _nhwc_float(a)
    c = a.shape[-1]
    csum = np.concatenate([np.zeros((*a.shape[:-1], 1), a.dtype), np.cumsum(a * a, axis=-1)], axis=-1)
    i = np.arange(c)
    hi = np.minimum(c - 1, i + depth_radius) + 1
    lo = np.maximum(0, i - depth_radius)
    window = csum[..., hi] - csum[..., lo]  # sum of a_j**2 for j in [lo, hi)
    return a / (bias + alpha * window) ** beta


def _nhwc_float(a) -> np.ndarray:
    a = nhwc(a, "a")
    return a.astype(np.result_type(a.dtype, np.float32), copy=False)


@keras.saving.register_keras_serializable(package=PACKAGE)
class LocalResponseNormalization(keras.layers.Layer):
    """AlexNet's local response normalization across channels, as a Keras layer (notebook 07).

    (N, H, W, C) -> (N, H, W, C): ``b_i = a_i / (bias + alpha * sum of a_j**2 over the channels
    j within depth_radius of i) ** beta``. The arguments are TensorFlow's
    (``tf.nn.local_response_normalization``), so AlexNet's k = 2, n = 5, alpha = 1e-4,
    beta = 0.75 are ``LocalResponseNormalization(depth_radius=2, bias=2, alpha=1e-4, beta=0.75)``,
    the defaults. No trainable weights.
    """

    def __init__(self, depth_radius: int = 2, bias: float = 2.0, alpha: float = 1e-4, beta: float = 0.75,
                 **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias, self.alpha, self.beta = _check_lrn(depth_radius, bias, alpha, beta)

    def call(self, inputs):
        c = inputs.shape[-1]
        if c is None:
            raise ValueError("LocalResponseNormalization needs a known number of channels (the last axis)")
        # The window sums as one matrix product: band[j, i] = 1 where channel j is within depth_radius
        # of channel i, so (a**2 @ band)[..., i] = sum of a_j**2 over i's window (clipped at the edges).
        i = np.arange(c)
        band = ops.cast((np.abs(i[:, None] - i[None, :]) <= self.depth_radius).astype("float32"), inputs.dtype)
        window = ops.matmul(ops.square(inputs), band)
        # a / d**beta written as a * exp(-beta * log d): the same numbers, and on TensorFlow's CPU kernels
        # about 10x faster to train than slicing out the 2r + 1 shifted channels and calling power (notebook 07).
        return inputs * ops.exp(-self.beta * ops.log(self.bias + self.alpha * window))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "depth_radius": self.depth_radius, "bias": self.bias,
                "alpha": self.alpha, "beta": self.beta}


# ---------------------------------------------------------------------------------------------
# inception module
# ---------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionModule(keras.layers.Layer):
    """GoogLeNet's inception module: four branches side by side, concatenated on the channels (notebook 09).

    (N, H, W, C) -> (N, H, W, f1x1 + f3x3 + f5x5 + pool_proj), with its six hyper-parameters
    (Szegedy et al., 2015, table 1):

    * ``f1x1``: 1x1 convolution;
    * ``f3x3_reduce`` -> ``f3x3``: 1x1 reduction, then 3x3 convolution;
    * ``f5x5_reduce`` -> ``f5x5``: 1x1 reduction, then 5x5 convolution;
    * ``pool_proj``: 3x3 max pooling (stride 1), then a 1x1 convolution.

    Every convolution has "same" padding, a bias and ReLU, so height and width are kept.
    Inception 3a is ``InceptionModule(64, 96, 128, 16, 32, 32)`` on 192 channels.
    """

    def __init__(self, f1x1: int, f3x3_reduce: int, f3x3: int, f5x5_reduce: int, f5x5: int, pool_proj: int,
                 **kwargs):
        super().__init__(**kwargs)
        names = ("f1x1", "f3x3_reduce", "f3x3", "f5x5_reduce", "f5x5", "pool_proj")
        values = (f1x1, f3x3_reduce, f3x3, f5x5_reduce, f5x5, pool_proj)
        for name, value in zip(names, values, strict=True):
            positive_int(f"{name} (filters of an inception branch)", value)
        self.filters = dict(zip(names, (int(v) for v in values), strict=True))

        def conv(filters, size, name):
            return keras.layers.Conv2D(filters, size, padding="same", activation="relu", name=name)

        self.branch1 = conv(f1x1, 1, "1x1")
        self.reduce3, self.branch3 = conv(f3x3_reduce, 1, "3x3_reduce"), conv(f3x3, 3, "3x3")
        self.reduce5, self.branch5 = conv(f5x5_reduce, 1, "5x5_reduce"), conv(f5x5, 5, "5x5")
        self.pool = keras.layers.MaxPooling2D(3, strides=1, padding="same", name="pool")
        self.pool_proj = conv(pool_proj, 1, "pool_proj")

    def build(self, input_shape):
        # Built here (not on the first call) so that a reloaded .keras model has the weights to fill.
        head = tuple(input_shape[:-1])
        for layer in (self.branch1, self.reduce3, self.reduce5, self.pool_proj):
            layer.build(input_shape)
        self.branch3.build((*head, self.filters["f3x3_reduce"]))
        self.branch5.build((*head, self.filters["f5x5_reduce"]))

    def call(self, inputs):
        return ops.concatenate([
            self.branch1(inputs),
            self.branch3(self.reduce3(inputs)),
            self.branch5(self.reduce5(inputs)),
            self.pool_proj(self.pool(inputs)),
        ], axis=-1)

    def compute_output_shape(self, input_shape):
        f = self.filters
        return (*input_shape[:-1], f["f1x1"] + f["f3x3"] + f["f5x5"] + f["pool_proj"])

    def get_config(self):
        return {**super().get_config(), **self.filters}
