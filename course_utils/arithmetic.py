"""Convolution arithmetic: output sizes, padding, parameters, multiply-adds, memory, receptive fields.

Conventions (TensorFlow's): sizes per spatial axis; one axis's ``padding`` is ``"valid"``,
``"same"``, an integer ``P`` (P zeros on both sides) or a pair ``(before, after)``; both axes'
padding (:func:`conv_output_shape`, :func:`conv_geometry`) is parsed like ``conv2d``'s. The parsing
and the argument checks live in :mod:`course_utils.checks`.

* explicit padding: ``O = (I + P_before + P_after - F_eff) / S + 1`` where
  ``F_eff = (F - 1) * D + 1`` is the dilated filter size. When the division is not exact the
  layer does not fit the input; ``strict=True`` raises and says by how much, ``strict=False``
  rounds down like the libraries do (the last rows/columns are never visited).
* ``"valid"``: no padding, ``O = floor((I - F_eff) / S) + 1`` (leftover rows are ignored).
* ``"same"``: ``O = ceil(I / S)``; the total padding ``max((O - 1) * S + F_eff - I, 0)`` is split
  with the extra zero at the bottom/right when it is odd.

Also here (Part I, notebooks 02, 03 and 04): :func:`conv_output_shape` (both axes),
:func:`conv_geometry` (output size and padding amounts for the NumPy convolution),
:func:`conv_params` / :func:`dense_params` (trainable parameters, as ``count_params()``),
:func:`conv_macs` (multiply-accumulates), :func:`activation_bytes` / :func:`dtype_bytes` /
:func:`format_bytes` (memory of activations), :func:`receptive_field` (with a per-layer table),
:func:`input_window` (which inputs one output sees) and :func:`bottleneck_params` (1x1 reduction).
Notebook 08 adds :func:`stacked_convs` (n stacked FxF convolutions against one big filter) and
:func:`layer_costs` (a Keras model's per-layer parameters, multiply-adds, memory and receptive
field, predicted from these formulas; Keras is imported by the caller, not here).
Notebook 10 adds :func:`densenet_channels` (channels after every layer of a DenseNet) and
notebook 11 the convolution types: :func:`depthwise_params`, :func:`separable_params`,
:func:`depthwise_macs`, :func:`separable_macs`, :func:`transposed_output_size` /
:func:`transposed_output_shape` (as ``Conv2DTranspose``), :func:`transposed_macs` and
:func:`conv_type_costs` (normal, pointwise, depthwise, separable, grouped, dilated and transposed
side by side, each with its Keras layer); grouped and dilated convolutions use
:func:`conv_params`' ``groups`` and :func:`effective_filter_size`.
Every function raises ``ValueError`` saying what was wrong and what was expected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from course_utils.checks import (
    int_pair,
    is_int,
    non_negative_int,
    padding_1d,
    padding_2d,
    positive_int,
)

PaddingSpec = str | int | tuple[int, int]


def effective_filter_size(filter_size: int, dilation: int = 1) -> int:
    """Size covered by a dilated filter: ``(F - 1) * D + 1`` (notebook 02)."""
    filter_size = positive_int("filter size", filter_size)
    dilation = positive_int("dilation", dilation)
    return (filter_size - 1) * dilation + 1


def padding_amounts(
    input_size: int, filter_size: int, stride: int = 1, padding: PaddingSpec = "valid", dilation: int = 1
) -> tuple[int, int]:
    """Zeros added ``(before, after)`` along one axis, as TensorFlow pads (notebook 02).

    >>> padding_amounts(13, 6, 5, "same")   # Hands-On ML: 13 inputs, 6-wide filter, stride 5
    (1, 2)
    """
    input_size = positive_int("input size", input_size)
    stride = positive_int("stride", stride)
    f_eff = effective_filter_size(filter_size, dilation)
    spec = padding_1d(padding)
    if spec == "valid":
        return (0, 0)
    if spec == "same":
        out = math.ceil(input_size / stride)
        total = max((out - 1) * stride + f_eff - input_size, 0)
        return (total // 2, total - total // 2)
    return spec


def output_size(
    input_size: int,
    filter_size: int,
    stride: int = 1,
    padding: PaddingSpec = 0,
    dilation: int = 1,
    *,
    strict: bool = False,
) -> int:
    """Output length along one axis (notebooks 01 and 02).

    Raises ValueError when the (dilated) filter is larger than the padded input, and, with
    ``strict=True`` and explicit padding, when ``(I + 2P - F) / S`` is not a whole number.

    >>> output_size(4, 3)                 # session-8 slides: a 4x4 input and a 3x3 filter give 2x2
    2
    >>> output_size(13, 6, 5, "same")     # Hands-On ML ch. 14: SAME gives ceil(13 / 5)
    3
    """
    input_size = positive_int("input size", input_size)
    stride = positive_int("stride", stride)
    f_eff = effective_filter_size(filter_size, dilation)
    if padding_1d(padding) == "same":
        return math.ceil(input_size / stride)
    before, after = padding_amounts(input_size, filter_size, stride, padding, dilation)
    padded = input_size + before + after
    if f_eff > padded:
        what = f"dilated filter ({filter_size} taps, dilation {dilation}) covers {f_eff}" if dilation > 1 else (
            f"filter size {f_eff}")
        raise ValueError(
            f"the {what}, more than the padded input {input_size} + {before} + {after} = {padded}; "
            "use a smaller filter, more padding, or a larger input"
        )
    span = padded - f_eff
    if strict and not isinstance(padding, str) and span % stride:
        exact = span / stride + 1
        raise ValueError(
            f"(I + P_before + P_after - F) / S + 1 = ({input_size} + {before} + {after} - {f_eff}) / {stride} + 1 "
            f"= {exact:g} is not an integer: the filter does not fit a whole number of times and the last "
            f"{span % stride} row(s)/column(s) would never be visited. Change the padding or stride "
            "(libraries round down instead of failing)"
        )
    return span // stride + 1


# ---------------------------------------------------------------------------------------------
# Two spatial axes at once, parameters, multiply-accumulates, memory, receptive fields
# ---------------------------------------------------------------------------------------------

Pair = int | tuple[int, int]


def conv_output_shape(
    input_hw: Pair,
    filter_hw: Pair,
    stride: Pair = 1,
    padding="valid",
    dilation: Pair = 1,
    *,
    strict: bool = False,
) -> tuple[int, int]:
    """``(OH, OW)`` of a 2-D convolution: :func:`output_size` on each axis (notebook 02).

    ``padding`` is parsed as :func:`course_utils.conv.conv2d` parses it (one parser,
    :func:`course_utils.checks.padding_2d`): ``"valid"``, ``"same"``, ``P`` on every side, a
    per-axis pair ``(PH, PW)`` or ``((top, bottom), (left, right))``.

    >>> conv_output_shape((150, 100), 5, 1, "same")   # Hands-On ML: SAME keeps 150x100
    (150, 100)
    >>> conv_output_shape(96, 8)                       # session-8 slides: 96 - 8 + 1 = 89
    (89, 89)
    >>> conv_output_shape((4, 4), 3, 1, (1, 0))        # pad the rows only
    (4, 2)
    """
    h, w = int_pair("input size", input_hw)
    fh, fw = int_pair("filter size", filter_hw)
    sh, sw = int_pair("stride", stride)
    dh, dw = int_pair("dilation", dilation)
    pad_h, pad_w = padding_2d(padding)
    return (
        output_size(h, fh, sh, pad_h, dh, strict=strict),
        output_size(w, fw, sw, pad_w, dw, strict=strict),
    )


class ConvGeometry(NamedTuple):
    """Everything a NumPy convolution or pooling needs to know about its window (notebook 03)."""

    oh: int  # output height
    ow: int  # output width
    pads: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right)) zeros added
    stride: tuple[int, int]  # (sh, sw)
    dilation: tuple[int, int]  # (dh, dw)


def conv_geometry(x_shape, fh: int, fw: int, stride=1, padding="valid", dilation=1) -> ConvGeometry:
    """Output size and padding of an ``fh x fw`` window sliding over ``x_shape = (N, H, W, C)``.

    Used by :mod:`course_utils.conv` (notebooks 01 and 03); the same numbers as
    :func:`conv_output_shape` plus the padding amounts, as a :class:`ConvGeometry`
    ``(oh, ow, pads, stride, dilation)``. Raises ValueError for a bad stride, dilation or
    padding, or a window larger than the padded input.

    >>> conv_geometry((1, 13, 13, 3), 6, 6, 5, "same")
    ConvGeometry(oh=3, ow=3, pads=((1, 2), (1, 2)), stride=(5, 5), dilation=(1, 1))
    """
    if not isinstance(x_shape, tuple | list) or len(x_shape) != 4:
        raise ValueError(f"x_shape must be 4-D (N, H, W, C), got {x_shape!r}")
    h, w = int_pair("input size", (x_shape[1], x_shape[2]))
    fh, fw = int_pair("kernel size", (fh, fw))
    st = int_pair("stride", stride)
    dil = int_pair("dilation", dilation)
    specs = padding_2d(padding)
    pads = (
        padding_amounts(h, fh, st[0], specs[0], dil[0]),
        padding_amounts(w, fw, st[1], specs[1], dil[1]),
    )
    eff = (effective_filter_size(fh, dil[0]), effective_filter_size(fw, dil[1]))
    padded = (h + sum(pads[0]), w + sum(pads[1]))
    if eff[0] > padded[0] or eff[1] > padded[1]:
        dilated = f" (dilated to {eff[0]}x{eff[1]})" if dil != (1, 1) else ""
        raise ValueError(
            f"the {fh}x{fw} kernel{dilated} is larger than the padded input {padded[0]}x{padded[1]} "
            f"(input {h}x{w}, padding {pads}); expected a kernel that fits: use a smaller kernel, "
            "more padding or padding='same'"
        )
    oh = output_size(h, fh, st[0], pads[0], dil[0])
    ow = output_size(w, fw, st[1], pads[1], dil[1])
    return ConvGeometry(oh, ow, pads, st, dil)


def conv_params(
    filter_hw: Pair, in_channels: int, out_channels: int, *, bias: bool = True, groups: int = 1
) -> int:
    """Trainable parameters of a 2-D convolution layer (``keras.layers.Conv2D``) (notebooks 01 and 04).

    ``FH * FW * (C_in / groups) * C_out`` weights, plus ``C_out`` biases (one per output
    channel, i.e. per feature map) when ``bias``. Padding, stride, dilation and the input's
    height and width do not appear: every position shares the same filters.

    >>> conv_params(5, 3, 200)                 # Hands-On ML ch. 14: (5*5*3 + 1) * 200
    15200
    >>> conv_params(3, 128, 64, bias=False)    # lecture notes: 3*3*128*64
    73728
    """
    fh, fw = int_pair("filter size", filter_hw)
    c_in = positive_int("in_channels", in_channels)
    c_out = positive_int("out_channels", out_channels)
    groups = positive_int("groups", groups)
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"groups={groups} must divide both in_channels ({c_in}) and out_channels ({c_out}); "
            "each group convolves C_in/groups input channels into C_out/groups output channels"
        )
    return fh * fw * (c_in // groups) * c_out + (c_out if bias else 0)


def dense_params(in_features: int, out_features: int, *, bias: bool = True) -> int:
    """Trainable parameters of a fully connected layer: ``in * out (+ out)`` (notebooks 01 and 04).

    >>> dense_params(100 * 100, 1000, bias=False)   # Hands-On ML ch. 14: a 100x100 image into 1,000 units
    10000000
    """
    n_in = positive_int("in_features", in_features)
    n_out = positive_int("out_features", out_features)
    return n_in * n_out + (n_out if bias else 0)


def conv_macs(
    filter_hw: Pair, in_channels: int, out_channels: int, output_hw: Pair, *, groups: int = 1
) -> int:
    """Multiply-accumulate operations of one convolution layer for one input image (notebooks 04 and 05).

    Every one of the ``OH * OW * C_out`` outputs is a dot product of ``FH * FW * C_in / groups``
    products (bias additions are not counted). FLOPs are about twice this number.

    >>> conv_macs(5, 3, 200, (150, 100))   # Hands-On ML ch. 14: 5*5*3 * 150*100 * 200
    225000000
    """
    oh, ow = int_pair("output size", output_hw)
    weights = conv_params(filter_hw, in_channels, out_channels, bias=False, groups=groups)
    return weights * oh * ow


# Bytes per element of the dtypes a Keras model uses (bfloat16 has no NumPy dtype).
DTYPE_BYTES = {
    "float64": 8, "float32": 4, "float16": 2, "bfloat16": 2,
    "int64": 8, "int32": 4, "int16": 2, "int8": 1, "uint8": 1, "bool": 1,
    "mixed_float16": 2, "mixed_bfloat16": 2,
}  # fmt: skip


def dtype_bytes(dtype="float32") -> int:
    """Bytes per element of ``dtype`` (a name such as ``"float16"`` or a NumPy dtype) (notebook 02).

    The Keras policies ``"mixed_float16"`` / ``"mixed_bfloat16"`` count 2 bytes, the size
    of their activations.
    """
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
    if not isinstance(name, str) or name.lower() not in DTYPE_BYTES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of: {', '.join(DTYPE_BYTES)}")
    return DTYPE_BYTES[name.lower()]


def activation_bytes(shape, dtype="float32", batch_size: int = 1) -> int:
    """Memory of one layer's output: ``batch_size * prod(shape) * bytes per element`` (notebook 04).

    ``shape`` is the output shape of one example, without the batch axis, e.g. ``(OH, OW, C)``.

    >>> activation_bytes((150, 100, 200))                    # Hands-On ML ch. 14: one image, float32
    12000000
    >>> activation_bytes((150, 100, 200), "float32", 100)    # a batch of 100 images
    1200000000
    """
    if is_int(shape):
        shape = (shape,)
    if not isinstance(shape, tuple | list) or not shape:
        raise ValueError(f"shape must be a non-empty tuple of positive integers (no batch axis), got {shape!r}")
    if any(s is None for s in shape):
        raise ValueError(f"shape {shape!r} has an unknown (None) size; give one example's shape without the batch axis")
    n = 1
    for i, s in enumerate(shape):
        n *= positive_int(f"shape[{i}]", s)
    return n * positive_int("batch_size", batch_size) * dtype_bytes(dtype)


def format_bytes(n: int) -> str:
    """Human-readable size with binary prefixes: ``format_bytes(12_000_000) == '11.4 MiB'`` (notebook 04)."""
    n = non_negative_int("number of bytes", n)
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --- receptive fields -------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerField:
    """One row of :func:`receptive_field`'s table (sizes along one axis, in input pixels)."""

    index: int  # 1-based layer number
    filter_size: int
    stride: int
    dilation: int
    size: int  # receptive field of one output of this layer
    jump: int  # distance in input pixels between two neighbouring outputs (product of strides)


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of the last layer of a stack, with the per-layer table."""

    size: int
    jump: int
    layers: tuple[LayerField, ...]

    def table(self) -> str:
        """The per-layer table as text."""
        head = f"{'layer':>5} {'filter':>6} {'stride':>6} {'dilation':>8} {'field':>6} {'jump':>5}"
        rows = [
            f"{r.index:>5} {r.filter_size:>6} {r.stride:>6} {r.dilation:>8} {r.size:>6} {r.jump:>5}"
            for r in self.layers
        ]
        return "\n".join([head, *rows])


def receptive_field(layers) -> ReceptiveField:
    """Receptive field (수용장) along one axis of a stack of convolution / pooling layers (notebooks 02 and 04).

    ``layers`` is a sequence of ``(filter, stride)`` or ``(filter, stride, dilation)``, first
    layer first. With ``r`` the field and ``j`` the jump (distance in input pixels between
    neighbouring outputs), each layer does ``r += (F_eff - 1) * j`` then ``j *= S``, starting
    from ``r = j = 1``. Padding shifts where the field lies, not its size.

    >>> receptive_field([(3, 1), (3, 1)]).size          # two 3x3 convs see 5x5 (lecture notes)
    5
    >>> receptive_field([(3, 1)] * 3).size              # three see 7x7
    7
    """
    if isinstance(layers, str) or not hasattr(layers, "__iter__"):
        raise ValueError(f"layers must be a list of (filter, stride[, dilation]) tuples, got {layers!r}")
    layers = list(layers)
    if not layers:
        raise ValueError("layers is empty; expected at least one (filter, stride[, dilation]) tuple")
    size, jump, rows = 1, 1, []
    for i, layer in enumerate(layers, start=1):
        if not isinstance(layer, tuple | list) or len(layer) not in (2, 3):
            raise ValueError(
                f"layer {i} must be (filter, stride) or (filter, stride, dilation), got {layer!r}"
            )
        f = positive_int(f"layer {i} filter size", layer[0])
        s = positive_int(f"layer {i} stride", layer[1])
        d = positive_int(f"layer {i} dilation", layer[2]) if len(layer) == 3 else 1
        size += (effective_filter_size(f, d) - 1) * jump
        jump *= s
        rows.append(LayerField(i, f, s, d, size, jump))
    return ReceptiveField(size, jump, tuple(rows))


def input_window(i: int, filter_size: int, stride: int = 1, dilation: int = 1, pad_before: int = 0):
    """Input indices (of the unpadded input; negative or too large = padding) that output ``i`` sees (notebook 02).

    The stride mapping of Hands-On ML ch. 14: with no padding, output ``i`` sees rows ``i*S`` ... ``i*S + F - 1``.

    >>> input_window(2, 3, stride=2)
    [4, 5, 6]
    """
    i = non_negative_int("output index", i)
    f = positive_int("filter size", filter_size)
    s = positive_int("stride", stride)
    d = positive_int("dilation", dilation)
    p = non_negative_int("pad_before", pad_before)
    return [i * s + k * d - p for k in range(f)]


# --- 1x1 bottlenecks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Bottleneck:
    """Parameter counts of a direct FxF convolution and of 1x1 reduction + FxF."""

    direct: int
    reduce: int  # the 1x1 convolution C_in -> reduced
    conv: int  # the FxF convolution reduced -> C_out

    @property
    def bottleneck(self) -> int:
        return self.reduce + self.conv

    @property
    def ratio(self) -> float:
        return self.bottleneck / self.direct


def bottleneck_params(
    in_channels: int, reduced: int, out_channels: int | None = None, filter_size: Pair = 3, *, bias: bool = False
) -> Bottleneck:
    """Compare ``FxF C_in->C_out`` with ``1x1 C_in->reduced`` then ``FxF reduced->C_out`` (notebook 04).

    >>> b = bottleneck_params(128, 32)    # lecture notes: 147,456 vs 4,096 + 36,864 = 40,960
    >>> (b.direct, b.bottleneck, round(b.ratio, 3))
    (147456, 40960, 0.278)
    """
    out_channels = in_channels if out_channels is None else out_channels
    direct = conv_params(filter_size, in_channels, out_channels, bias=bias)
    reduce = conv_params(1, in_channels, reduced, bias=bias)
    conv = conv_params(filter_size, reduced, out_channels, bias=bias)
    return Bottleneck(direct, reduce, conv)


# --- stacks of small filters and whole models (notebook 08) ------------------------------------


@dataclass(frozen=True)
class ConvStack:
    """Parameter counts of ``num_convs`` stacked FxF convolutions and of the one convolution that sees as much."""

    num_convs: int
    filter_size: int
    channels: int
    field: int  # receptive field of the stack = size of the single filter that sees as much
    stacked: int  # parameters of the stack (C -> C at every layer)
    single: int  # parameters of one field x field convolution C -> C

    @property
    def ratio(self) -> float:
        return self.stacked / self.single

    @property
    def saved(self) -> int:
        return self.single - self.stacked


def stacked_convs(num_convs: int, channels: int, filter_size: int = 3, *, bias: bool = False) -> ConvStack:
    """``num_convs`` stacked ``F x F`` convolutions against one convolution with the same receptive field (notebook 08).

    Every layer maps ``channels`` to ``channels`` (VGG keeps the width inside a block), stride 1.
    The stack sees ``num_convs * (F - 1) + 1`` pixels per axis (:func:`receptive_field`) with
    ``num_convs * F**2 * C**2`` weights; the single convolution of that size needs
    ``field**2 * C**2``. The stack also applies ``num_convs`` non-linearities instead of one.

    >>> s = stacked_convs(3, 64)    # three 3x3 see 7x7 with 27 C^2 weights instead of 49 C^2
    >>> (s.field, s.stacked, s.single, round(s.ratio, 3))
    (7, 110592, 200704, 0.551)
    """
    n = positive_int("num_convs", num_convs)
    c = positive_int("channels", channels)
    f = positive_int("filter_size", filter_size)
    field = receptive_field([(f, 1)] * n).size
    stacked = n * conv_params(f, c, c, bias=bias)
    return ConvStack(n, f, c, field, stacked, conv_params(field, c, c, bias=bias))


@dataclass(frozen=True)
class LayerCost:
    """One row of :func:`layer_costs`: one layer's output, parameters, work, memory and receptive field."""

    name: str
    kind: str  # the Keras class name, e.g. "Conv2D"
    output_shape: tuple[int, ...]  # one example, no batch axis
    params: int  # as the layer's count_params() (batch norm's moving statistics included)
    macs: int  # multiply-accumulates per example (convolutions and dense layers only)
    output_bytes: int  # memory of the layer's output for one example
    field: int | None  # receptive field (height axis, input pixels) of one output; None once flattened
    jump: int | None  # distance in input pixels between neighbouring outputs; None once flattened


# Layers that keep the shape and have no parameters or multiply-accumulates.
_PASS_THROUGH = ("Dropout", "ReLU", "Activation", "LeakyReLU", "SpatialDropout2D", "GaussianNoise",
                 "LocalResponseNormalization")  # course_utils.layers' LRN (notebook 07)
_SUPPORTED = ("Conv2D", "MaxPooling2D", "AveragePooling2D", "Dense", "Flatten", "GlobalAveragePooling2D",
              "GlobalMaxPooling2D", "BatchNormalization", "ZeroPadding2D", *_PASS_THROUGH)


def layer_costs(model, dtype="float32") -> tuple[LayerCost, ...]:
    """Per-layer parameters, multiply-adds, output memory and receptive field of a chain of Keras layers (notebook 08).

    ``model`` is a built ``keras.Sequential`` or a functional model without branches (such as
    ``keras.applications.VGG16(weights=None)``) with one fixed-size input ``(H, W, C)``. Nothing
    is read from the layers' outputs: every shape and number is predicted with this module's
    formulas (:func:`conv_output_shape`, :func:`conv_params`, :func:`conv_macs`,
    :func:`dense_params`, :func:`activation_bytes`, :func:`receptive_field`), so a notebook can
    check them against ``count_params()`` and ``layer.output.shape``.

    Counting rules: a ``Conv2D`` or ``Dense`` layer costs one multiply-accumulate per weight and
    output position (biases, activations, pooling and batch normalization are not counted: at
    inference BN folds into the layer before it); ``BatchNormalization`` has ``4 * C``
    parameters (scale, offset, moving mean and variance); ``output_bytes`` is one example's output
    in ``dtype``. The receptive field is followed along the height axis until a ``Flatten`` or a
    global pooling, after which ``field`` and ``jump`` are ``None``. Supported layers:
    Conv2D, MaxPooling2D, AveragePooling2D, Dense, Flatten, GlobalAveragePooling2D,
    GlobalMaxPooling2D, BatchNormalization, ZeroPadding2D, Dropout, ReLU, Activation, LeakyReLU,
    SpatialDropout2D, GaussianNoise and the course's LocalResponseNormalization; others raise ValueError.

    >>> import keras
    >>> m = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3), keras.layers.MaxPooling2D(2)])
    >>> [(c.kind, c.output_shape, c.params, c.macs, c.field) for c in layer_costs(m)]
    [('Conv2D', (26, 26, 8), 80, 48672, 3), ('MaxPooling2D', (13, 13, 8), 0, 0, 4)]
    """
    bytes_per_value = dtype_bytes(dtype)  # checks dtype first
    if not hasattr(model, "layers"):
        raise ValueError(f"model must be a built Keras model (Sequential or functional), got {type(model).__name__}")
    try:
        inputs = list(model.inputs or [])
    except (AttributeError, ValueError):  # a Sequential model with no layers has no inputs yet
        inputs = []
    if len(inputs) != 1:
        raise ValueError(
            f"model must have exactly one input and at least one layer, got {len(inputs)} inputs; "
            "start it with keras.Input(shape=...)"
        )
    shape = tuple(inputs[0].shape[1:])
    if len(shape) != 3 or any(s is None for s in shape):
        raise ValueError(
            f"model input must be one image of fixed size (H, W, C), got {shape}; "
            "build the model with keras.Input(shape=(H, W, C))"
        )
    spatial: list[tuple[int, int, int]] | None = []  # (filter, stride, dilation) so far, height axis
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        if kind not in _SUPPORTED:
            raise ValueError(
                f"layer {layer.name!r} ({kind}) has no formula in layer_costs; expected a chain of "
                f"{', '.join(_SUPPORTED)}"
            )
        params = macs = 0
        if kind in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "ZeroPadding2D") and len(shape) != 3:
            raise ValueError(f"layer {layer.name!r} ({kind}) needs an (H, W, C) input, got {shape}")
        if kind == "Conv2D":
            oh, ow = conv_output_shape(shape[:2], layer.kernel_size, layer.strides, layer.padding,
                                       layer.dilation_rate)
            params = conv_params(layer.kernel_size, shape[2], layer.filters, bias=layer.use_bias,
                                 groups=layer.groups)
            macs = conv_macs(layer.kernel_size, shape[2], layer.filters, (oh, ow), groups=layer.groups)
            shape = (oh, ow, layer.filters)
            if spatial is not None:
                spatial.append((layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0]))
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            oh, ow = conv_output_shape(shape[:2], layer.pool_size, layer.strides, layer.padding)
            shape = (oh, ow, shape[2])
            if spatial is not None:
                spatial.append((layer.pool_size[0], layer.strides[0], 1))
        elif kind == "ZeroPadding2D":
            (top, bottom), (left, right) = layer.padding
            shape = (shape[0] + top + bottom, shape[1] + left + right, shape[2])
        elif kind == "Dense":
            params = dense_params(shape[-1], layer.units, bias=layer.use_bias)
            macs = math.prod(shape[:-1]) * shape[-1] * layer.units
            shape = (*shape[:-1], layer.units)
        elif kind == "Flatten":
            shape, spatial = (math.prod(shape),), None
        elif kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            shape = (1, 1, shape[-1]) if getattr(layer, "keepdims", False) else (shape[-1],)
            spatial = None
        elif kind == "BatchNormalization":
            params = shape[-1] * (2 + int(layer.scale) + int(layer.center))
        if spatial is None:
            field = jump = None
        elif spatial:
            rf = receptive_field(spatial)
            field, jump = rf.size, rf.jump
        else:  # no convolution or pooling yet: one output sees one input pixel
            field = jump = 1
        rows.append(LayerCost(layer.name, kind, tuple(int(s) for s in shape), params, macs,
                              math.prod(shape) * bytes_per_value, field, jump))
    if not rows:
        raise ValueError("model has no layers after its input; expected at least one layer")
    return tuple(rows)


# --- convolution types (notebook 11) ----------------------------------------------------------


def depthwise_params(filter_hw: Pair, in_channels: int, depth_multiplier: int = 1, *, bias: bool = True) -> int:
    """Parameters of a depthwise convolution (``keras.layers.DepthwiseConv2D``) (notebook 11).

    Each of the ``C_in`` input channels gets its own ``depth_multiplier`` filters of
    ``FH x FW x 1``, so ``FH * FW * C_in * M`` weights and ``C_in * M`` biases: channels are not
    mixed (a pointwise 1x1 convolution does that). It is :func:`conv_params` with
    ``groups = C_in`` and ``C_out = C_in * M``.

    >>> depthwise_params(3, 32)          # 3*3*32 + 32
    320
    """
    c_in = positive_int("in_channels", in_channels)
    m = positive_int("depth_multiplier", depth_multiplier)
    return conv_params(filter_hw, c_in, c_in * m, bias=bias, groups=c_in)


def separable_params(
    filter_hw: Pair, in_channels: int, out_channels: int, depth_multiplier: int = 1, *, bias: bool = True
) -> int:
    """Parameters of a depthwise separable convolution (``keras.layers.SeparableConv2D``) (notebook 11).

    A depthwise ``FH x FW`` convolution (``FH * FW * C_in * M`` weights, no bias) then a pointwise
    1x1 convolution ``C_in * M -> C_out`` with ``C_out`` biases, as Keras builds it: Xception's
    building block. Against a normal convolution, ``FH * FW * C_in * C_out`` becomes
    ``FH * FW * C_in + C_in * C_out`` (M = 1).

    >>> separable_params(3, 128, 256, bias=False), conv_params(3, 128, 256, bias=False)
    (33920, 294912)
    """
    c_in = positive_int("in_channels", in_channels)
    m = positive_int("depth_multiplier", depth_multiplier)
    c_out = positive_int("out_channels", out_channels)
    return depthwise_params(filter_hw, c_in, m, bias=False) + conv_params(1, c_in * m, c_out, bias=bias)


def depthwise_macs(filter_hw: Pair, in_channels: int, output_hw: Pair, depth_multiplier: int = 1) -> int:
    """Multiply-accumulates of a depthwise convolution for one image: ``FH * FW * C_in * M * OH * OW`` (notebook 11)."""
    oh, ow = int_pair("output size", output_hw)
    return depthwise_params(filter_hw, in_channels, depth_multiplier, bias=False) * oh * ow


def separable_macs(
    filter_hw: Pair, in_channels: int, out_channels: int, output_hw: Pair, depth_multiplier: int = 1
) -> int:
    """Multiply-accumulates of a depthwise separable convolution for one image (notebook 11).

    The depthwise part (:func:`depthwise_macs`) plus the pointwise part, ``C_in * M * C_out``
    per output position. Both run at the output size (Keras strides the depthwise part).

    >>> separable_macs(3, 128, 256, (14, 14)), conv_macs(3, 128, 256, (14, 14))
    (6648320, 57802752)
    """
    oh, ow = int_pair("output size", output_hw)
    c_in = positive_int("in_channels", in_channels)
    m = positive_int("depth_multiplier", depth_multiplier)
    return depthwise_macs(filter_hw, c_in, (oh, ow), m) + conv_macs(1, c_in * m, out_channels, (oh, ow))


def transposed_output_size(
    input_size: int,
    filter_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> int:
    """Output length along one axis of a transposed convolution, as ``keras.layers.Conv2DTranspose`` (notebook 11).

    A transposed convolution ("deconvolution", 전치 합성곱) spreads every input value over an
    ``F_eff``-wide window, ``S`` apart, where ``F_eff = (F - 1) * D + 1``:

    * ``"valid"``: ``(I - 1) * S + F_eff + output_padding``; without ``output_padding``,
      ``(I - 1) * S + max(F_eff, S)`` (the windows leave no gap when ``S > F_eff``);
    * ``"same"``: ``I * S`` without ``output_padding`` (the inverse of a "same" convolution's
      ``ceil(I / S)``), else ``(I - 1) * S + F_eff % 2 + output_padding``.

    A convolution maps several input sizes to one output size (``ceil(I / S)`` for "same"), so
    its transpose has to pick one; ``output_padding`` (``0 <= output_padding < S``, as Keras
    requires) picks another. With "same", an even ``F_eff`` and ``output_padding=0`` the size
    would be ``(I - 1) * S``, which no "same" convolution maps back to ``I``: Keras' shape
    formula gives it, TensorFlow's kernel rejects it, and this function raises ValueError.

    >>> transposed_output_size(7, 3, 2, "same")     # 7x7 -> 14x14, the inverse of a 3x3/2 "same" conv
    14
    >>> transposed_output_size(7, 3, 2, "valid")    # (7 - 1) * 2 + 3
    15
    """
    i = positive_int("input size", input_size)
    s = positive_int("stride", stride)
    f_eff = effective_filter_size(filter_size, dilation)
    mode = padding.lower() if isinstance(padding, str) else None
    if mode not in ("valid", "same"):
        raise ValueError(f"padding of a transposed convolution must be 'valid' or 'same', got {padding!r}")
    if output_padding is not None:
        output_padding = non_negative_int("output_padding", output_padding)
        if output_padding >= s:
            raise ValueError(f"output_padding must be smaller than the stride ({s}), as Keras requires, "
                             f"got {output_padding}")
    if mode == "valid":
        extra = max(f_eff, s) - f_eff if output_padding is None else output_padding
        return (i - 1) * s + f_eff + extra
    if output_padding is None:
        return i * s
    if f_eff % 2 == 0 and output_padding == 0:
        raise ValueError(
            f"an even filter ({f_eff} wide) with 'same' padding and output_padding=0 gives (I - 1) * S + F_eff % 2 + "
            f"output_padding = {(i - 1) * s} outputs, which a 'same' convolution maps back to "
            f"{-(-(i - 1) * s // s)}, not {i} (TensorFlow rejects it); expected output_padding >= 1 or an odd filter"
        )
    return (i - 1) * s + f_eff % 2 + output_padding


def transposed_output_shape(
    input_hw: Pair, filter_hw: Pair, stride: Pair = 1, padding: str = "valid", output_padding=None,
    dilation: Pair = 1,
) -> tuple[int, int]:
    """``(OH, OW)`` of ``keras.layers.Conv2DTranspose``: :func:`transposed_output_size` on each axis (notebook 11).

    >>> transposed_output_shape((7, 7), 4, 2, "same")
    (14, 14)
    """
    h, w = int_pair("input size", input_hw)
    fh, fw = int_pair("filter size", filter_hw)
    sh, sw = int_pair("stride", stride)
    dh, dw = int_pair("dilation", dilation)
    if output_padding is None:
        oph = opw = None
    else:
        oph, opw = int_pair("output_padding", output_padding, minimum=0)
    return (transposed_output_size(h, fh, sh, padding, oph, dh), transposed_output_size(w, fw, sw, padding, opw, dw))


def transposed_macs(filter_hw: Pair, in_channels: int, out_channels: int, input_hw: Pair) -> int:
    """Multiply-accumulates of a transposed convolution for one image (notebook 11).

    Every input position multiplies its ``C_in`` values by the whole ``FH x FW x C_in x C_out``
    kernel and adds the products into the output: ``FH * FW * C_in * C_out * IH * IW``, the
    multiply-adds of the convolution it transposes (counted at that convolution's output size).
    """
    ih, iw = int_pair("input size", input_hw)
    return conv_macs(filter_hw, in_channels, out_channels, (ih, iw))


@dataclass(frozen=True)
class ConvTypeCost:
    """One row of :func:`conv_type_costs`: a kind of convolution, its Keras layer and its costs."""

    kind: str  # "normal", "pointwise", "depthwise", ...
    layer: str  # the keras.layers class
    kwargs: dict  # its arguments: getattr(keras.layers, row.layer)(**row.kwargs)
    output_shape: tuple[int, int, int]  # (OH, OW, C_out) for one example
    params: int  # as the layer's count_params()
    macs: int  # multiply-accumulates per example (biases not counted)
    field: int  # the size one output sees along an axis (the effective filter size)


def conv_type_costs(
    input_hw: Pair, in_channels: int, out_channels: int, filter_size: int = 3, *,
    groups: int = 2, dilation: int = 2, depth_multiplier: int = 1, stride: int = 2,
) -> tuple[ConvTypeCost, ...]:
    """The convolution types side by side on one input, each with its Keras layer (notebook 11).

    For an ``(H, W, in_channels)`` input, ``"same"`` padding and a bias everywhere, one row per
    type: ``normal`` (``Conv2D``, ``filter_size``), ``pointwise`` (1x1 ``Conv2D``),
    ``depthwise`` (``DepthwiseConv2D``: ``in_channels * depth_multiplier`` outputs, channels not
    mixed), ``depthwise separable`` (``SeparableConv2D``: depthwise then pointwise), ``grouped``
    (``Conv2D(groups=groups)``: each group of ``in_channels / groups`` inputs makes
    ``out_channels / groups`` outputs), ``dilated`` (``Conv2D(dilation_rate=dilation)``: the same
    weights spread over :func:`effective_filter_size` pixels), ``transposed``
    (``Conv2DTranspose`` with ``strides=stride``: the output grows ``stride`` times). Every
    number comes from this module's formulas; the notebook checks them against the built layers.
    Deformable convolution has no Keras layer and no row.

    >>> [(r.kind, r.params) for r in conv_type_costs((8, 8), 16, 32)][:4]
    [('normal', 4640), ('pointwise', 544), ('depthwise', 160), ('depthwise separable', 688)]
    """
    h, w = int_pair("input size", input_hw)
    c_in = positive_int("in_channels", in_channels)
    c_out = positive_int("out_channels", out_channels)
    f = positive_int("filter_size", filter_size)
    m = positive_int("depth_multiplier", depth_multiplier)
    s = positive_int("stride", stride)
    d = positive_int("dilation", dilation)
    conv_params(1, c_in, c_out, groups=groups)  # groups must divide both channel counts
    hw = (h, w)
    dilated_hw = conv_output_shape(hw, f, 1, "same", d)
    up_hw = transposed_output_shape(hw, f, s, "same")
    same = {"padding": "same"}
    return (
        ConvTypeCost("normal", "Conv2D", {"filters": c_out, "kernel_size": f, **same}, (*hw, c_out),
                     conv_params(f, c_in, c_out), conv_macs(f, c_in, c_out, hw), f),
        ConvTypeCost("pointwise", "Conv2D", {"filters": c_out, "kernel_size": 1, **same}, (*hw, c_out),
                     conv_params(1, c_in, c_out), conv_macs(1, c_in, c_out, hw), 1),
        ConvTypeCost("depthwise", "DepthwiseConv2D", {"kernel_size": f, "depth_multiplier": m, **same},
                     (*hw, c_in * m), depthwise_params(f, c_in, m), depthwise_macs(f, c_in, hw, m), f),
        ConvTypeCost("depthwise separable", "SeparableConv2D",
                     {"filters": c_out, "kernel_size": f, "depth_multiplier": m, **same}, (*hw, c_out),
                     separable_params(f, c_in, c_out, m), separable_macs(f, c_in, c_out, hw, m), f),
        ConvTypeCost("grouped", "Conv2D", {"filters": c_out, "kernel_size": f, "groups": groups, **same},
                     (*hw, c_out), conv_params(f, c_in, c_out, groups=groups),
                     conv_macs(f, c_in, c_out, hw, groups=groups), f),
        ConvTypeCost("dilated", "Conv2D", {"filters": c_out, "kernel_size": f, "dilation_rate": d, **same},
                     (*dilated_hw, c_out), conv_params(f, c_in, c_out), conv_macs(f, c_in, c_out, dilated_hw),
                     effective_filter_size(f, d)),
        ConvTypeCost("transposed", "Conv2DTranspose", {"filters": c_out, "kernel_size": f, "strides": s, **same},
                     (*up_hw, c_out), conv_params(f, c_in, c_out), transposed_macs(f, c_in, c_out, hw), f),
    )


# --- DenseNet channel counts (notebook 10) -------------------------------------------------------


@dataclass(frozen=True)
class DenseBlockChannels:
    """Channels through one dense block of :func:`densenet_channels`."""

    block: int  # 1-based
    channels_in: int  # into the block's first layer
    layers: tuple[int, ...]  # after each layer: channels_in + k, + 2k, ...
    transition: int | None  # after the transition layer that follows (None after the last block)

    @property
    def channels_out(self) -> int:
        """Channels leaving the block (before its transition)."""
        return self.layers[-1]


def densenet_channels(
    in_channels: int, blocks, growth_rate: int, compression: float = 0.5
) -> tuple[DenseBlockChannels, ...]:
    """Channel counts after every layer of a DenseNet (notebook 10).

    Inside a dense block every layer adds ``growth_rate`` (k) channels to everything before it
    (concatenation, not addition): a block of ``L`` layers turns ``C`` channels into ``C + L*k``.
    A transition layer between blocks keeps ``floor(compression * C)`` of them (DenseNet-BC:
    ``compression = 0.5``; 1 is plain DenseNet). ``blocks`` is the number of layers per block.

    >>> [(b.channels_out, b.transition) for b in densenet_channels(64, (6, 12, 24, 16), 32)]  # DenseNet-121
    [(256, 128), (512, 256), (1024, 512), (1024, None)]
    """
    c = positive_int("in_channels", in_channels)
    k = positive_int("growth_rate", growth_rate)
    if isinstance(compression, bool) or not isinstance(compression, int | float) or not 0 < compression <= 1:
        raise ValueError(f"compression must be a number in (0, 1] (0.5 for DenseNet-BC), got {compression!r}")
    if isinstance(blocks, str) or not isinstance(blocks, tuple | list) or not blocks:
        raise ValueError(f"blocks must be a non-empty list of layers per dense block, e.g. (6, 12, 24, 16), "
                         f"got {blocks!r}")
    rows = []
    for i, n in enumerate(blocks, start=1):
        n = positive_int(f"blocks[{i - 1}] (layers in dense block {i})", n)
        after = tuple(c + j * k for j in range(1, n + 1))
        transition = None
        if i < len(blocks):
            transition = math.floor(compression * after[-1])
            if transition < 1:
                raise ValueError(f"compression {compression} leaves no channel after dense block {i} "
                                 f"({after[-1]} channels); expected a larger compression")
        rows.append(DenseBlockChannels(i, c, after, transition))
        c = transition if transition is not None else after[-1]
    return tuple(rows)
