"""Gradient checking: compare an analytic gradient with central differences (notebook 03).

cs231n's recipe: compute the gradient your backward pass gives, compute it again numerically
with :func:`numerical_gradient`, and compare the two with :func:`relative_error`. In float64 a
correct backward pass agrees to about 1e-7 or better; a wrong one is off by 1e-2 or more.
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "relative_error"]


def relative_error(a, b, eps: float = 1e-30) -> float:
    """``||a - b|| / (||a|| + ||b||)`` (Frobenius norms; notebook 03): 0 when equal, ~1e-7 or less for a good gradient check.

    A norm-based version of cs231n's ``|a - b| / (|a| + |b|)``: it does not blow up on single
    entries whose true value is (almost) zero.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"arrays must have the same shape, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), eps))


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry of x (notebook 03).

    f: a function of no arguments returning a scalar that reads x; x: a float64 array of any
    shape, nudged in place one entry at a time and restored.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise ValueError(
            f"x must be a float64 NumPy array (it is nudged in place by h = {h:g}), got "
            f"{type(x).__name__}{'' if not isinstance(x, np.ndarray) else ' of dtype ' + str(x.dtype)}"
        )
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + h
        plus = f()
        x[idx] = old - h
        minus = f()
        x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad
