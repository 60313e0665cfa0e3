"""The NumPy convolution of :mod:`course_utils.conv`, run on all CPU cores (notebook 03).

:func:`conv2d` and :func:`conv2d_backward` here return what ``conv.conv2d`` and
``conv.conv2d_backward`` return (``tests/test_conv.py`` checks it on many random shapes); they
only decide *how the work is spread over the cores*, and do the arithmetic by calling those same
functions on pieces of the batch. The NumPy network of notebook 03 (:mod:`course_utils.nn`) uses
them, and ``benchmarks/bench_conv.py`` shows what this buys over the plain functions.

How the work is spread (cs231n's naive/fast split; Caffe's im2col per image):

* Products below :data:`SMALL_MATMUL_FLOPS` floating-point operations run on one BLAS thread.
  OpenBLAS splits even small products over all cores; on a busy 2-core machine (a laptop
  running a browser, CI, several notebooks) its second thread often waits a whole scheduler time
  slice (several ms) for a core, which made a 0.3 ms product take 8 ms.
* Larger convolutions are cut into pieces of images (or rows of one large image) that a small
  thread pool runs, each piece doing its own im2col copy and matrix product with
  single-threaded BLAS (NumPy releases the GIL in both). This also runs the copies in parallel,
  a busy core simply takes fewer pieces, and a piece's im2col matrix (about
  :data:`CHUNK_BYTES`) is still in the CPU cache when the product reads it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from course_utils import conv
from course_utils.arithmetic import conv_geometry, effective_filter_size
from course_utils.checks import conv_arrays

__all__ = ["CHUNK_BYTES", "SMALL_MATMUL_FLOPS", "blas_threads", "conv2d", "conv2d_backward", "matmul"]

SMALL_MATMUL_FLOPS = 3e7
CHUNK_BYTES = 2 << 20  # im2col bytes per piece of work (see _work_units)


def conv2d(x, w, b=None, stride=1, padding="valid", dilation=1) -> np.ndarray:
    """:func:`course_utils.conv.conv2d`, with large batches cut into pieces run on all cores (notebook 03).

    x: (N, H, W, C), w: (FH, FW, C, FN), b: (FN,) or None -> (N, OH, OW, FN). The input is
    padded once; each piece (images a..z-1, output rows r0..r1-1) does what ``conv.conv2d``
    does to the padded rows it reads (``im2col`` with ``padding="valid"``, one matrix product),
    writing the product straight into its part of the output instead of a fresh array.
    """
    x, w, b = conv_arrays(x, w, b)
    fh, fw, c, fn = w.shape
    oh, ow, pads, st, dil = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    n = x.shape[0]
    flops = 2.0 * n * oh * ow * fh * fw * c * fn
    if flops < SMALL_MATMUL_FLOPS:
        with blas_threads(1):
            return conv.conv2d(x, w, b, stride, padding, dilation)
    xp = conv.pad2d(x, pads)
    eff_h = effective_filter_size(fh, dil[0])
    w2 = w.reshape(fh * fw * c, fn)
    out = np.empty((n, oh, ow, fn), dtype=np.result_type(x, w) if b is None else np.result_type(x, w, b))

    one_by_one = fh == fw == 1 and st == (1, 1)  # a 1x1 kernel's im2col matrix is the image itself

    def work(a, z, r0, r1):  # conv.conv2d of images a..z-1, output rows r0..r1-1, written in place
        rows = xp[a:z, r0 * st[0] : (r1 - 1) * st[0] + eff_h]  # the padded rows they read
        if one_by_one:
            cols = rows.reshape(-1, c)  # no copy
        else:
            cols = conv.im2col(rows, fh, fw, st, "valid", dil)
        dst = out[a:z, r0:r1].reshape(cols.shape[0], fn)  # a view: whole images, or rows of one image
        np.matmul(cols, w2, out=dst)
        if b is not None:
            dst += b

    row_bytes = ow * fh * fw * c * x.itemsize  # im2col bytes of one output row
    _run(work, _work_units(n, oh, row_bytes, split_rows=True))
    return out


def conv2d_backward(dout, x, w, stride=1, padding="valid", dilation=1):
    """:func:`course_utils.conv.conv2d_backward`, on pieces of the batch run on all cores (notebook 03).

    dout: (N, OH, OW, FN), x: (N, H, W, C), w: (FH, FW, C, FN)
    -> dx: (N, H, W, C), dw: (FH, FW, C, FN), db: (FN,). The input is padded once; each piece of
    images does what ``conv.conv2d_backward`` does (``im2col``, two matrix products, ``col2im``)
    and writes its own part of dx (images do not share pixels); the pieces' shares of dw and db
    are summed.
    """
    x, w, _ = conv_arrays(x, w)
    fh, fw, c, fn = w.shape
    oh, ow, pads, st, dil = conv_geometry(x.shape, fh, fw, stride, padding, dilation)
    n = x.shape[0]
    dout = np.asarray(dout)
    flops = 4.0 * n * oh * ow * fh * fw * c * fn
    if flops < SMALL_MATMUL_FLOPS or dout.shape != (n, oh, ow, fn):  # the plain one explains a bad shape
        with blas_threads(1):
            return conv.conv2d_backward(dout, x, w, stride, padding, dilation)
    xp = conv.pad2d(x, pads)  # padded once; every piece then works with padding="valid"
    w2 = w.reshape(fh * fw * c, fn)
    dxp = np.empty(xp.shape, dtype=np.result_type(dout, x, w))

    def work(a, z, _r0, _r1):  # conv.conv2d_backward of images a..z-1
        d2 = dout[a:z].reshape(-1, fn)
        cols = conv.im2col(xp[a:z], fh, fw, st, "valid", dil)
        dxp[a:z] = conv.col2im(d2 @ w2.T, xp[a:z].shape, fh, fw, st, "valid", dil)
        return cols.T @ d2, d2.sum(axis=0)  # this piece's share of dw and db

    parts = _run(work, _work_units(n, oh, ow * fh * fw * c * dxp.itemsize, split_rows=False))
    (top, _), (left, _) = pads
    dx = dxp[:, top : top + x.shape[1], left : left + x.shape[2]]
    return dx, sum(p[0] for p in parts).reshape(w.shape), sum(p[1] for p in parts)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (2-D), on one BLAS thread when the product is small (see :data:`SMALL_MATMUL_FLOPS`).

    Used by the Dense layer of :mod:`course_utils.nn` (notebook 03).
    """
    if 2.0 * a.shape[0] * a.shape[1] * b.shape[1] >= SMALL_MATMUL_FLOPS:
        return a @ b
    with blas_threads(1):
        return a @ b


@contextlib.contextmanager
def blas_threads(n: int):
    """Limit the BLAS library to ``n`` threads inside the block (no-op without threadpoolctl) (notebook 03)."""
    libs = _blas_libraries()
    saved = [lib.get_num_threads() for lib in libs]
    for lib in libs:
        lib.set_num_threads(n)
    try:
        yield
    finally:
        for lib, old in zip(libs, saved, strict=True):
            lib.set_num_threads(old)


# ---------------------------------------------------------------------------------------------
# plumbing: the thread pool and how a batch is cut
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _blas_libraries() -> tuple:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # optional: without it, NumPy's default threading is used
        return ()
    return tuple(lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas")


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


@functools.lru_cache(maxsize=1)
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="course_utils.conv_fast")


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


def _run(work, units) -> list:
    """Call ``work(a, z, r0, r1)`` for every piece: in parallel on single-threaded BLAS when there are several."""
    if len(units) == 1 or _workers() == 1:  # nothing to share out: BLAS uses the cores itself
        return [work(*u) for u in units]
    with blas_threads(1):
        return list(_executor().map(lambda u: work(*u), units))
