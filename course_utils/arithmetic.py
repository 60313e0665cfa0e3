"""Convolution arithmetic: output sizes and padding amounts (more helpers follow in Part I).

Conventions (TensorFlow's): sizes per spatial axis; ``padding`` is ``"valid"``, ``"same"``,
an integer ``P`` (P zeros on both sides) or a pair ``(before, after)``.

* explicit padding: ``O = (I + P_before + P_after - F_eff) / S + 1`` where
  ``F_eff = (F - 1) * D + 1`` is the dilated filter size. When the division is not exact the
  layer does not fit the input; ``strict=True`` raises and says by how much, ``strict=False``
  rounds down like the libraries do (the last rows/columns are never visited).
* ``"valid"``: no padding, ``O = floor((I - F_eff) / S) + 1`` (leftover rows are ignored).
* ``"same"``: ``O = ceil(I / S)``; the total padding ``max((O - 1) * S + F_eff - I, 0)`` is split
  with the extra zero at the bottom/right when it is odd.
"""

from __future__ import annotations

import math
import numbers

PaddingSpec = str | int | tuple[int, int]


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _non_negative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def effective_filter_size(filter_size: int, dilation: int = 1) -> int:
    """Size covered by a dilated filter: ``(F - 1) * D + 1``."""
    filter_size = _positive_int("filter size", filter_size)
    dilation = _positive_int("dilation", dilation)
    return (filter_size - 1) * dilation + 1


def padding_amounts(
    input_size: int, filter_size: int, stride: int = 1, padding: PaddingSpec = "valid", dilation: int = 1
) -> tuple[int, int]:
    """Zeros added ``(before, after)`` along one axis, as TensorFlow pads.

    >>> padding_amounts(13, 6, 5, "same")   # Hands-On ML: 13 inputs, 6-wide filter, stride 5
    (1, 2)
    """
    input_size = _positive_int("input size", input_size)
    stride = _positive_int("stride", stride)
    f_eff = effective_filter_size(filter_size, dilation)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0)
        if mode == "same":
            out = math.ceil(input_size / stride)
            total = max((out - 1) * stride + f_eff - input_size, 0)
            return (total // 2, total - total // 2)
        raise ValueError(f"padding must be 'valid', 'same', an integer or a (before, after) pair, got {padding!r}")
    if isinstance(padding, tuple | list):
        if len(padding) != 2:
            raise ValueError(f"a padding pair must be (before, after), got {padding!r}")
        return (_non_negative_int("padding", padding[0]), _non_negative_int("padding", padding[1]))
    p = _non_negative_int("padding", padding)
    return (p, p)


def output_size(
    input_size: int,
    filter_size: int,
    stride: int = 1,
    padding: PaddingSpec = 0,
    dilation: int = 1,
    *,
    strict: bool = False,
) -> int:
    """Output length along one axis.

    Raises ValueError when the (dilated) filter is larger than the padded input, and, with
    ``strict=True`` and explicit padding, when ``(I + 2P - F) / S`` is not a whole number.

    >>> output_size(4, 3)                 # 001: a 4x4 input and a 3x3 filter give 2x2
    2
    >>> output_size(13, 6, 5, "same")     # 000: SAME gives ceil(13 / 5)
    3
    """
    input_size = _positive_int("input size", input_size)
    stride = _positive_int("stride", stride)
    f_eff = effective_filter_size(filter_size, dilation)
    if isinstance(padding, str) and padding.lower() == "same":
        padding_amounts(input_size, filter_size, stride, padding, dilation)  # validates
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
    if strict and not (isinstance(padding, str)) and span % stride:
        exact = span / stride + 1
        raise ValueError(
            f"(I + P_before + P_after - F) / S + 1 = ({input_size} + {before} + {after} - {f_eff}) / {stride} + 1 "
            f"= {exact:g} is not an integer: the filter does not fit a whole number of times and the last "
            f"{span % stride} row(s)/column(s) would never be visited. Change the padding or stride "
            "(libraries round down instead of failing)"
        )
    return span // stride + 1
