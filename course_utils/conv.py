"""Convolution and pooling in NumPy, forward and backward: the code notebooks 01 and 03 teach.

Read it top-down; each function is built from the ones above it:

1. :func:`conv2d_naive` - four nested loops, the obviously correct reference (notebook 01);
2. :func:`im2col` / :func:`col2im` - unfold every patch into a row, and fold rows back
   (notebook 03);
3. :func:`conv2d` - ``im2col`` -> one matrix product -> reshape (notebook 03);
4. :func:`conv2d_backward` - the same matrix product backwards, with ``col2im`` for dx
   (notebook 03);
5. :func:`correlate2d` / :func:`convolve2d` - the single-channel versions notebook 01 starts
   with (cross-correlation, and true convolution with the kernel flipped);
6. :func:`pool2d` / :func:`pool2d_backward` - max, average and min pooling (notebook 03);
7. :func:`pad2d` - the zero padding they all use (notebook 02).

Everything is NHWC, like TensorFlow:

* images ``x: (N, H, W, C)``, filters ``w: (FH, FW, C, FN)``, bias ``b: (FN,)``,
  outputs ``(N, OH, OW, FN)``;
* ``padding`` is ``"valid"``, ``"same"`` (TensorFlow's split: the extra zero goes to the
  bottom/right), an integer ``P`` (P zeros on every side), a per-axis pair ``(PH, PW)`` or
  explicit pairs ``((top, bottom), (left, right))``;
* ``stride`` and ``dilation`` are an integer or an ``(h, w)`` pair.

Sizes and padding amounts come from :func:`course_utils.arithmetic.conv_geometry` (notebook 02's
arithmetic), argument checks from :mod:`course_utils.checks`. The plumbing these functions share
(the strided window view, the pooling set-up) is at the bottom of this file.

Nothing here is tuned for speed: :mod:`course_utils.conv_fast` runs these same functions on all
CPU cores, and the NumPy network of notebook 03 (:mod:`course_utils.nn`) uses it.

The ideas follow Saito's *Deep Learning from Scratch* (ch. 7, ``common/layers.py`` and
``common/util.py``) and cs231n's assignment 2, rewritten here for NHWC: in NHWC a patch of
the image is already laid out as (FH, FW, C), so im2col is a single strided copy and the
matrix product lands directly in the (N, OH, OW, FN) output layout, with no transpose.
"""

from __future__ import annotations

import numpy as np

from course_utils.arithmetic import conv_geometry
from course_utils.checks import conv_arrays, int_pair, nhwc, one_of

__all__ = [
    "POOL_MODES",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv2d_naive",
    "convolve2d",
    "correlate2d",
    "im2col",
    "pad2d",
    "pool2d",
    "pool2d_backward",
]

POOL_MODES = ("max", "avg", "min")


# ---------------------------------------------------------------------------------------------
# 1. the reference: loops
# ---------------------------------------------------------------------------------------------
def conv2d_naive(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Cross-correlation with explicit loops: the slow, obviously correct reference (notebook 01).

    x: (N, H, W, C), w: (FH, FW, C, FN), b: (FN,) or None -> (N, OH, OW, FN).
    ``out[n, i, j, f] = sum_{p, q, c} xpad[n, i*sh + p*dh, j*sw + q*dw, c] * w[p, q, c, f] + b[f]``
    """
    x, w, b = conv_arrays(x, w, b)
    fh, fw, _, fn = w.shape
    oh, ow, pads, (sh, sw), (dh, dw) = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    xp = pad2d(x, pads)
    out = np.zeros((x.shape[0], oh, ow, fn), dtype=_result_type(x, w, b))
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                patch = xp[n, i * sh : i * sh + (fh - 1) * dh + 1 : dh, j * sw : j * sw + (fw - 1) * dw + 1 : dw, :]
                for f in range(fn):
                    out[n, i, j, f] = np.sum(patch * w[:, :, :, f])
    if b is not None:
        out += b
    return out


# ---------------------------------------------------------------------------------------------
# 2. im2col and its adjoint col2im
# ---------------------------------------------------------------------------------------------
def im2col(x, fh: int, fw: int, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Unfold every (FH, FW, C) patch of x into one row (notebook 03).

    x: (N, H, W, C) -> cols: (N*OH*OW, FH*FW*C), rows ordered (n, oh, ow), columns (fh, fw, c),
    i.e. ``cols.reshape(N, OH, OW, FH, FW, C)[n, i, j]`` is the patch under output pixel (i, j).
    """
    x = nhwc(x)
    fh, fw = int_pair("kernel size", (fh, fw))
    oh, ow, pads, st, dil = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    view = _windows(pad2d(x, pads), fh, fw, oh, ow, st, dil)
    return view.reshape(x.shape[0] * oh * ow, fh * fw * x.shape[3])  # the one copy


def col2im(cols, x_shape, fh: int, fw: int, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Fold rows back into an image, summing where patches overlap: the adjoint of :func:`im2col`.

    cols: (N*OH*OW, FH*FW*C), x_shape: (N, H, W, C) -> (N, H, W, C) (notebook 03).
    ``<im2col(x), cols> == <x, col2im(cols)>`` for every x and cols.
    """
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be 4-D (N, H, W, C), got {x_shape}")
    fh, fw = int_pair("kernel size", (fh, fw))
    n, h, w, c = x_shape
    oh, ow, pads, st, dil = conv_geometry(x_shape, fh, fw, stride, padding, dilation)
    cols = np.asarray(cols)
    expected = (n * oh * ow, fh * fw * c)
    if cols.shape != expected:
        raise ValueError(f"cols must have shape (N*OH*OW, FH*FW*C) = {expected}, got {cols.shape}")
    cols6 = cols.reshape(n, oh, ow, fh, fw, c)
    (top, bottom), (left, right) = pads
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    for i in range(fh):  # every kernel tap adds its column block back where it read the input
        for j in range(fw):
            xp[_tap_slices(i, j, oh, ow, st, dil)] += cols6[:, :, :, i, j, :]
    return xp[:, top : top + h, left : left + w, :]


# ---------------------------------------------------------------------------------------------
# 3-4. convolution as one matrix product, forward and backward
# ---------------------------------------------------------------------------------------------
def conv2d(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Cross-correlation as one matrix product (what ``tf.nn.conv2d`` computes; notebook 03).

    x: (N, H, W, C), w: (FH, FW, C, FN), b: (FN,) or None -> (N, OH, OW, FN).
    im2col -> (N*OH*OW, FH*FW*C) @ (FH*FW*C, FN) = (N*OH*OW, FN) -> reshape to (N, OH, OW, FN).
    """
    x, w, b = conv_arrays(x, w, b)
    fh, fw, c, fn = w.shape
    oh, ow, *_ = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    cols = im2col(x, fh, fw, stride, padding, dilation)  # (N*OH*OW, FH*FW*C)
    out = cols @ w.reshape(fh * fw * c, fn)  # the filters' rows in the same (fh, fw, c) order
    if b is not None:
        out = out.astype(np.result_type(out, b), copy=False)  # e.g. integer images, float bias
        out += b  # (FN,) broadcasts over the rows; in place, as a fresh array costs time
    return out.reshape(x.shape[0], oh, ow, fn)


def conv2d_backward(dout, x, w, stride=1, padding="valid", dilation=1):
    """Gradients of :func:`conv2d` given the upstream gradient (notebook 03).

    dout: (N, OH, OW, FN), x: (N, H, W, C), w: (FH, FW, C, FN)
    -> dx: (N, H, W, C), dw: (FH, FW, C, FN), db: (FN,).
    Like a dense layer on the im2col matrix: ``dW = cols^T @ dout``, ``dcols = dout @ W^T``,
    and :func:`col2im` folds dcols back into the image (summing where patches overlap).
    """
    x, w, _ = conv_arrays(x, w)
    fh, fw, c, fn = w.shape
    oh, ow, *_ = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    dout = np.asarray(dout)
    if dout.shape != (x.shape[0], oh, ow, fn):
        raise ValueError(
            f"dout must have the output's shape (N, OH, OW, FN) = {(x.shape[0], oh, ow, fn)}, got {dout.shape}"
        )
    d2 = dout.reshape(-1, fn)  # (N*OH*OW, FN)
    cols = im2col(x, fh, fw, stride, padding, dilation)  # (N*OH*OW, FH*FW*C)
    w2 = w.reshape(fh * fw * c, fn)
    db = d2.sum(axis=0)
    dw = (cols.T @ d2).reshape(w.shape)
    dx = col2im(d2 @ w2.T, x.shape, fh, fw, stride, padding, dilation)
    return dx, dw, db


# ---------------------------------------------------------------------------------------------
# 5. one channel: cross-correlation and true convolution
# ---------------------------------------------------------------------------------------------
def correlate2d(image, kernel, stride=1, padding=0) -> np.ndarray:
    """Cross-correlation of a 2-D single-channel image (what CNN layers compute; notebook 01).

    image: (H, W), kernel: (FH, FW) -> (OH, OW). Integer inputs give integer outputs.

    >>> correlate2d([[0, 1, 7, 5], [5, 5, 6, 6], [5, 3, 3, 0], [1, 1, 1, 2]],
    ...             [[1, 0, 1], [1, 2, 0], [3, 0, 1]]).tolist()
    [[40, 32], [26, 25]]
    """
    image = _as_single_channel("image", image)
    kernel = _as_single_channel("kernel", kernel)
    out = conv2d(image[np.newaxis, :, :, np.newaxis], kernel[:, :, np.newaxis, np.newaxis],
                 stride=stride, padding=padding)
    return out[0, :, :, 0]


def convolve2d(image, kernel, stride=1, padding=0) -> np.ndarray:
    """True convolution: cross-correlation with the kernel flipped up-down and left-right (notebook 01).

    image: (H, W), kernel: (FH, FW) -> (OH, OW).
    """
    kernel = _as_single_channel("kernel", kernel)
    return correlate2d(image, kernel[::-1, ::-1], stride=stride, padding=padding)


# ---------------------------------------------------------------------------------------------
# 6. pooling
# ---------------------------------------------------------------------------------------------
def pool2d(x, size=2, stride=None, mode: str = "max", padding="valid") -> np.ndarray:
    """Max / average / min pooling, channel by channel (no parameters; C is unchanged; notebook 03).

    x: (N, H, W, C) -> (N, OH, OW, C). ``stride`` defaults to ``size`` (non-overlapping
    windows). Matches ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` including SAME padding:
    padded positions never win a max and are not counted in an average.
    """
    x, ph, pw, oh, ow, pads, st = _pool_setup(x, size, stride, mode, padding)
    if mode == "avg" and not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    xp = pad2d(x, pads, _pool_fill(mode, x.dtype))
    out = xp[_tap_slices(0, 0, oh, ow, st, (1, 1))].copy()
    combine = {"max": np.maximum, "min": np.minimum, "avg": np.add}[mode]
    for i in range(ph):  # one window position at a time, for all windows at once
        for j in range(pw):
            if i or j:
                combine(out, xp[_tap_slices(i, j, oh, ow, st, (1, 1))], out=out)
    if mode == "avg":
        out /= _avg_counts(x.shape, ph, pw, oh, ow, pads, st).astype(out.dtype)
    return out


def pool2d_backward(dout, x, size=2, stride=None, mode: str = "max", padding="valid") -> np.ndarray:
    """Gradient of :func:`pool2d` with respect to x (notebook 03).

    dout: (N, OH, OW, C), x: (N, H, W, C) -> dx: (N, H, W, C).
    max / min: each window's gradient goes to its arg-max / arg-min (the first one on ties),
    like ReLU lets a gradient through only where the input won; avg: spread evenly over the
    window's real pixels.
    """
    x, ph, pw, oh, ow, pads, st = _pool_setup(x, size, stride, mode, padding)
    dout = np.asarray(dout)
    if dout.shape != (x.shape[0], oh, ow, x.shape[3]):
        raise ValueError(
            f"dout must have the pooled shape (N, OH, OW, C) = {(x.shape[0], oh, ow, x.shape[3])}, got {dout.shape}"
        )
    (top, bottom), (left, right) = pads
    n, h, w, c = x.shape
    dtype = np.result_type(dout.dtype, np.float32) if mode == "avg" else dout.dtype
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=dtype)
    taps = [(i, j) for i in range(ph) for j in range(pw)]
    if mode == "avg":
        share = dout / _avg_counts(x.shape, ph, pw, oh, ow, pads, st).astype(dtype)
        for i, j in taps:
            dxp[_tap_slices(i, j, oh, ow, st, (1, 1))] += share
    else:
        xp = pad2d(x, pads, _pool_fill(mode, x.dtype))
        out = pool2d(x, (ph, pw), st, mode, padding)
        free = np.ones(out.shape, dtype=bool)  # windows whose winner is not yet found
        for i, j in taps:
            sl = _tap_slices(i, j, oh, ow, st, (1, 1))
            win = (xp[sl] == out) & free
            free &= ~win
            dxp[sl] += np.where(win, dout, 0)
    return dxp[:, top : top + h, left : left + w, :]


# ---------------------------------------------------------------------------------------------
# 7. padding (used by all of the above)
# ---------------------------------------------------------------------------------------------
def pad2d(x, pads, value=0) -> np.ndarray:
    """Add ``value`` (zeros by default) around the spatial axes of x (notebook 02's zero padding).

    x: (N, H, W, C), pads: ((top, bottom), (left, right)) -> (N, H + top + bottom, W + left + right, C).
    Returns x itself, not a copy, when there is nothing to add.
    """
    x = nhwc(x)
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top : top + h, left : left + w, :] = x
    return out


# ---------------------------------------------------------------------------------------------
# plumbing shared by the functions above
# ---------------------------------------------------------------------------------------------
def _result_type(x, w, b=None):
    return np.result_type(x, w) if b is None else np.result_type(x, w, b)


def _as_single_channel(name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), a single-channel array, got shape {a.shape}")
    return a


def _windows(xp: np.ndarray, fh, fw, oh, ow, stride, dilation) -> np.ndarray:
    """A read-only strided *view* (N, OH, OW, FH, FW, C) of the padded input xp (N, Hp, Wp, C)."""
    sn, s_h, s_w, sc = xp.strides
    (sh, sw), (dh, dw) = stride, dilation
    n, c = xp.shape[0], xp.shape[3]
    return np.lib.stride_tricks.as_strided(
        xp,
        shape=(n, oh, ow, fh, fw, c),
        strides=(sn, s_h * sh, s_w * sw, s_h * dh, s_w * dw, sc),
        writeable=False,
    )


def _tap_slices(i, j, oh, ow, stride, dilation):
    """Index into the padded input selecting, for kernel tap (i, j), every output position's pixel."""
    (sh, sw), (dh, dw) = stride, dilation
    return (
        slice(None),
        slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
        slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
        slice(None),
    )


def _pool_setup(x, size, stride, mode, padding):
    x = nhwc(x)
    one_of("pool mode", mode, POOL_MODES)
    ph, pw = int_pair("pool size", size)
    stride = (ph, pw) if stride is None else stride
    oh, ow, pads, st, _ = conv_geometry(x.shape, ph, pw, stride, padding, 1)
    return x, ph, pw, oh, ow, pads, st


def _pool_fill(mode: str, dtype):
    if mode == "avg":
        return 0
    if np.issubdtype(dtype, np.floating):
        return -np.inf if mode == "max" else np.inf
    info = np.iinfo(dtype)
    return info.min if mode == "max" else info.max


def _avg_counts(x_shape, ph, pw, oh, ow, pads, st):
    """Number of real (non-padded) pixels in each window: (1, OH, OW, 1), as TF's SAME avg divides."""
    _, h, w, _ = x_shape
    (top, _), (left, _) = pads
    rows = np.arange(oh) * st[0] - top
    cols = np.arange(ow) * st[1] - left
    nh = np.minimum(rows + ph, h) - np.maximum(rows, 0)
    nw = np.minimum(cols + pw, w) - np.maximum(cols, 0)
    return (nh[:, None] * nw[None, :])[None, :, :, None]
