"""Convolution, im2col and pooling in NumPy, forward and backward (notebooks 01 and 03).

Everything is NHWC, like TensorFlow:

* images ``x: (N, H, W, C)``, filters ``w: (FH, FW, C, FN)``, bias ``b: (FN,)``,
  outputs ``(N, OH, OW, FN)``;
* ``padding`` is ``"valid"``, ``"same"`` (TensorFlow's split: the extra zero goes to the
  bottom/right), an integer ``P`` (P zeros on every side), a per-axis pair ``(PH, PW)`` or
  explicit pairs ``((top, bottom), (left, right))``;
* ``stride`` and ``dilation`` are an integer or an ``(h, w)`` pair.

Sizes and padding amounts come from :mod:`course_utils.arithmetic`.

The ideas follow Saito's *Deep Learning from Scratch* (ch. 7, ``common/layers.py`` and
``common/util.py``) and cs231n's assignment 2, rewritten here for NHWC: in NHWC a patch of
the image is already laid out as (FH, FW, C), so im2col is a single strided copy and the
matrix product lands directly in the (N, OH, OW, FN) output layout, with no transpose.

Functions: :func:`conv2d_naive` (loops, the reference), :func:`im2col`, :func:`col2im`,
:func:`conv2d`, :func:`conv2d_backward`, :func:`pool2d`, :func:`pool2d_backward`,
:func:`correlate2d`, :func:`convolve2d`. Layers with ``forward`` / ``backward``:
:class:`Conv2D`, :class:`Pool2D` (:class:`MaxPool2D`, :class:`AvgPool2D`), :class:`ReLU`,
:class:`Flatten`, :class:`Dense`, :class:`SoftmaxCrossEntropy`, the container
:class:`Sequential` (:func:`simple_convnet`) and the optimizers :class:`SGD` and :class:`Adam`.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from course_utils.arithmetic import output_size, padding_amounts

__all__ = [
    "Adam",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "MaxPool2D",
    "Pool2D",
    "ReLU",
    "SGD",
    "Sequential",
    "SoftmaxCrossEntropy",
    "col2im",
    "conv2d",
    "conv2d_backward",
    "conv2d_naive",
    "convolve2d",
    "correlate2d",
    "conv_geometry",
    "im2col",
    "numerical_gradient",
    "pool2d",
    "pool2d_backward",
    "relative_error",
    "simple_convnet",
]

POOL_MODES = ("max", "avg", "min")


# ---------------------------------------------------------------------------------------------
# argument checking and geometry
# ---------------------------------------------------------------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair(name: str, value) -> tuple[int, int]:
    """An int or an (h, w) pair of positive ints -> (h, w)."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, tuple | list) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be a positive integer or an (h, w) pair of them, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{name} must be positive (>= 1), got {value!r}")
    return pair


def _padding_per_axis(padding) -> tuple:
    """Split a padding spec into one spec per spatial axis (str, or a (before, after) pair)."""
    bad = (
        f"padding must be 'valid', 'same', an integer, a per-axis pair (PH, PW) or "
        f"((top, bottom), (left, right)), got {padding!r}"
    )
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(bad)
        return (mode, mode)
    if _is_int(padding):
        if padding < 0:
            raise ValueError(f"padding must be non-negative, got {padding!r}")
        return ((int(padding),) * 2, (int(padding),) * 2)
    if isinstance(padding, tuple | list) and len(padding) == 2:
        axes = []
        for p in padding:
            if _is_int(p):
                axes.append((int(p), int(p)))
            elif isinstance(p, tuple | list) and len(p) == 2 and all(_is_int(v) for v in p):
                axes.append((int(p[0]), int(p[1])))
            else:
                raise ValueError(bad)
        if min(min(a) for a in axes) < 0:
            raise ValueError(f"padding must be non-negative, got {padding!r}")
        return tuple(axes)
    raise ValueError(bad)


def conv_geometry(x_shape, fh: int, fw: int, stride=1, padding="valid", dilation=1):
    """Output size and padding of a convolution / pooling window on ``x_shape = (N, H, W, C)``.

    Returns ``(oh, ow, ((top, bottom), (left, right)), (sh, sw), (dh, dw))``.
    Raises ValueError for a bad stride, dilation or padding, or a window larger than the
    padded input.
    """
    _, h, w, _ = x_shape
    sh, sw = _pair("stride", stride)
    dh, dw = _pair("dilation", dilation)
    spec_h, spec_w = _padding_per_axis(padding)
    pads = (
        padding_amounts(h, fh, sh, spec_h, dh),
        padding_amounts(w, fw, sw, spec_w, dw),
    )
    eff = ((fh - 1) * dh + 1, (fw - 1) * dw + 1)
    padded = (h + sum(pads[0]), w + sum(pads[1]))
    if spec_h != "same" and (eff[0] > padded[0] or eff[1] > padded[1]):
        dil = f" (dilated to {eff[0]}x{eff[1]})" if (dh, dw) != (1, 1) else ""
        raise ValueError(
            f"the {fh}x{fw} kernel{dil} is larger than the padded input {padded[0]}x{padded[1]} "
            f"(input {h}x{w}, padding {pads}); expected a kernel that fits: use a smaller kernel, "
            "more padding or padding='same'"
        )
    oh = output_size(h, fh, sh, pads[0] if spec_h != "same" else "same", dh)
    ow = output_size(w, fw, sw, pads[1] if spec_w != "same" else "same", dw)
    return oh, ow, pads, (sh, sw), (dh, dw)


def _check_x(x, name: str = "x") -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D (N, H, W, C), got shape {x.shape}")
    if min(x.shape) < 1:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def _check_conv_args(x, w, b=None):
    x = _check_x(x)
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


def _pad(x: np.ndarray, pads, value=0) -> np.ndarray:
    """Pad the spatial axes of (N, H, W, C); no copy when there is nothing to pad."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    n, h, w, c = x.shape
    out = np.full((n, h + top + bottom, w + left + right, c), value, dtype=x.dtype)
    out[:, top : top + h, left : left + w, :] = x
    return out


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


# ---------------------------------------------------------------------------------------------
# matrix products
# ---------------------------------------------------------------------------------------------
# How the work is spread over the CPU cores.
#
# * Products below SMALL_MATMUL_FLOPS floating-point operations run on one BLAS thread. OpenBLAS
#   splits even small products over all cores; on a busy 2-core machine (a laptop running a
#   browser, CI, several notebooks) its second thread often waits a whole scheduler time slice
#   (several ms) for a core, which made a 0.3 ms product take 8 ms.
# * Larger convolutions are cut into chunks of images (4 per core) that a small thread pool runs,
#   each chunk doing its own im2col copy and matrix product with single-threaded BLAS (NumPy
#   releases the GIL in both), the way im2col-based CPU libraries (e.g. Caffe) work per image.
#   This also runs the copies in parallel, a busy core simply takes fewer chunks, and a chunk's
#   im2col matrix (about CHUNK_BYTES) is still in the cache when the product reads it.
SMALL_MATMUL_FLOPS = 3e7
CHUNK_BYTES = 2 << 20  # im2col bytes per piece of work (see _work_units)


@functools.lru_cache(maxsize=1)
def _blas_libraries() -> tuple:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it, NumPy's default threading is used
        return ()
    return tuple(lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas")


@contextlib.contextmanager
def _blas_threads(n: int):
    """Limit the BLAS library to ``n`` threads inside the block (no-op without threadpoolctl)."""
    libs = _blas_libraries()
    saved = [lib.get_num_threads() for lib in libs]
    for lib in libs:
        lib.set_num_threads(n)
    try:
        yield
    finally:
        for lib, old in zip(libs, saved, strict=True):
            lib.set_num_threads(old)


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@functools.lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="course_utils.conv")


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` (2-D), on one BLAS thread when the product is small (see SMALL_MATMUL_FLOPS)."""
    if 2.0 * a.shape[0] * a.shape[1] * b.shape[1] >= SMALL_MATMUL_FLOPS:
        return np.matmul(a, b, out=out)
    with _blas_threads(1):
        return np.matmul(a, b, out=out)


def _work_units(n: int, oh: int, row_bytes: int, split_rows: bool) -> list[tuple[int, int, int, int]]:
    """Cut a batch into pieces ``(a, z, r0, r1)``: images a..z-1, output rows r0..r1-1.

    Each piece's im2col matrix is about CHUNK_BYTES (``row_bytes``: bytes of one output row's
    patches), small enough to stay in the CPU cache between the copy and the product; rows of one
    image are split only when ``split_rows`` (the forward pass; in the backward pass neighbouring
    rows would add into the same input pixels from two threads). At least 2 pieces per core.
    """
    rows = max(1, CHUNK_BYTES // max(row_bytes, 1))
    if split_rows and rows < oh:
        step = rows
        if n * -(-oh // step) < 2 * _workers():
            step = max(1, -(-n * oh // (2 * _workers())))
        return [(i, i + 1, r, min(r + step, oh)) for i in range(n) for r in range(0, oh, step)]
    per = max(1, min(rows // oh, -(-n // (2 * _workers()))))
    return [(a, min(a + per, n), 0, oh) for a in range(0, n, per)]


def _run(work, n: int, oh: int, row_bytes: int, split_rows: bool, flops: float) -> list:
    """Call ``work(a, z, r0, r1)`` on the whole batch, or on pieces in parallel for large jobs."""
    if flops < SMALL_MATMUL_FLOPS:
        with _blas_threads(1):
            return [work(0, n, 0, oh)]
    units = _work_units(n, oh, row_bytes, split_rows)
    if len(units) == 1 or _workers() == 1:
        return [work(*u) for u in units]
    with _blas_threads(1):
        return list(_executor().map(lambda u: work(*u), units))


# ---------------------------------------------------------------------------------------------
# convolution
# ---------------------------------------------------------------------------------------------
def conv2d_naive(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Cross-correlation with explicit loops: the slow, obviously correct reference.

    x: (N, H, W, C), w: (FH, FW, C, FN), b: (FN,) or None -> (N, OH, OW, FN).
    ``out[n, i, j, f] = sum_{p, q, c} xpad[n, i*sh + p*dh, j*sw + q*dw, c] * w[p, q, c, f] + b[f]``
    """
    x, w, b = _check_conv_args(x, w, b)
    fh, fw, _, fn = w.shape
    oh, ow, pads, (sh, sw), (dh, dw) = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    xp = _pad(x, pads)
    dtype = np.result_type(x, w) if b is None else np.result_type(x, w, b)
    out = np.zeros((x.shape[0], oh, ow, fn), dtype=dtype)
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                patch = xp[n, i * sh : i * sh + (fh - 1) * dh + 1 : dh, j * sw : j * sw + (fw - 1) * dw + 1 : dw, :]
                for f in range(fn):
                    out[n, i, j, f] = np.sum(patch * w[:, :, :, f])
    if b is not None:
        out += b
    return out


def im2col(x, fh: int, fw: int, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Unfold every (FH, FW, C) patch of x into one row.

    x: (N, H, W, C) -> cols: (N*OH*OW, FH*FW*C), rows ordered (n, oh, ow), columns (fh, fw, c),
    i.e. ``cols.reshape(N, OH, OW, FH, FW, C)[n, i, j]`` is the patch under output pixel (i, j).
    """
    x = _check_x(x)
    fh, fw = _pair("kernel size", (fh, fw))
    oh, ow, pads, st, dil = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    view = _windows(_pad(x, pads), fh, fw, oh, ow, st, dil)
    return view.reshape(x.shape[0] * oh * ow, fh * fw * x.shape[3])  # the one copy


def col2im(cols, x_shape, fh: int, fw: int, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Fold rows back into an image, summing where patches overlap: the adjoint of :func:`im2col`.

    cols: (N*OH*OW, FH*FW*C), x_shape: (N, H, W, C) -> (N, H, W, C).
    ``<im2col(x), cols> == <x, col2im(cols)>`` for every x and cols.
    """
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"x_shape must be 4-D (N, H, W, C), got {x_shape}")
    fh, fw = _pair("kernel size", (fh, fw))
    n, h, w, c = x_shape
    oh, ow, pads, st, dil = conv_geometry(x_shape, fh, fw, stride, padding, dilation)
    cols = np.asarray(cols)
    expected = (n * oh * ow, fh * fw * c)
    if cols.shape != expected:
        raise ValueError(f"cols must have shape (N*OH*OW, FH*FW*C) = {expected}, got {cols.shape}")
    cols6 = cols.reshape(n, oh, ow, fh, fw, c)
    (top, bottom), (left, right) = pads
    xp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    for i in range(fh):
        for j in range(fw):
            xp[_tap_slices(i, j, oh, ow, st, dil)] += cols6[:, :, :, i, j, :]
    return xp[:, top : top + h, left : left + w, :]


def conv2d(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """Cross-correlation as one matrix product (what ``tf.nn.conv2d`` computes).

    x: (N, H, W, C), w: (FH, FW, C, FN), b: (FN,) or None -> (N, OH, OW, FN).
    (N*OH*OW, FH*FW*C) @ (FH*FW*C, FN) = (N*OH*OW, FN), written straight into (N, OH, OW, FN).
    A 1x1 kernel with stride 1 needs no im2col: the image itself is the matrix. Large jobs are
    cut into pieces (groups of images, or rows of one image) that run on all cores; the result
    is the same.
    """
    x, w, b = _check_conv_args(x, w, b)
    fh, fw, c, fn = w.shape
    oh, ow, pads, st, dil = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    n = x.shape[0]
    w2 = w.reshape(fh * fw * c, fn)  # (FH*FW*C, FN): rows in the same (fh, fw, c) order as a patch
    out = np.empty((n, oh, ow, fn), dtype=np.result_type(x, w) if b is None else np.result_type(x, w, b))
    one_by_one = fh == fw == 1 and st == (1, 1) and pads == ((0, 0), (0, 0))
    xp = x if one_by_one else _pad(x, pads)
    k = fh * fw * c

    def work(a, z, r0, r1):  # images a..z-1, output rows r0..r1-1
        m = (z - a) * (r1 - r0) * ow
        if one_by_one:
            cols = xp[a:z, r0:r1].reshape(m, c)
        else:  # im2col: one strided copy of the patches
            cols = _windows(xp[a:z], fh, fw, oh, ow, st, dil)[:, r0:r1].reshape(m, k)
        dst = out[a:z, r0:r1].reshape(m, fn)  # a view: whole images, or rows of one image
        np.matmul(cols, w2, out=dst)
        if b is not None:
            dst += b  # (FN,) broadcasts over the rows

    _run(work, n, oh, ow * k * out.itemsize, True, 2.0 * n * oh * ow * k * fn)
    return out


def conv2d_backward(dout, x, w, stride=1, padding="valid", dilation=1):
    """Gradients of :func:`conv2d` given the upstream gradient.

    dout: (N, OH, OW, FN), x: (N, H, W, C), w: (FH, FW, C, FN)
    -> dx: (N, H, W, C), dw: (FH, FW, C, FN), db: (FN,).
    Like a dense layer on the im2col matrix: dW = cols^T @ dout, dcols = dout @ W^T, and
    col2im folds dcols back into the image (summing where patches overlap).
    """
    x, w, _ = _check_conv_args(x, w)
    fh, fw, c, fn = w.shape
    oh, ow, pads, st, dil = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    n, h, wd, _ = x.shape
    dout = np.asarray(dout)
    if dout.shape != (n, oh, ow, fn):
        raise ValueError(f"dout must have the output's shape (N, OH, OW, FN) = {(n, oh, ow, fn)}, got {dout.shape}")
    db = dout.sum(axis=(0, 1, 2))
    w2 = w.reshape(fh * fw * c, fn)
    one_by_one = fh == fw == 1 and st == (1, 1) and pads == ((0, 0), (0, 0))
    xp = x if one_by_one else _pad(x, pads)
    dtype = np.result_type(dout, x, w)
    dxp = np.empty(xp.shape, dtype=dtype) if one_by_one else np.zeros(xp.shape, dtype=dtype)

    def work(a, z, r0, r1):  # images a..z-1 (all rows); returns their share of dw
        rows = (z - a) * oh * ow
        d2 = dout[a:z].reshape(rows, fn)
        if one_by_one:
            cols = xp[a:z].reshape(rows, c)
            np.matmul(d2, w2.T, out=dxp[a:z].reshape(rows, c))
        else:
            cols = _windows(xp[a:z], fh, fw, oh, ow, st, dil).reshape(rows, fh * fw * c)
            dcols = (d2 @ w2.T).reshape(z - a, oh, ow, fh, fw, c)
            for i in range(fh):  # col2im: add every tap's gradient where that tap read the input
                for j in range(fw):
                    dxp[a:z][_tap_slices(i, j, oh, ow, st, dil)] += dcols[:, :, :, i, j, :]
        return cols.T @ d2

    flops = 4.0 * n * oh * ow * fh * fw * c * fn
    dw = sum(_run(work, n, oh, ow * fh * fw * c * dxp.itemsize, False, flops)).reshape(w.shape)
    (top, _), (left, _) = pads
    return dxp[:, top : top + h, left : left + wd, :], dw, db


def _as_single_channel(name: str, a) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), a single-channel array, got shape {a.shape}")
    return a


def correlate2d(image, kernel, stride=1, padding=0) -> np.ndarray:
    """Cross-correlation of a 2-D single-channel image (what CNN layers compute).

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
    """True convolution: cross-correlation with the kernel flipped up-down and left-right.

    image: (H, W), kernel: (FH, FW) -> (OH, OW).
    """
    kernel = _as_single_channel("kernel", kernel)
    return correlate2d(image, kernel[::-1, ::-1], stride=stride, padding=padding)


# ---------------------------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------------------------
def _pool_setup(x, size, stride, mode, padding):
    x = _check_x(x)
    if mode not in POOL_MODES:
        raise ValueError(f"pool mode must be one of {', '.join(repr(m) for m in POOL_MODES)}, got {mode!r}")
    ph, pw = _pair("pool size", size)
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


def pool2d(x, size=2, stride=None, mode: str = "max", padding="valid") -> np.ndarray:
    """Max / average / min pooling, channel by channel (no parameters; C is unchanged).

    x: (N, H, W, C) -> (N, OH, OW, C). ``stride`` defaults to ``size`` (non-overlapping
    windows). Matches ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` including SAME padding:
    padded positions never win a max and are not counted in an average.
    """
    x, ph, pw, oh, ow, pads, st = _pool_setup(x, size, stride, mode, padding)
    if mode == "avg" and not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    xp = _pad(x, pads, _pool_fill(mode, x.dtype))
    out = xp[_tap_slices(0, 0, oh, ow, st, (1, 1))].copy()
    combine = {"max": np.maximum, "min": np.minimum, "avg": np.add}[mode]
    for i in range(ph):
        for j in range(pw):
            if i or j:
                combine(out, xp[_tap_slices(i, j, oh, ow, st, (1, 1))], out=out)
    if mode == "avg":
        out /= _avg_counts(x.shape, ph, pw, oh, ow, pads, st).astype(out.dtype)
    return out


def pool2d_backward(dout, x, size=2, stride=None, mode: str = "max", padding="valid") -> np.ndarray:
    """Gradient of :func:`pool2d` with respect to x.

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
        xp = _pad(x, pads, _pool_fill(mode, x.dtype))
        out = pool2d(x, (ph, pw), st, mode, padding)
        free = np.ones(out.shape, dtype=bool)  # windows whose winner is not yet found
        for i, j in taps:
            sl = _tap_slices(i, j, oh, ow, st, (1, 1))
            win = (xp[sl] == out) & free
            free &= ~win
            dxp[sl] += np.where(win, dout, 0)
    return dxp[:, top : top + h, left : left + w, :]


# ---------------------------------------------------------------------------------------------
# gradient checking
# ---------------------------------------------------------------------------------------------
def relative_error(a, b, eps: float = 1e-30) -> float:
    """``||a - b|| / (||a|| + ||b||)`` (Frobenius norms): 0 when equal, ~1e-7 or less for a good gradient check.

    A norm-based version of cs231n's ``|a - b| / (|a| + |b|)``: it does not blow up on single
    entries whose true value is (almost) zero.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"arrays must have the same shape, got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), eps))


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every entry of x (in place, restored).

    f: a function of no arguments returning a scalar that reads x; x: any shape, float64.
    """
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


# ---------------------------------------------------------------------------------------------
# layers (in the style of deep-learning-from-scratch's common/layers.py)
# ---------------------------------------------------------------------------------------------
class Layer:
    """Base class: ``forward(x)`` keeps what ``backward(dout)`` needs; ``params`` / ``grads`` dicts."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dout):  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Conv2D(Layer):
    """Convolution layer. params: ``w`` (FH, FW, C, FN), ``b`` (FN,); x: (N, H, W, C) -> (N, OH, OW, FN).

    Weights are drawn from N(0, std²) with He's std sqrt(2 / (FH*FW*C)) unless ``weight_std`` is
    given; biases start at zero.
    """

    def __init__(self, in_channels: int, filters: int, kernel_size=3, stride=1, padding="valid",
                 dilation=1, *, rng=None, weight_std: float | None = None, dtype=np.float32):
        super().__init__()
        fh, fw = _pair("kernel size", kernel_size)
        _pair("in_channels", in_channels)
        _pair("filters", filters)
        std = np.sqrt(2.0 / (fh * fw * in_channels)) if weight_std is None else weight_std
        self.params["w"] = (_rng(rng).standard_normal((fh, fw, in_channels, filters)) * std).astype(dtype)
        self.params["b"] = np.zeros(filters, dtype=dtype)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        _pair("stride", stride)
        _pair("dilation", dilation)
        _padding_per_axis(padding)
        self._x = None

    def forward(self, x):
        self._x = x
        return conv2d(x, self.params["w"], self.params["b"], self.stride, self.padding, self.dilation)

    def backward(self, dout):
        if self._x is None:
            raise ValueError("call forward before backward")
        dx, dw, db = conv2d_backward(dout, self._x, self.params["w"], self.stride, self.padding, self.dilation)
        self.grads["w"], self.grads["b"] = dw, db
        return dx


class Pool2D(Layer):
    """Pooling layer (no parameters). x: (N, H, W, C) -> (N, OH, OW, C)."""

    def __init__(self, size=2, stride=None, mode: str = "max", padding="valid"):
        super().__init__()
        if mode not in POOL_MODES:
            raise ValueError(f"pool mode must be one of {', '.join(repr(m) for m in POOL_MODES)}, got {mode!r}")
        _pair("pool size", size)
        self.size, self.stride, self.mode, self.padding = size, stride, mode, padding
        self._x = None

    def forward(self, x):
        self._x = x
        return pool2d(x, self.size, self.stride, self.mode, self.padding)

    def backward(self, dout):
        if self._x is None:
            raise ValueError("call forward before backward")
        return pool2d_backward(dout, self._x, self.size, self.stride, self.mode, self.padding)


class MaxPool2D(Pool2D):
    def __init__(self, size=2, stride=None, padding="valid"):
        super().__init__(size, stride, "max", padding)


class AvgPool2D(Pool2D):
    def __init__(self, size=2, stride=None, padding="valid"):
        super().__init__(size, stride, "avg", padding)


class ReLU(Layer):
    """max(0, x), elementwise; the gradient passes only where x > 0."""

    def forward(self, x):
        self._mask = x > 0
        return np.where(self._mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, dout):
        return np.where(self._mask, dout, 0).astype(dout.dtype, copy=False)


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)), and back in backward."""

    def forward(self, x):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self._shape)


class Dense(Layer):
    """Fully connected (완전 연결) layer. params: ``w`` (D, units), ``b`` (units,); x: (N, D) -> (N, units)."""

    def __init__(self, in_features: int, units: int, *, rng=None, dtype=np.float32):
        super().__init__()
        _pair("in_features", in_features)
        _pair("units", units)
        std = np.sqrt(2.0 / in_features)
        self.params["w"] = (_rng(rng).standard_normal((in_features, units)) * std).astype(dtype)
        self.params["b"] = np.zeros(units, dtype=dtype)
        self._x = None

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.params["w"].shape[0]:
            raise ValueError(
                f"Dense expects x of shape (N, {self.params['w'].shape[0]}), got {x.shape}; add a Flatten first?"
            )
        self._x = x
        return _matmul(x, self.params["w"]) + self.params["b"]

    def backward(self, dout):
        self.grads["w"] = _matmul(self._x.T, dout)
        self.grads["b"] = dout.sum(axis=0)
        return _matmul(dout, self.params["w"].T)


class SoftmaxCrossEntropy:
    """Softmax + mean cross-entropy over the batch. logits: (N, K), labels: (N,) ints in [0, K)."""

    def forward(self, logits, labels):
        labels = np.asarray(labels)
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise ValueError(f"expected logits (N, K) and labels (N,), got {logits.shape} and {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
            raise ValueError(f"labels must be class indices in [0, {logits.shape[1]}), got {labels.min()}..{labels.max()}")
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self._p, self._labels = np.exp(logp), labels
        return float(-logp[np.arange(len(labels)), labels].mean())

    def backward(self, dout=1.0):
        d = self._p.copy()
        d[np.arange(len(self._labels)), self._labels] -= 1
        return (d * (dout / len(self._labels))).astype(self._p.dtype, copy=False)


class Sequential:
    """Layers applied in order, with a softmax cross-entropy loss on top."""

    def __init__(self, layers):
        self.layers = list(layers)
        self.loss_layer = SoftmaxCrossEntropy()

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    predict = forward

    def loss(self, x, labels) -> float:
        return self.loss_layer.forward(self.forward(x), labels)

    def backward(self):
        dout = self.loss_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        """Yield ``(layer, name)`` for every parameter (``layer.params[name]``)."""
        for layer in self.layers:
            for name in layer.params:
                yield layer, name

    def count_params(self) -> int:
        return sum(layer.params[name].size for layer, name in self.parameters())

    def accuracy(self, x, labels, batch_size: int = 500) -> float:
        correct = 0
        for start in range(0, len(x), batch_size):
            logits = self.forward(x[start : start + batch_size])
            correct += int((logits.argmax(axis=1) == labels[start : start + batch_size]).sum())
        return correct / len(x)

    def train_step(self, x, labels, optimizer) -> float:
        """One forward + backward + update on a batch; returns the batch loss."""
        loss = self.loss(x, labels)
        self.backward()
        optimizer.step(self)
        return loss

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)  # {self.count_params():,} parameters"


def simple_convnet(input_shape=(28, 28, 1), filters: int = 16, kernel_size: int = 5, hidden: int = 100,
                   classes: int = 10, *, rng=None, conv_weight_std: float | None = None) -> Sequential:
    """Conv(valid) - ReLU - MaxPool 2x2 - Flatten - Dense - ReLU - Dense (DLFS's SimpleConvNet, in NHWC).

    Weights are He-initialised; ``conv_weight_std`` overrides the convolution's (DLFS uses 0.01,
    which makes the learned first-layer filters stand out from their random start).
    """
    rng = _rng(rng)
    h, w, c = input_shape
    oh = output_size(h, kernel_size) // 2
    ow = output_size(w, kernel_size) // 2
    return Sequential([
        Conv2D(c, filters, kernel_size, rng=rng, weight_std=conv_weight_std),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dense(oh * ow * filters, hidden, rng=rng),
        ReLU(),
        Dense(hidden, classes, rng=rng),
    ])


class SGD:
    """Stochastic gradient descent with optional momentum: v = m v - lr g; p += v."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0):
        self.learning_rate, self.momentum = learning_rate, momentum
        self._v: dict = {}

    def step(self, model: Sequential) -> None:
        for layer, name in model.parameters():
            g = layer.grads[name]
            if self.momentum:
                v = self._v.setdefault((id(layer), name), np.zeros_like(g))
                v *= self.momentum
                v -= self.learning_rate * g
                layer.params[name] += v
            else:
                layer.params[name] -= self.learning_rate * g


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.learning_rate, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self._m: dict = {}
        self._v: dict = {}
        self.t = 0

    def step(self, model: Sequential) -> None:
        self.t += 1
        lr_t = self.learning_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for layer, name in model.parameters():
            g = layer.grads[name]
            key = (id(layer), name)
            m = self._m.setdefault(key, np.zeros_like(g))
            v = self._v.setdefault(key, np.zeros_like(g))
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            layer.params[name] -= (lr_t * m / (np.sqrt(v) + self.eps)).astype(layer.params[name].dtype)
