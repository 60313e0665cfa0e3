"""Argument checks shared by every module: one way to say what was wrong and what was expected.

Each function takes the argument's *name* (as the caller's signature spells it, so the message
points at the right argument) and its value, returns the value in a normal form, and raises
``ValueError`` with the name, what was expected and what was given::

    >>> positive_int("stride", 2)
    2
    >>> int_pair("kernel size", 3)
    (3, 3)
    >>> positive_int("stride", 0)
    Traceback (most recent call last):
    ...
    ValueError: stride must be a positive integer, got 0

``True`` and ``False`` are rejected where an integer is expected (Python counts them as 1 and 0,
which hides mistakes such as passing ``same=True``). NumPy integers are accepted.

Arrays of images and filters are checked here (:func:`nhwc`, :func:`conv_arrays`), and padding
is parsed here too, once for the whole package (:func:`padding_1d`, :func:`padding_2d`):
:mod:`course_utils.arithmetic` computes sizes from it, :mod:`course_utils.conv` pads with it.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "conv_arrays",
    "fraction",
    "image_shape",
    "int_pair",
    "is_int",
    "nhwc",
    "num_classes",
    "non_negative_int",
    "one_of",
    "padding_1d",
    "padding_2d",
    "positive_int",
    "positive_number",
]


def is_int(value) -> bool:
    """True for Python and NumPy integers, False for bools, floats and everything else."""
    if type(value) is int:  # the common case, checked first because the ABC check is slow
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def positive_int(name: str, value) -> int:
    """``value`` as an ``int`` >= 1."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(name: str, value) -> int:
    """``value`` as an ``int`` >= 0."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def int_pair(name: str, value, *, minimum: int = 1) -> tuple[int, int]:
    """An integer or a ``(height, width)`` pair of integers >= ``minimum`` -> ``(h, w)``.

    >>> int_pair("stride", (2, 1))
    (2, 1)
    """
    check = positive_int if minimum == 1 else non_negative_int
    if minimum not in (0, 1):
        raise ValueError(f"minimum must be 0 or 1, got {minimum!r}")
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"{name} must be an integer or a (height, width) pair, got {value!r}")
        return (check(f"{name} (height)", value[0]), check(f"{name} (width)", value[1]))
    v = check(name, value)
    return (v, v)


def fraction(name: str, value, *, low: float = 0.0, high: float = 1.0, include_high: bool = False) -> float:
    """A real number in ``[low, high)`` (or ``[low, high]`` with ``include_high``) -> ``float``.

    For rates and momenta: ``fraction("dropout", 0.5)``.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        ok = low <= value <= high if include_high else low <= value < high
    if not ok:
        bracket = "]" if include_high else ")"
        raise ValueError(f"{name} must be a number in [{low:g}, {high:g}{bracket}, got {value!r}")
    return float(value)


def positive_number(name: str, value) -> float:
    """A finite real number > 0 -> ``float``: learning rates, step sizes, scales."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0 < value < float("inf"):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def one_of(name: str, value, options) -> str:
    """``value`` if it is one of ``options`` (strings, compared exactly)."""
    if value not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}, got {value!r}")
    return value


# --- Keras model builders ------------------------------------------------------------------
def image_shape(input_shape) -> tuple[int, int, int]:
    """A model's ``input_shape``: ``(height, width, channels)`` of positive integers, no batch axis."""
    shape = tuple(input_shape) if isinstance(input_shape, tuple | list) else ()
    if len(shape) != 3 or not all(is_int(s) and s >= 1 for s in shape):
        raise ValueError(f"input_shape must be (height, width, channels) with positive ints, got {input_shape!r}")
    return tuple(int(s) for s in shape)


def num_classes(value) -> int:
    """A classifier's number of classes: an integer >= 2."""
    if not is_int(value) or value < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {value!r}")
    return int(value)


# --- arrays ------------------------------------------------------------------------------------
def nhwc(x, name: str = "x") -> np.ndarray:
    """``x`` as a non-empty 4-D array (N, H, W, C)."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, H, W, C), got shape {x.shape}")
    if min(x.shape) < 1:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def conv_arrays(x, w, b=None):
    """Images x: (N, H, W, C), filters w: (FH, FW, C, FN) and bias b: (FN,) or None that fit together."""
    x = nhwc(x)
    w = np.asarray(w)
    if w.ndim != 4:
        raise ValueError(f"w must be 4-D (FH, FW, C, FN), got shape {w.shape}")
    if min(w.shape) < 1:
        raise ValueError(f"w must not be empty, got shape {w.shape}")
    if x.shape[3] != w.shape[2]:
        raise ValueError(
            f"input has {x.shape[3]} channels but the filters expect {w.shape[2]} "
            f"(x: (N, H, W, C) = {x.shape}, w: (FH, FW, C, FN) = {w.shape})"
        )
    if b is not None:
        b = np.asarray(b)
        if b.shape != (w.shape[3],):
            raise ValueError(f"bias must have shape (FN,) = ({w.shape[3]},), one per filter, got shape {b.shape}")
    return x, w, b


# --- padding ----------------------------------------------------------------------------------
_PADDING_2D = (
    "padding must be 'valid', 'same', an integer P, a per-axis pair (PH, PW) or "
    "((top, bottom), (left, right)), got {!r}"
)


def padding_1d(padding, name: str = "padding") -> str | tuple[int, int]:
    """One axis's padding -> ``"valid"``, ``"same"`` or ``(before, after)``.

    Accepts ``"valid"`` / ``"same"`` (any case), an integer ``P`` (P zeros on both sides) or a
    ``(before, after)`` pair.

    >>> padding_1d(2), padding_1d((0, 1)), padding_1d("SAME")
    ((2, 2), (0, 1), 'same')
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(f"{name} must be 'valid', 'same', an integer or a (before, after) pair, got {padding!r}")
        return mode
    if isinstance(padding, tuple | list):
        if len(padding) != 2:
            raise ValueError(f"a {name} pair must be (before, after), got {padding!r}")
        return (non_negative_int(name, padding[0]), non_negative_int(name, padding[1]))
    p = non_negative_int(name, padding)
    return (p, p)


def padding_2d(padding) -> tuple:
    """Padding of an image -> one :func:`padding_1d` spec per axis, ``(rows, columns)``.

    Accepts ``"valid"`` / ``"same"``, an integer ``P`` (P zeros on every side), a per-axis pair
    ``(PH, PW)`` or explicit pairs ``((top, bottom), (left, right))``.

    >>> padding_2d("same")
    ('same', 'same')
    >>> padding_2d(1), padding_2d((1, 0)), padding_2d(((0, 1), (2, 2)))
    (((1, 1), (1, 1)), ((1, 1), (0, 0)), ((0, 1), (2, 2)))
    """
    if isinstance(padding, str) or is_int(padding):
        spec = padding_1d(padding)
        return (spec, spec)
    if isinstance(padding, tuple | list) and len(padding) == 2:
        if any(isinstance(p, str) for p in padding):
            raise ValueError(_PADDING_2D.format(padding))
        try:
            return tuple(padding_1d(p) for p in padding)
        except ValueError as exc:
            raise ValueError(f"{_PADDING_2D.format(padding)} ({exc})") from None
    raise ValueError(_PADDING_2D.format(padding))
