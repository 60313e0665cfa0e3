"""course_utils.conv, conv_fast, nn and gradcheck against TensorFlow, the naive loops, numerical
gradients and the session-8 study slides' worked numbers."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from course_utils import conv, conv_fast
from course_utils.arithmetic import output_size, padding_amounts
from course_utils.conv import (
    col2im,
    conv2d,
    conv2d_backward,
    conv2d_naive,
    convolve2d,
    correlate2d,
    im2col,
    pad2d,
    pool2d,
    pool2d_backward,
)
from course_utils.gradcheck import numerical_gradient, relative_error
from course_utils.nn import (
    SGD,
    Adam,
    AvgPool2D,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    Pool2D,
    ReLU,
    Sequential,
    SoftmaxCrossEntropy,
    simple_convnet,
)

TOL32 = 1e-4  # max abs difference from TensorFlow in float32
SETTINGS = settings(max_examples=30, deadline=None)
FEW = settings(max_examples=15, deadline=None)

SEED_INPUT = [[0, 1, 7, 5], [5, 5, 6, 6], [5, 3, 3, 0], [1, 1, 1, 2]]
FILTER_A = [[1, 0, 1], [1, 2, 0], [3, 0, 1]]
FILTER_B = [[1, 0, 0], [1, 2, 1], [1, 2, 3]]


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------
def _tf_padding(padding):
    """Our padding spec -> tf.nn.conv2d's ("VALID", "SAME" or explicit NHWC pairs)."""
    if isinstance(padding, str):
        return padding.upper()
    if isinstance(padding, int):
        return [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    rows, cols = ((p, p) if isinstance(p, int) else tuple(p) for p in padding)
    return [[0, 0], list(rows), list(cols), [0, 0]]


paddings = st.one_of(
    st.sampled_from(["valid", "same", "VALID", "Same"]),
    st.integers(0, 2),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)), st.tuples(st.integers(0, 2), st.integers(0, 2))),
)


def _pads(size, f, s, spec, d):
    if isinstance(spec, str):
        return padding_amounts(size, f, s, spec, d)
    return padding_amounts(size, f, s, spec if isinstance(spec, int) else tuple(spec), d)


@st.composite
def conv_cases(draw, tf_compatible=True, max_size=9):
    """(x shape, w shape, stride, padding, dilation) where the kernel fits the padded input."""
    fh, fw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = dil if draw(st.booleans()) else (1, 1)
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if tf_compatible and dil != (1, 1):
        stride = (1, 1)  # TensorFlow's CPU kernels do not combine stride > 1 with dilation > 1
    padding = draw(paddings)
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    spec_h, spec_w = (padding, padding) if isinstance(padding, str | int) else padding
    ph = _pads(h, fh, stride[0], spec_h, dil[0])
    pw = _pads(w, fw, stride[1], spec_w, dil[1])
    if not (isinstance(padding, str) and padding.lower() == "same"):
        assume((fh - 1) * dil[0] + 1 <= h + sum(ph) and (fw - 1) * dil[1] + 1 <= w + sum(pw))
    n, c, fn = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**31))
    return (n, h, w, c), (fh, fw, c, fn), stride, padding, dil, seed


def _arrays(xs, ws, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    b = rng.standard_normal(ws[3]).astype(dtype)
    return x, w, b, rng


def _tf_conv(x, w, stride, padding, dil=(1, 1)):
    """TensorFlow's convolution, the reference. Call it on float64 tensors: TensorFlow's float32 CPU kernel
    (oneDNN) returned garbage (e.g. 6.5e21) for some 1-pixel-wide "SAME" cases with stride 2 on an AVX-512
    machine; its float64 kernel is TensorFlow's own (Eigen) and has no such case."""
    if dil != (1, 1):  # tf.nn.convolution has a gradient for dilated kernels on the CPU
        return tf.nn.convolution(x, w, strides=stride, padding=_tf_padding(padding), dilations=dil)
    return tf.nn.conv2d(x, w, strides=stride, padding=_tf_padding(padding), dilations=dil)


def _tf_conv_and_grads(x, w, b, stride, padding, dil, rng):
    """TensorFlow's output y, a random upstream gradient dout, and (dx, dw, db) from GradientTape."""
    xt, wt, bt = (tf.constant(a, dtype=tf.float64) for a in (x, w, b))  # float64: see _tf_conv
    with tf.GradientTape() as tape:
        tape.watch([xt, wt, bt])
        y = _tf_conv(xt, wt, stride, padding, dil) + bt
    dout = rng.standard_normal(y.shape).astype(np.float32)
    grads = tape.gradient(y, [xt, wt, bt], output_gradients=tf.constant(dout, dtype=tf.float64))
    return y, dout, grads


def _tf_reference(x, w, stride, padding, dil=(1, 1)):
    """TensorFlow's output for float32 arrays, computed in float64 (see _tf_conv), as float32."""
    x64, w64 = tf.constant(x, dtype=tf.float64), tf.constant(w, dtype=tf.float64)
    return _tf_conv(x64, w64, stride, padding, dil).numpy().astype(np.float32)


# ---------------------------------------------------------------------------------------------
# the session-8 study slides' worked examples
# ---------------------------------------------------------------------------------------------
def test_session8_slides_worked_examples():
    np.testing.assert_array_equal(correlate2d(SEED_INPUT, FILTER_A), [[40, 32], [26, 25]])
    np.testing.assert_array_equal(correlate2d(SEED_INPUT, FILTER_B), [[41, 33], [25, 23]])
    np.testing.assert_array_equal(
        correlate2d(SEED_INPUT, FILTER_B, padding=1),
        [[26, 42, 55, 35], [34, 41, 33, 28], [18, 25, 23, 14], [3, 9, 8, 8]],
    )
    np.testing.assert_array_equal(convolve2d(SEED_INPUT, FILTER_A), [[45, 37], [34, 32]])
    # integer inputs stay integers, so the worked numbers print as on the slides
    assert np.issubdtype(correlate2d(SEED_INPUT, FILTER_A).dtype, np.integer)


def test_correlate2d_stride_and_same_padding():
    image = np.arange(25).reshape(5, 5)
    kernel = np.array([[1, 0], [0, -1]])
    out = correlate2d(image, kernel, stride=2)
    np.testing.assert_array_equal(out, [[-6, -6], [-6, -6]])
    same = correlate2d(image, kernel, padding="same")
    assert same.shape == (5, 5)
    # TensorFlow's SAME puts the one extra zero at the bottom/right: the last row sees only zeros below
    np.testing.assert_array_equal(same[-1], image[-1, :])
    np.testing.assert_array_equal(convolve2d(image, kernel), correlate2d(image, kernel[::-1, ::-1]))


def test_convolve_is_correlate_with_flipped_kernel_and_differs_for_asymmetric():
    rng = np.random.default_rng(1)
    image, kernel = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    assert not np.allclose(convolve2d(image, kernel), correlate2d(image, kernel))
    symmetric = np.array([[1.0, 2.0, 1.0], [0.0, 5.0, 0.0], [1.0, 2.0, 1.0]])
    np.testing.assert_allclose(convolve2d(image, symmetric), correlate2d(image, symmetric))


# ---------------------------------------------------------------------------------------------
# forward against TensorFlow and the naive loops
# ---------------------------------------------------------------------------------------------
@SETTINGS
@given(conv_cases())
@example(((2, 2, 1, 1), (1, 2, 1, 1), (1, 2), "same", (1, 1), 0))  # TensorFlow's float32 oneDNN kernel failed it
def test_conv2d_matches_tensorflow(case):
    xs, ws, stride, padding, dil, seed = case
    x, w, b, _ = _arrays(xs, ws, seed)
    ref = _tf_reference(x, w, stride, padding, dil) + b
    ours = conv2d(x, w, b, stride=stride, padding=padding, dilation=dil)
    assert ours.shape == ref.shape
    assert ours.dtype == np.float32
    assert np.abs(ours - ref).max() <= TOL32
    naive = conv2d_naive(x, w, b, stride=stride, padding=padding, dilation=dil)
    assert np.abs(naive - ref).max() <= TOL32


@SETTINGS
@given(conv_cases(tf_compatible=False))
def test_conv2d_matches_naive_with_stride_and_dilation(case):
    xs, ws, stride, padding, dil, seed = case
    x, w, b, _ = _arrays(xs, ws, seed, np.float64)
    fast = conv2d(x, w, b, stride=stride, padding=padding, dilation=dil)
    slow = conv2d_naive(x, w, b, stride=stride, padding=padding, dilation=dil)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    spec_h, spec_w = (padding, padding) if isinstance(padding, str | int) else padding
    for axis, spec in ((1, spec_h), (2, spec_w)):
        if isinstance(spec, str):
            size_spec = spec.lower()
        else:
            size_spec = spec if isinstance(spec, int) else tuple(spec)
        expected = output_size(xs[axis], ws[axis - 1], stride[axis - 1], size_spec, dil[axis - 1])
        assert fast.shape[axis] == expected


def test_one_by_one_convolution_is_a_channel_matmul():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 6, 8)).astype(np.float32)
    w = rng.standard_normal((1, 1, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(conv2d(x, w), x @ w[0, 0], rtol=1e-5, atol=1e-5)
    ref = _tf_reference(x, w, 2, "valid")
    assert np.abs(conv2d(x, w, stride=2) - ref).max() <= TOL32


def test_bias_is_added_once_per_output_channel():
    x = np.zeros((1, 4, 4, 2), dtype=np.float32)
    w = np.ones((3, 3, 2, 3), dtype=np.float32)
    out = conv2d(x, w, b=np.array([1.0, -2.0, 0.5], dtype=np.float32))
    np.testing.assert_array_equal(out, np.broadcast_to([1.0, -2.0, 0.5], (1, 2, 2, 3)))


@pytest.mark.parametrize(
    "xs, ws, stride, padding, dil",
    [
        ((5, 30, 23, 3), (3, 3, 3, 4), 1, "same", (1, 1)),
        ((3, 31, 17, 2), (3, 2, 2, 5), (2, 1), ((1, 2), (0, 1)), (1, 1)),
        ((2, 25, 25, 3), (3, 3, 3, 2), 1, "valid", (2, 2)),
        ((4, 12, 12, 6), (1, 1, 6, 3), 1, "valid", (1, 1)),
        ((1, 40, 9, 2), (5, 3, 2, 3), 1, "same", (1, 1)),
    ],
)
@pytest.mark.parametrize("chunk_bytes", [64, 4096, 1 << 30])
def test_parallel_pieces_match_tensorflow(monkeypatch, xs, ws, stride, padding, dil, chunk_bytes):
    """Force conv_fast's multi-threaded path (pieces of images / rows) on small inputs."""
    monkeypatch.setattr(conv_fast, "SMALL_MATMUL_FLOPS", 0)
    monkeypatch.setattr(conv_fast, "CHUNK_BYTES", chunk_bytes)
    x, w, b, rng = _arrays(xs, ws, 11)
    y, dout, (gx, gw, gb) = _tf_conv_and_grads(x, w, b, stride, padding, dil, rng)
    assert np.abs(conv_fast.conv2d(x, w, b, stride, padding, dil) - y.numpy()).max() <= TOL32
    dx, dw, db = conv_fast.conv2d_backward(dout, x, w, stride, padding, dil)
    assert np.abs(dx - gx.numpy()).max() <= TOL32
    assert np.abs(dw - gw.numpy()).max() <= 1e-3  # sums over many pixels in float32
    assert np.abs(db - gb.numpy()).max() <= 1e-3


def test_large_layer_uses_all_cores_and_matches_tensorflow():
    x, w, b, rng = _arrays((8, 32, 32, 16), (3, 3, 16, 32), 12)
    ours = conv_fast.conv2d(x, w, b, padding="same")
    assert 2.0 * ours.size * 3 * 3 * 16 >= conv_fast.SMALL_MATMUL_FLOPS  # really the parallel path
    y, dout, (gx, gw, _) = _tf_conv_and_grads(x, w, b, 1, "same", (1, 1), rng)
    assert np.abs(ours - y.numpy()).max() <= 1e-3
    dx, dw, _ = conv_fast.conv2d_backward(dout, x, w, padding="same")
    assert np.abs(dx - gx.numpy()).max() <= 1e-3
    np.testing.assert_allclose(dw, gw.numpy(), rtol=1e-4, atol=1e-2)


# ---------------------------------------------------------------------------------------------
# the plain functions are built from each other; conv_fast returns what they return
# ---------------------------------------------------------------------------------------------
def test_conv2d_is_im2col_then_matmul_and_backward_calls_col2im(monkeypatch):
    calls = []
    for name in ("im2col", "col2im"):
        real = getattr(conv, name)
        monkeypatch.setattr(conv, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    x, w, b, rng = _arrays((2, 6, 5, 3), (3, 2, 3, 4), 5, np.float64)
    out = conv.conv2d(x, w, b, stride=2, padding="same")
    assert calls == ["im2col"]
    cols = im2col(x, 3, 2, 2, "same")
    np.testing.assert_array_equal(out, (cols @ w.reshape(-1, 4) + b).reshape(out.shape))
    conv.conv2d_backward(rng.standard_normal(out.shape), x, w, stride=2, padding="same")
    assert calls == ["im2col", "im2col", "col2im"]


@SETTINGS
@given(conv_cases(tf_compatible=False, max_size=14), st.sampled_from([1, 200, 5000, 1 << 30]))
def test_fast_path_equals_plain_path(case, chunk_bytes):
    """conv_fast cuts the batch into pieces on all cores; the numbers must not change."""
    xs, ws, stride, padding, dil, seed = case
    x, w, b, rng = _arrays(xs, ws, seed, np.float64)
    plain = conv.conv2d(x, w, b, stride, padding, dil)
    dout = rng.standard_normal(plain.shape)
    plain_grads = conv.conv2d_backward(dout, x, w, stride, padding, dil)
    for small in (conv_fast.SMALL_MATMUL_FLOPS, 0):  # the one-thread path, then the pieces
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(conv_fast, "SMALL_MATMUL_FLOPS", small)
            mp.setattr(conv_fast, "CHUNK_BYTES", chunk_bytes)
            fast = conv_fast.conv2d(x, w, b, stride, padding, dil)
            fast_grads = conv_fast.conv2d_backward(dout, x, w, stride, padding, dil)
        assert fast.shape == plain.shape and fast.dtype == plain.dtype
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)
        for got, want in zip(fast_grads, plain_grads, strict=True):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_fast_path_keeps_integer_results_and_bad_input_messages():
    x = np.array(SEED_INPUT)[None, :, :, None]
    w = np.array(FILTER_A)[:, :, None, None]
    np.testing.assert_array_equal(conv_fast.conv2d(x, w)[0, :, :, 0], [[40, 32], [26, 25]])
    with pytest.raises(ValueError, match="input has 1 channels but the filters expect 2"):
        conv_fast.conv2d(x, np.zeros((3, 3, 2, 1)))
    with pytest.raises(ValueError, match="dout must have the output's shape"):
        conv_fast.conv2d_backward(np.zeros((1, 3, 3, 1)), x, w)


def test_matmul_and_blas_threads_give_the_plain_product():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 30)), rng.standard_normal((30, 20))
    np.testing.assert_allclose(conv_fast.matmul(a, b), a @ b, rtol=1e-12)
    with conv_fast.blas_threads(1):
        np.testing.assert_allclose(a @ b, conv_fast.matmul(a, b), rtol=1e-12)


def test_pad2d_adds_zeros_around_the_spatial_axes_only():
    x = np.ones((2, 3, 4, 5))
    padded = pad2d(x, ((1, 2), (0, 3)))
    assert padded.shape == (2, 6, 7, 5)
    assert padded.sum() == x.sum()
    np.testing.assert_array_equal(padded[:, 1:4, 0:4, :], x)
    assert pad2d(x, ((0, 0), (0, 0))) is x
    np.testing.assert_array_equal(pad2d(x, ((1, 0), (0, 0)), value=-1)[:, 0], -np.ones((2, 4, 5)))


# ---------------------------------------------------------------------------------------------
# im2col / col2im
# ---------------------------------------------------------------------------------------------
@SETTINGS
@given(conv_cases(tf_compatible=False))
def test_im2col_col2im_are_adjoint(case):
    xs, ws, stride, padding, dil, seed = case
    x, _, _, rng = _arrays(xs, ws, seed, np.float64)
    fh, fw = ws[:2]
    cols = im2col(x, fh, fw, stride, padding, dil)
    c = rng.standard_normal(cols.shape)
    back = col2im(c, x.shape, fh, fw, stride, padding, dil)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * back), rtol=1e-10, atol=1e-10)


def test_im2col_rows_are_patches_in_nhwc_order():
    x = np.arange(2 * 4 * 5 * 3).reshape(2, 4, 5, 3)
    cols = im2col(x, 2, 3, stride=(1, 2))
    oh, ow = 3, 2
    assert cols.shape == (2 * oh * ow, 2 * 3 * 3)
    row = 1 * oh * ow + 2 * ow + 1  # image 1, output pixel (2, 1) -> input rows 2..3, columns 2..4
    np.testing.assert_array_equal(cols[row], x[1, 2:4, 2:5, :].ravel())
    # the matrix product on these rows is the convolution
    w = np.arange(2 * 3 * 3 * 4).reshape(2, 3, 3, 4) % 5 - 2
    np.testing.assert_array_equal((cols @ w.reshape(-1, 4)).reshape(2, oh, ow, 4), conv2d(x, w, stride=(1, 2)))


def test_col2im_counts_overlaps():
    x = np.ones((1, 4, 4, 1))
    counts = col2im(im2col(x, 3, 3), x.shape, 3, 3)[0, :, :, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


# ---------------------------------------------------------------------------------------------
# backward against TensorFlow and numerical gradients
# ---------------------------------------------------------------------------------------------
@SETTINGS
@given(conv_cases())
def test_conv2d_backward_matches_gradient_tape(case):
    xs, ws, stride, padding, dil, seed = case
    x, w, b, rng = _arrays(xs, ws, seed)
    y, dout, (gx, gw, gb) = _tf_conv_and_grads(x, w, b, stride, padding, dil, rng)
    dx, dw, db = conv2d_backward(dout, x, w, stride=stride, padding=padding, dilation=dil)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert np.abs(dx - gx.numpy()).max() <= TOL32
    assert np.abs(dw - gw.numpy()).max() <= TOL32
    assert np.abs(db - gb.numpy()).max() <= TOL32


@FEW
@given(conv_cases(tf_compatible=False, max_size=6))
def test_conv2d_backward_numerical_float64(case):
    xs, ws, stride, padding, dil, seed = case
    x, w, b, rng = _arrays(xs, ws, seed, np.float64)
    out = conv2d(x, w, b, stride, padding, dil)
    dout = rng.standard_normal(out.shape)

    def f():
        return np.sum(conv2d(x, w, b, stride, padding, dil) * dout)

    dx, dw, db = conv2d_backward(dout, x, w, stride, padding, dil)
    assert relative_error(dx, numerical_gradient(f, x)) <= 1e-6
    assert relative_error(dw, numerical_gradient(f, w)) <= 1e-6
    assert relative_error(db, numerical_gradient(f, b)) <= 1e-6


def test_numerical_gradient_and_relative_error():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(x**3), x), 3 * x**2, rtol=1e-8)
    assert relative_error(x, x) == 0.0
    assert relative_error(x, -x) == pytest.approx(1.0)
    assert relative_error(x, x * (1 + 1e-3)) == pytest.approx(5e-4, rel=1e-3)


# ---------------------------------------------------------------------------------------------
# pooling
# ---------------------------------------------------------------------------------------------
@st.composite
def pool_cases(draw):
    ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = draw(st.sampled_from(["valid", "same"]))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    if padding == "valid":
        assume(ph <= h and pw <= w)
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    return (n, h, w, c), (ph, pw), stride, padding, draw(st.integers(0, 2**31))


def _tf_pool(mode, x, size, stride, padding):
    strides = size if stride is None else stride
    if mode == "max":
        return tf.nn.max_pool2d(x, size, strides, padding.upper())
    if mode == "avg":
        return tf.nn.avg_pool2d(x, size, strides, padding.upper())
    return -tf.nn.max_pool2d(-x, size, strides, padding.upper())  # min pooling = -max(-x)


@SETTINGS
@given(pool_cases(), st.sampled_from(["max", "avg", "min"]))
def test_pooling_matches_tensorflow(case, mode):
    xs, size, stride, padding, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs).astype(np.float32)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = _tf_pool(mode, xt, size, stride, padding)
    dout = rng.standard_normal(y.shape).astype(np.float32)
    gx = tape.gradient(y, xt, output_gradients=tf.constant(dout)).numpy()
    ours = pool2d(x, size, stride, mode, padding)
    assert ours.shape == tuple(y.shape)
    assert ours.shape[3] == x.shape[3]  # pooling keeps the channel count
    assert np.abs(ours - y.numpy()).max() <= TOL32
    dx = pool2d_backward(dout, x, size, stride, mode, padding)
    assert np.abs(dx - gx).max() <= TOL32


@FEW
@given(pool_cases(), st.sampled_from(["max", "avg", "min"]))
def test_pooling_backward_numerical_float64(case, mode):
    xs, size, stride, padding, seed = case
    rng = np.random.default_rng(seed)
    # well-separated distinct values, so a step of h never changes which element wins
    x = rng.permutation(np.prod(xs)).reshape(xs) * 0.1 + rng.uniform(0, 0.01, xs)
    dout = rng.standard_normal(pool2d(x, size, stride, mode, padding).shape)

    def f():
        return np.sum(pool2d(x, size, stride, mode, padding) * dout)

    dx = pool2d_backward(dout, x, size, stride, mode, padding)
    assert relative_error(dx, numerical_gradient(f, x, h=1e-4)) <= 1e-6


def test_pool_worked_example_max_avg_min():
    x = np.array([[1, 3, 2, 1], [4, 2, 0, 1], [5, 6, 1, 2], [7, 8, 3, 4]], dtype=float)[None, :, :, None]
    np.testing.assert_array_equal(pool2d(x, 2, mode="max")[0, :, :, 0], [[4, 2], [8, 4]])
    np.testing.assert_array_equal(pool2d(x, 2, mode="avg")[0, :, :, 0], [[2.5, 1], [6.5, 2.5]])
    np.testing.assert_array_equal(pool2d(x, 2, mode="min")[0, :, :, 0], [[1, 0], [5, 1]])
    # the gradient goes only to each window's maximum, like ReLU
    dx = pool2d_backward(np.ones((1, 2, 2, 1)), x, 2, mode="max")[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 1]])
    # average pooling spreads each gradient evenly over its window
    np.testing.assert_array_equal(pool2d_backward(np.ones((1, 2, 2, 1)), x, 2, mode="avg"), np.full(x.shape, 0.25))


def test_max_pool_ties_send_the_gradient_to_one_element():
    x = np.zeros((1, 2, 2, 1))
    dx = pool2d_backward(np.ones((1, 1, 1, 1)), x, 2)
    assert dx.sum() == 1.0 and dx[0, 0, 0, 0] == 1.0


# ---------------------------------------------------------------------------------------------
# layers, the container and training
# ---------------------------------------------------------------------------------------------
def _check_layer_gradients(layer, x, rng, tol=1e-6):
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)

    def f():
        return np.sum(layer.forward(x) * dout)

    layer.forward(x)
    dx = layer.backward(dout)
    assert relative_error(dx, numerical_gradient(f, x)) <= tol
    for name, p in layer.params.items():
        layer.forward(x)
        layer.backward(dout)
        analytic = layer.grads[name].copy()
        assert relative_error(analytic, numerical_gradient(f, p)) <= tol, name


@pytest.mark.parametrize(
    "make_layer, shape",
    [
        (lambda rng: Conv2D(3, 4, 3, stride=2, padding="same", rng=rng, dtype=np.float64), (2, 7, 6, 3)),
        (lambda rng: Conv2D(2, 3, (2, 3), padding=((1, 0), (0, 2)), dilation=(1, 2), rng=rng, dtype=np.float64),
         (2, 5, 5, 2)),
        (lambda rng: MaxPool2D(2), (2, 6, 6, 3)),
        (lambda rng: AvgPool2D(3, 2, padding="same"), (2, 7, 5, 2)),
        (lambda rng: Pool2D(2, 1, mode="min"), (1, 4, 5, 2)),
        (lambda rng: ReLU(), (3, 4)),
        (lambda rng: Flatten(), (2, 3, 3, 2)),
        (lambda rng: Dense(6, 4, rng=rng, dtype=np.float64), (5, 6)),
    ],
)
def test_layer_backward_matches_numerical_gradient(make_layer, shape):
    rng = np.random.default_rng(3)
    layer = make_layer(rng)
    x = rng.permutation(np.prod(shape)).reshape(shape) * 0.1 - np.prod(shape) * 0.05 + 0.013
    for p in layer.params.values():
        assert p.dtype == np.float64
    _check_layer_gradients(layer, x, rng)


def test_softmax_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(4)
    logits, labels = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    loss = SoftmaxCrossEntropy()
    value = loss.forward(logits, labels)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert value == pytest.approx(-np.mean(np.log(p[np.arange(5), labels])))
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(logits, labels), logits)
    assert relative_error(analytic, numeric) <= 1e-7
    # uniform logits: the loss is log(K), the textbook starting value
    assert SoftmaxCrossEntropy().forward(np.zeros((3, 10)), np.array([1, 2, 3])) == pytest.approx(np.log(10))


def test_whole_network_gradient():
    rng = np.random.default_rng(5)
    model = Sequential([
        Conv2D(1, 3, 3, padding="same", rng=rng, dtype=np.float64), ReLU(), MaxPool2D(2), Flatten(),
        Dense(3 * 3 * 3, 4, rng=rng, dtype=np.float64),
    ])
    x, y = rng.standard_normal((4, 6, 6, 1)), np.array([0, 1, 2, 3])
    model.loss(x, y)
    model.backward()
    for layer, name in model.parameters():
        analytic = layer.grads[name].copy()
        numeric = numerical_gradient(lambda: model.loss(x, y), layer.params[name])
        assert relative_error(analytic, numeric) <= 1e-6, (layer, name)
    assert model.count_params() == 3 * 3 * 3 + 3 + 27 * 4 + 4


def test_simple_convnet_overfits_a_small_batch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((20, 10, 10, 1)).astype(np.float32)
    y = rng.integers(0, 3, 20)
    model = simple_convnet((10, 10, 1), filters=4, kernel_size=3, hidden=16, classes=3, rng=rng)
    opt = Adam(learning_rate=0.01)
    first = model.loss(x, y)
    for _ in range(150):
        last = model.train_step(x, y, opt)
    assert last < 0.05 * first
    assert model.accuracy(x, y) == 1.0
    assert model.predict(x).dtype == np.float32


def test_sgd_momentum_decreases_the_loss():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    model = simple_convnet((8, 8, 1), filters=2, kernel_size=3, hidden=8, classes=2, rng=rng)
    opt = SGD(learning_rate=0.05, momentum=0.9)
    losses = [model.train_step(x, y, opt) for _ in range(60)]
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------------------------------------
# bad input: a ValueError that says what was wrong and what was expected
# ---------------------------------------------------------------------------------------------
X = np.zeros((2, 5, 5, 1), dtype=np.float32)
W = np.zeros((3, 3, 1, 2), dtype=np.float32)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: conv2d(np.zeros((28, 28)), W), r"x must be 4-D \(N, H, W, C\), got shape \(28, 28\)"),
        (lambda: conv2d_naive(np.zeros((5, 5, 1)), W), r"x must be 4-D"),
        (lambda: conv2d(X, np.zeros((3, 3, 2))), r"w must be 4-D \(FH, FW, C, FN\)"),
        (lambda: conv2d(np.zeros((1, 5, 5, 3)), W), r"input has 3 channels but the filters expect 1"),
        (lambda: conv2d_backward(np.zeros((2, 3, 3, 2)), np.zeros((2, 5, 5, 3)), W), r"input has 3 channels"),
        (lambda: conv2d(X, W, stride=0), r"stride must be a positive integer, got 0"),
        (lambda: conv2d(X, W, stride=-1), r"stride must be a positive integer, got -1"),
        (lambda: conv2d(X, W, stride=1.5), r"stride must be a positive integer, got 1.5"),
        (lambda: conv2d(X, W, stride=(1, 2, 3)), r"stride must be an integer or a \(height, width\) pair"),
        (lambda: conv2d(X, W, dilation=0), r"dilation must be a positive integer"),
        (lambda: conv2d(X, np.zeros((6, 3, 1, 2))), r"6x3 kernel is larger than the padded input 5x5"),
        (lambda: conv2d(X, W, dilation=3), r"dilated to 7x7\) is larger than the padded input"),
        (lambda: conv2d_naive(X, np.zeros((6, 6, 1, 1))), r"larger than the padded input"),
        (lambda: im2col(X, 7, 2), r"larger than the padded input"),
        (lambda: conv2d(X, W, padding="full"), r"padding must be 'valid', 'same'"),
        (lambda: conv2d(X, W, padding=-1), r"padding must be a non-negative integer, got -1"),
        (lambda: conv2d(X, W, padding=((1, -1), (0, 0))), r"padding must be a non-negative integer, got -1"),
        (lambda: conv2d(X, W, padding=1.5), r"padding must be 'valid', 'same'"),
        (lambda: conv2d(X, W, padding=(1, 2, 3)), r"padding must be 'valid', 'same'"),
        (lambda: conv2d(X, W, b=np.zeros(3)), r"bias must have shape \(FN,\) = \(2,\)"),
        (lambda: conv2d(X, W, b=np.zeros((1, 1, 2))), r"bias must have shape"),
        (lambda: conv2d(np.zeros((0, 5, 5, 1)), W), r"x must not be empty"),
        (lambda: conv2d_backward(np.zeros((2, 2, 2, 2)), X, W), r"dout must have the output's shape"),
        (lambda: col2im(np.zeros((3, 9)), X.shape, 3, 3), r"cols must have shape \(N\*OH\*OW, FH\*FW\*C\)"),
        (lambda: col2im(np.zeros((18, 9)), (5, 5, 1), 3, 3), r"x_shape must be 4-D"),
        (lambda: im2col(X, 0, 3), r"kernel size \(height\) must be a positive integer"),
        (lambda: pool2d(X, 2, mode="median"), r"pool mode must be one of 'max', 'avg', 'min', got 'median'"),
        (lambda: pool2d(X, 0), r"pool size must be a positive integer"),
        (lambda: pool2d(X, 6), r"6x6 kernel is larger than the padded input 5x5"),
        (lambda: pool2d(X, 2, stride=0), r"stride must be a positive integer"),
        (lambda: pool2d(np.zeros((5, 5)), 2), r"x must be 4-D \(N, H, W, C\), got shape \(5, 5\)"),
        (lambda: pool2d(X, 2, padding="full"), r"padding must be"),
        (lambda: pool2d_backward(np.zeros((2, 3, 3, 1)), X, 2), r"dout must have the pooled shape"),
        (lambda: pool2d_backward(np.zeros((2, 2, 2, 1)), X, 2, mode="mean"), r"pool mode must be one of"),
        (lambda: correlate2d(np.zeros((4, 4, 1)), np.zeros((3, 3))), r"image must be 2-D \(H, W\)"),
        (lambda: convolve2d(np.zeros((4, 4)), np.zeros((3, 3, 1))), r"kernel must be 2-D"),
        (lambda: correlate2d(np.zeros((2, 2)), np.zeros((3, 3))), r"larger than the padded input 2x2"),
        (lambda: Conv2D(1, 2, 3, padding="full"), r"padding must be"),
        (lambda: Conv2D(1, 2, 0), r"kernel size must be a positive integer"),
        (lambda: Pool2D(2, mode="median"), r"pool mode must be one of"),
        (lambda: Dense(4, 2).forward(np.zeros((3, 5))), r"Dense expects x of shape \(N, 4\), got \(3, 5\)"),
        (lambda: SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3])), r"labels must be class indices"),
        (lambda: SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0])), r"expected logits \(N, K\)"),
        (lambda: relative_error(np.zeros(2), np.zeros(3)), r"same shape"),
        (lambda: numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32)), r"x must be a float64 NumPy array"),
        (lambda: numerical_gradient(lambda: 0.0, [1.0, 2.0]), r"x must be a float64 NumPy array"),
        (lambda: pad2d(np.zeros((3, 3)), ((1, 1), (1, 1))), r"x must be 4-D"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_layers_refuse_backward_before_forward():
    with pytest.raises(ValueError, match="call forward before backward"):
        Conv2D(1, 1, 1).backward(np.zeros((1, 1, 1, 1)))
    with pytest.raises(ValueError, match="call forward before backward"):
        MaxPool2D().backward(np.zeros((1, 1, 1, 1)))
