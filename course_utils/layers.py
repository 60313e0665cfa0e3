"""Keras layers of our own, for Part III on (notebooks 07, 09, 10 and 11).

* :class:`LocalResponseNormalization` - AlexNet's LRN (국소 응답 정규화), with
  :func:`lrn_loops` (the formula, written with loops) and :func:`lrn` (vectorized NumPy) as its
  references (notebook 07);
* :class:`InceptionModule` - GoogLeNet's module of four parallel branches (notebook 09);
* :class:`ResidualUnit` - ResNet-34's unit (잔차 유닛): two 3x3 convolutions and a skip
  connection, with the choice of shortcut (projection, zero padding, or none for the "plain"
  network) and an optional SE block (notebooks 10 and 11);
* :class:`BottleneckUnit` - ResNet-50's unit: 1x1 reduce, 3x3, 1x1 expand (notebook 10);
* :class:`DenseLayer`, :class:`TransitionLayer` - DenseNet-BC's layer (BN-ReLU-1x1-BN-ReLU-3x3,
  concatenated to its input) and the layer between dense blocks (notebook 10);
* :class:`SqueezeExcitation` - SENet's block: squeeze (global average), excitation (two Dense
  layers), scale the channels (notebook 11);
* :class:`XceptionBlock` - Xception's block: [ReLU - SeparableConv2D - BN] x n, optional max
  pooling, a 1x1 projection or identity shortcut (notebook 11);
* :class:`InceptionResNetA` - Inception-ResNet's 35x35 module: three inception branches, a linear
  1x1 projection, scaled and added to the input (notebook 11).

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

from course_utils.checks import fraction, nhwc, non_negative_int, one_of, positive_int

__all__ = [
    "BottleneckUnit", "DenseLayer", "InceptionModule", "InceptionResNetA", "LocalResponseNormalization",
    "ResidualUnit", "SqueezeExcitation", "TransitionLayer", "XceptionBlock", "lrn", "lrn_loops",
]  # fmt: skip

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


# ---------------------------------------------------------------------------------------------
# residual units (notebooks 10 and 11)
# ---------------------------------------------------------------------------------------------
SHORTCUTS = ("projection", "zero_pad", None)


def _activation(activation):
    try:
        return keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(f"activation must be the name of a Keras activation such as 'relu', or a function, "
                         f"got {activation!r}") from None


def _flag(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _same_size(n, strides):
    """Height or width after a "same" convolution with ``strides``: ``ceil(n / strides)``."""
    return None if n is None else -(-n // strides)


class _ResidualBase(keras.layers.Layer):
    """What :class:`ResidualUnit` and :class:`BottleneckUnit` share: the shortcut, the SE block, the last activation.

    A subclass creates its main path in ``__init__``, builds it in ``build`` (then calls
    ``self._build_shortcut``) and ends ``call`` with ``self._finish(z, inputs, training)``.
    """

    def __init__(self, filters, strides, activation, shortcut, se_ratio, zero_init_last_bn, **kwargs):
        super().__init__(**kwargs)
        self.filters = positive_int("filters", filters)
        self.strides = positive_int("strides", strides)
        self.activation = _activation(activation)
        self.shortcut = one_of("shortcut", shortcut, SHORTCUTS)
        self.se_ratio = None if se_ratio is None else positive_int(
            "se_ratio (the SE block's reduction ratio r, or None for no SE block)", se_ratio)
        self.zero_init_last_bn = _flag("zero_init_last_bn", zero_init_last_bn)
        self.se = None if self.se_ratio is None else SqueezeExcitation(self.se_ratio, dtype=self.dtype_policy,
                                                                       name="se")
        self.skip_conv = self.skip_bn = self.skip_pool = None
        self.pad_channels = 0

    @property
    def out_channels(self) -> int:
        return self.filters

    def _conv(self, filters, size, strides, name):
        return keras.layers.Conv2D(filters, size, strides=strides, padding="same", use_bias=False,
                                   dtype=self.dtype_policy, name=name)

    def _bn(self, name, last=False):
        zero = last and self.zero_init_last_bn
        return keras.layers.BatchNormalization(gamma_initializer="zeros" if zero else "ones",
                                               dtype=self.dtype_policy, name=name)

    def _channels_in(self, input_shape) -> int:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__} needs (N, H, W, C) inputs with a known number of channels, "
                             f"got shape {tuple(input_shape)}")
        return int(input_shape[-1])

    def _build_shortcut(self, input_shape):
        # Built here, where the input channels are known: they decide whether the shortcut must change shape.
        c_in, c_out = self._channels_in(input_shape), self.out_channels
        changes = self.strides > 1 or c_in != c_out
        if self.shortcut == "projection" and changes:
            self.skip_conv = self._conv(c_out, 1, self.strides, "skip_conv")
            self.skip_bn = self._bn("skip_bn")
            self.skip_conv.build(input_shape)
            self.skip_bn.build(self.compute_output_shape(input_shape))
        elif self.shortcut == "zero_pad" and changes:
            if c_in > c_out:
                raise ValueError(f"shortcut='zero_pad' can only add channels, but the input has {c_in} and the unit "
                                 f"outputs {c_out}; use shortcut='projection'")
            if self.strides > 1:  # a 1x1 window, strides apart: keeps every strides-th pixel, as the 1x1 conv sees
                self.skip_pool = keras.layers.MaxPooling2D(1, strides=self.strides, dtype=self.dtype_policy,
                                                           name="skip_subsample")
            self.pad_channels = c_out - c_in

    def _skip(self, inputs, training):
        if self.skip_conv is not None:
            return self.skip_bn(self.skip_conv(inputs), training=training)
        x = inputs if self.skip_pool is None else self.skip_pool(inputs)
        if self.pad_channels:
            x = ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, self.pad_channels]])
        return x

    def _finish(self, z, inputs, training):
        if self.se is not None:
            z = self.se(z)
        if self.shortcut is not None:
            z = z + self._skip(inputs, training)
        return self.activation(z)

    def compute_output_shape(self, input_shape):
        n, h, w = tuple(input_shape)[:3]
        return (n, _same_size(h, self.strides), _same_size(w, self.strides), self.out_channels)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "strides": self.strides,
                "activation": keras.activations.serialize(self.activation), "shortcut": self.shortcut,
                "se_ratio": self.se_ratio, "zero_init_last_bn": self.zero_init_last_bn}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidualUnit(_ResidualBase):
    """ResNet-34's residual unit (잔차 유닛): ``activation(F(x) + shortcut(x))`` (notebook 10).

    (N, H, W, C) -> (N, ceil(H / strides), ceil(W / strides), filters). The main path ``F`` is
    ``Conv2D(filters, 3x3, strides) - BN - activation - Conv2D(filters, 3x3) - BN`` ("same"
    padding, no biases: BN's offset does their job), as in Hands-On ML's ``ResidualUnit``.
    The unit learns the residual ``F(x) = h(x) - x`` and adds its input back.

    ``shortcut`` says what the skip connection is:

    * ``"projection"`` (the default, Hands-On ML's unit, He et al.'s option B): the input itself
      when the shape is kept, else ``Conv2D(filters, 1x1, strides) - BN``;
    * ``"zero_pad"`` (He et al.'s option A, their CIFAR networks): the input itself, every
      ``strides``-th pixel, with zero channels added: no parameters;
    * ``None``: no skip connection, ``activation(F(x))``: the "plain" unit of the degradation
      experiment, with the same layers.

    ``se_ratio=r`` puts a :class:`SqueezeExcitation` block (ratio ``r``) on ``F(x)`` before the
    addition, as SE-ResNet does (notebook 11). ``zero_init_last_bn=True`` starts the last BN's
    scale (gamma) at 0, so a new unit is ``activation(shortcut(x))``: with an identity shortcut
    the unit starts as (almost) the identity (Goyal et al., 2017); the default, False, is Keras'
    usual gamma = 1, as in Hands-On ML.

    Parameters (``count_params()``, BN's moving mean and variance included): ``9*C*f + 9*f*f``
    weights and ``2 * 4f`` for two BNs, plus ``C*f + 4f`` for a projection.
    """

    def __init__(self, filters: int, strides: int = 1, activation="relu", *, shortcut: str | None = "projection",
                 se_ratio: int | None = None, zero_init_last_bn: bool = False, **kwargs):
        super().__init__(filters, strides, activation, shortcut, se_ratio, zero_init_last_bn, **kwargs)
        self.conv1 = self._conv(self.filters, 3, self.strides, "conv1")
        self.bn1 = self._bn("bn1")
        self.conv2 = self._conv(self.filters, 3, 1, "conv2")
        self.bn2 = self._bn("bn2", last=True)

    def build(self, input_shape):
        # Built here (not on the first call) so that a reloaded .keras model has the weights to fill.
        self._channels_in(input_shape)
        out = self.compute_output_shape(input_shape)
        self.conv1.build(input_shape)
        for layer in (self.bn1, self.conv2, self.bn2, self.se):
            if layer is not None:
                layer.build(out)
        self._build_shortcut(input_shape)

    def call(self, inputs, training=None):
        z = self.activation(self.bn1(self.conv1(inputs), training=training))
        z = self.bn2(self.conv2(z), training=training)
        return self._finish(z, inputs, training)


@keras.saving.register_keras_serializable(package=PACKAGE)
class BottleneckUnit(_ResidualBase):
    """ResNet-50's bottleneck unit (병목 유닛): 1x1 reduce, 3x3, 1x1 expand, plus the shortcut (notebook 10).

    (N, H, W, C) -> (N, ceil(H / strides), ceil(W / strides), filters * expansion). The main path
    is ``Conv2D(filters, 1x1) - BN - act - Conv2D(filters, 3x3, strides) - BN - act -
    Conv2D(filters * expansion, 1x1) - BN``: the 3x3 convolution works on ``filters`` channels,
    a quarter of the unit's width with ``expansion=4``, which makes 50 layers cheaper than
    ResNet-34's 34. The stride is on the 3x3 convolution (ResNet "v1.5", as torchvision);
    ``keras.applications.ResNet50`` puts it on the first 1x1 (same parameter count).
    ``shortcut``, ``se_ratio`` and ``zero_init_last_bn`` work as in :class:`ResidualUnit`; the
    projection is used whenever the shape changes, e.g. in the first unit of every stage
    (64 -> 256 channels at stride 1 in ResNet-50's first stage).
    """

    def __init__(self, filters: int, strides: int = 1, expansion: int = 4, activation="relu", *,
                 shortcut: str | None = "projection", se_ratio: int | None = None, zero_init_last_bn: bool = False,
                 **kwargs):
        super().__init__(filters, strides, activation, shortcut, se_ratio, zero_init_last_bn, **kwargs)
        self.expansion = positive_int("expansion (output channels = filters * expansion)", expansion)
        self.conv1 = self._conv(self.filters, 1, 1, "conv1")
        self.bn1 = self._bn("bn1")
        self.conv2 = self._conv(self.filters, 3, self.strides, "conv2")
        self.bn2 = self._bn("bn2")
        self.conv3 = self._conv(self.out_channels, 1, 1, "conv3")
        self.bn3 = self._bn("bn3", last=True)

    @property
    def out_channels(self) -> int:
        return self.filters * self.expansion

    def build(self, input_shape):
        self._channels_in(input_shape)
        n, h, w, _ = tuple(input_shape)
        out = self.compute_output_shape(input_shape)
        self.conv1.build(input_shape)
        self.bn1.build((n, h, w, self.filters))
        self.conv2.build((n, h, w, self.filters))
        self.bn2.build((*out[:3], self.filters))
        self.conv3.build((*out[:3], self.filters))
        self.bn3.build(out)
        if self.se is not None:
            self.se.build(out)
        self._build_shortcut(input_shape)

    def call(self, inputs, training=None):
        z = self.activation(self.bn1(self.conv1(inputs), training=training))
        z = self.activation(self.bn2(self.conv2(z), training=training))
        z = self.bn3(self.conv3(z), training=training)
        return self._finish(z, inputs, training)

    def get_config(self):
        return {**super().get_config(), "expansion": self.expansion}


# ---------------------------------------------------------------------------------------------
# squeeze-and-excitation (notebook 11)
# ---------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=PACKAGE)
class SqueezeExcitation(keras.layers.Layer):
    """SENet's squeeze-and-excitation block: rescale each channel by a learned weight in (0, 1) (notebook 11).

    (N, H, W, C) -> (N, H, W, C). Squeeze: global average pooling, one number per channel (N, C).
    Excitation: ``Dense(C // ratio, relu)`` then ``Dense(C, sigmoid)``: the narrow layer (1/16 of
    the channels with the default ``ratio=16``) forces it to learn how the channels go together.
    Scale: every feature map multiplied by its weight. ``2 * C * (C // ratio) + C // ratio + C``
    parameters; ``C // ratio`` is at least 1 (a 16-channel input keeps 1 unit).
    """

    def __init__(self, ratio: int = 16, **kwargs):
        super().__init__(**kwargs)
        self.ratio = positive_int("ratio (the SE block's reduction ratio r)", ratio)
        self.reduce = self.expand = None

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"SqueezeExcitation needs (N, H, W, C) inputs with a known number of channels, "
                             f"got shape {tuple(input_shape)}")
        c = int(input_shape[-1])
        units = max(1, c // self.ratio)
        self.reduce = keras.layers.Dense(units, activation="relu", dtype=self.dtype_policy, name="reduce")
        self.expand = keras.layers.Dense(c, activation="sigmoid", dtype=self.dtype_policy, name="expand")
        self.reduce.build((input_shape[0], c))
        self.expand.build((input_shape[0], units))

    def call(self, inputs):
        weights = self.expand(self.reduce(ops.mean(inputs, axis=(1, 2))))  # squeeze, excite: (N, C)
        return inputs * ops.expand_dims(ops.expand_dims(weights, 1), 1)  # scale: broadcast over H and W

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}


# ---------------------------------------------------------------------------------------------
# Xception's block and Inception-ResNet's module (notebook 11)
# ---------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=PACKAGE)
class XceptionBlock(keras.layers.Layer):
    """One block of Xception's entry, middle or exit flow: separable convolutions plus a shortcut (notebook 11).

    (N, H, W, C) -> (N, ceil(H / 2), ceil(W / 2), filters[-1]) with ``pool=True``, else
    (N, H, W, filters[-1]). The main path is ``[ReLU - SeparableConv2D(f, 3x3) - BN]`` for each
    ``f`` in ``filters`` ("same" padding, no biases), then, with ``pool=True``, a 3x3 max pooling
    with stride 2. The shortcut is ``Conv2D(filters[-1], 1x1, stride 2 if pool) - BN`` where the
    shape changes (entry and exit flow) and the input itself where it does not (middle flow).
    The block returns ``main + shortcut`` with no activation: the next block starts with its ReLU,
    as in Chollet (2017, figure 5) and ``keras.applications.Xception``.

    ``filters`` is an int (the same for ``repeats`` convolutions, default 2) or a list, one per
    convolution: the exit flow's ``(728, 1024)``. ``first_activation=False`` drops the first ReLU
    (the entry flow's first block, which follows a ReLU already). The middle flow's block is
    ``XceptionBlock(728, repeats=3, pool=False)``.

    Parameters (``count_params()``, BN's moving mean and variance included): for each separable
    convolution from ``c`` to ``f`` channels ``9*c + c*f`` weights and ``4f`` for its BN; plus
    ``C*f_last + 4*f_last`` for a projection shortcut.
    """

    def __init__(self, filters, repeats: int | None = None, pool: bool = True, first_activation: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(filters, tuple | list):
            if not filters:
                raise ValueError("filters must be a positive integer or a non-empty list of them (one per separable "
                                 "convolution), got []")
            self.filters = [positive_int(f"filters[{i}]", f) for i, f in enumerate(filters)]
            if repeats is not None and positive_int("repeats", repeats) != len(self.filters):
                raise ValueError(f"repeats={repeats} disagrees with the {len(self.filters)} filters given "
                                 f"{self.filters}; expected repeats=None or {len(self.filters)}")
        else:
            f = positive_int("filters (a positive integer or a list of them)", filters)
            self.filters = [f] * positive_int("repeats (separable convolutions in the block)",
                                              2 if repeats is None else repeats)
        self.pool = _flag("pool", pool)
        self.first_activation = _flag("first_activation", first_activation)
        self.convs = [keras.layers.SeparableConv2D(f, 3, padding="same", use_bias=False, dtype=self.dtype_policy,
                                                   name=f"sepconv{i + 1}") for i, f in enumerate(self.filters)]
        self.norms = [keras.layers.BatchNormalization(dtype=self.dtype_policy, name=f"bn{i + 1}")
                      for i in range(len(self.filters))]
        self.max_pool = keras.layers.MaxPooling2D(3, strides=2, padding="same", dtype=self.dtype_policy,
                                                  name="pool") if self.pool else None
        self.skip_conv = self.skip_bn = None

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"XceptionBlock needs (N, H, W, C) inputs with a known number of channels, "
                             f"got shape {tuple(input_shape)}")
        shape = tuple(input_shape)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            conv.build(shape)
            shape = (*shape[:3], conv.filters)
            norm.build(shape)
        if self.pool or input_shape[-1] != self.filters[-1]:
            self.skip_conv = keras.layers.Conv2D(self.filters[-1], 1, strides=2 if self.pool else 1, padding="same",
                                                 use_bias=False, dtype=self.dtype_policy, name="skip_conv")
            self.skip_bn = keras.layers.BatchNormalization(dtype=self.dtype_policy, name="skip_bn")
            self.skip_conv.build(input_shape)
            self.skip_bn.build(self.compute_output_shape(input_shape))

    def call(self, inputs, training=None):
        x = inputs
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            if i > 0 or self.first_activation:
                x = ops.relu(x)
            x = norm(conv(x), training=training)
        if self.max_pool is not None:
            x = self.max_pool(x)
        skip = inputs if self.skip_conv is None else self.skip_bn(self.skip_conv(inputs), training=training)
        return x + skip

    def compute_output_shape(self, input_shape):
        n, h, w = tuple(input_shape)[:3]
        s = 2 if self.pool else 1
        return (n, _same_size(h, s), _same_size(w, s), self.filters[-1])

    def get_config(self):
        return {**super().get_config(), "filters": list(self.filters), "repeats": len(self.filters),
                "pool": self.pool, "first_activation": self.first_activation}


@keras.saving.register_keras_serializable(package=PACKAGE)
class InceptionResNetA(keras.layers.Layer):
    """Inception-ResNet's 35x35 module ("block35"): an inception module on a residual connection (notebook 11).

    (N, H, W, C) -> (N, H, W, C). Three branches side by side, as in GoogLeNet (notebook 09):

    * ``f1x1``: 1x1 convolution;
    * ``f3x3_reduce`` -> ``f3x3``: 1x1, then 3x3;
    * ``f3x3dbl_reduce`` -> ``f3x3dbl_mid`` -> ``f3x3dbl``: 1x1, then two 3x3 (a 5x5's field);

    each convolution "same", without bias, followed by BN (no scale, as Keras' Inception-ResNet)
    and ReLU. The branches are concatenated and a 1x1 convolution with bias and no activation
    projects them back to ``C`` channels ("up"); the module returns
    ``activation(x + scale * up)``, as in ResNet (notebook 10). Szegedy et al. (2017) scale the
    residual down (0.1 to 0.3; 0.17 in ``keras.applications.InceptionResNetV2``) because
    wide modules made training unstable without it. The defaults are Inception-ResNet-v2's.

    Parameters (``count_params()``): each branch convolution ``FH*FW*c*f`` weights and ``3f``
    for its BN (beta, moving mean and variance), plus ``(f1x1 + f3x3 + f3x3dbl) * C + C`` for the
    projection.
    """

    def __init__(self, f1x1: int = 32, f3x3_reduce: int = 32, f3x3: int = 32, f3x3dbl_reduce: int = 32,
                 f3x3dbl_mid: int = 48, f3x3dbl: int = 64, scale: float = 0.17, activation="relu", **kwargs):
        super().__init__(**kwargs)
        names = ("f1x1", "f3x3_reduce", "f3x3", "f3x3dbl_reduce", "f3x3dbl_mid", "f3x3dbl")
        values = (f1x1, f3x3_reduce, f3x3, f3x3dbl_reduce, f3x3dbl_mid, f3x3dbl)
        for name, value in zip(names, values, strict=True):
            positive_int(f"{name} (filters of an Inception-ResNet branch)", value)
        self.filters = dict(zip(names, (int(v) for v in values), strict=True))
        self.scale = fraction("scale (the factor on the residual, in (0, 1])", scale, include_high=True)
        if self.scale == 0:
            raise ValueError("scale (the factor on the residual, in (0, 1]) must be above 0, got 0: the module "
                             "would ignore its branches")
        self.activation = _activation(activation)
        # (filters, size, name) of each branch's convolutions; the layers live in flat lists so Keras tracks them
        f = self.filters
        self.branch_specs = (
            ((f["f1x1"], 1, "b1_1x1"),),
            ((f["f3x3_reduce"], 1, "b2_1x1"), (f["f3x3"], 3, "b2_3x3")),
            ((f["f3x3dbl_reduce"], 1, "b3_1x1"), (f["f3x3dbl_mid"], 3, "b3_3x3a"), (f["f3x3dbl"], 3, "b3_3x3b")),
        )
        specs = [spec for branch in self.branch_specs for spec in branch]
        self.convs = [keras.layers.Conv2D(n, size, padding="same", use_bias=False, dtype=self.dtype_policy,
                                          name=name) for n, size, name in specs]
        self.norms = [keras.layers.BatchNormalization(scale=False, dtype=self.dtype_policy, name=f"{name}_bn")
                      for _, _, name in specs]
        self.up = None

    def _branches(self):
        """The (conv, norm) pairs of each branch, in order."""
        pairs, start = list(zip(self.convs, self.norms, strict=True)), 0
        for branch in self.branch_specs:
            yield pairs[start:start + len(branch)]
            start += len(branch)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"InceptionResNetA needs (N, H, W, C) inputs with a known number of channels, "
                             f"got shape {tuple(input_shape)}")
        head = tuple(input_shape[:-1])
        for branch in self._branches():
            shape = tuple(input_shape)
            for conv, norm in branch:
                conv.build(shape)
                shape = (*head, conv.filters)
                norm.build(shape)
        concat = self.filters["f1x1"] + self.filters["f3x3"] + self.filters["f3x3dbl"]
        self.up = keras.layers.Conv2D(int(input_shape[-1]), 1, dtype=self.dtype_policy, name="up")
        self.up.build((*head, concat))

    def call(self, inputs, training=None):
        outputs = []
        for branch in self._branches():
            x = inputs
            for conv, norm in branch:
                x = ops.relu(norm(conv(x), training=training))
            outputs.append(x)
        up = self.up(ops.concatenate(outputs, axis=-1))  # linear: no activation before the addition
        return self.activation(inputs + self.scale * up)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), **self.filters, "scale": self.scale,
                "activation": keras.activations.serialize(self.activation)}


# ---------------------------------------------------------------------------------------------
# DenseNet (notebook 10)
# ---------------------------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=PACKAGE)
class DenseLayer(keras.layers.Layer):
    """One layer of a DenseNet dense block: new feature maps concatenated to the input (notebook 10).

    (N, H, W, C) -> (N, H, W, C + growth_rate). With ``bottleneck=True`` (DenseNet-B/BC):
    ``BN - ReLU - Conv2D(bottleneck_width * k, 1x1) - BN - ReLU - Conv2D(k, 3x3)``; without,
    ``BN - ReLU - Conv2D(k, 3x3)``. Normalization and activation come *before* each convolution
    (pre-activation), convolutions have no bias, and the ``k = growth_rate`` new maps are
    concatenated to the input, so every later layer sees all earlier ones: the block grows by
    ``k`` channels per layer (:func:`course_utils.arithmetic.densenet_channels`).
    """

    def __init__(self, growth_rate: int, bottleneck: bool = True, bottleneck_width: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.growth_rate = positive_int("growth_rate (k, new channels per layer)", growth_rate)
        self.bottleneck = _flag("bottleneck", bottleneck)
        self.bottleneck_width = positive_int("bottleneck_width (1x1 filters = bottleneck_width * growth_rate)",
                                             bottleneck_width)
        widths = ([self.bottleneck_width * self.growth_rate] if self.bottleneck else []) + [self.growth_rate]
        sizes = ([1] if self.bottleneck else []) + [3]
        self.norms = [keras.layers.BatchNormalization(dtype=self.dtype_policy, name=f"bn{i + 1}")
                      for i in range(len(widths))]
        self.convs = [keras.layers.Conv2D(f, size, padding="same", use_bias=False, dtype=self.dtype_policy,
                                          name=f"conv{i + 1}")
                      for i, (f, size) in enumerate(zip(widths, sizes, strict=True))]

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"DenseLayer needs (N, H, W, C) inputs with a known number of channels, "
                             f"got shape {tuple(input_shape)}")
        shape = tuple(input_shape)
        for norm, conv in zip(self.norms, self.convs, strict=True):
            norm.build(shape)
            conv.build(shape)
            shape = (*shape[:3], conv.filters)

    def call(self, inputs, training=None):
        x = inputs
        for norm, conv in zip(self.norms, self.convs, strict=True):
            x = conv(ops.relu(norm(x, training=training)))
        return ops.concatenate([inputs, x], axis=-1)

    def compute_output_shape(self, input_shape):
        c = input_shape[-1]
        return (*tuple(input_shape)[:-1], None if c is None else c + self.growth_rate)

    def get_config(self):
        return {**super().get_config(), "growth_rate": self.growth_rate, "bottleneck": self.bottleneck,
                "bottleneck_width": self.bottleneck_width}


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransitionLayer(keras.layers.Layer):
    """DenseNet's transition between dense blocks: fewer channels, half the size (notebook 10).

    (N, H, W, C) -> (N, H // 2, W // 2, floor(compression * C)):
    ``BN - ReLU - Conv2D(floor(compression * C), 1x1, no bias) - AveragePooling2D(2)``.
    ``compression`` (theta) is 0.5 in DenseNet-BC and 1 (no compression) in plain DenseNet.
    """

    def __init__(self, compression: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.compression = fraction("compression (theta, the fraction of channels kept)", compression,
                                    include_high=True)
        if self.compression == 0:
            raise ValueError("compression (theta, the fraction of channels kept) must be in (0, 1], got 0")
        self.norm = keras.layers.BatchNormalization(dtype=self.dtype_policy, name="bn")
        self.conv = self.pool = None

    def _filters(self, input_shape) -> int:
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"TransitionLayer needs (N, H, W, C) inputs with a known number of channels, "
                             f"got shape {tuple(input_shape)}")
        filters = int(self.compression * input_shape[-1])
        if filters < 1:
            raise ValueError(f"compression {self.compression} of {input_shape[-1]} channels keeps none; expected "
                             "a larger compression or more channels")
        return filters

    def build(self, input_shape):
        filters = self._filters(input_shape)
        self.conv = keras.layers.Conv2D(filters, 1, use_bias=False, dtype=self.dtype_policy, name="conv")
        self.pool = keras.layers.AveragePooling2D(2, dtype=self.dtype_policy, name="pool")
        self.norm.build(input_shape)
        self.conv.build(input_shape)

    def call(self, inputs, training=None):
        return self.pool(self.conv(ops.relu(self.norm(inputs, training=training))))

    def compute_output_shape(self, input_shape):
        n, h, w = tuple(input_shape)[:3]
        return (n, None if h is None else h // 2, None if w is None else w // 2, self._filters(input_shape))

    def get_config(self):
        return {**super().get_config(), "compression": self.compression}
