"""How fast is the NumPy convolution? Naive loops, the plain and the tuned im2col, TensorFlow; one CPU run.

    python benchmarks/bench_conv.py            # all shapes, best of 7
    python benchmarks/bench_conv.py --quick    # fewer repeats, smaller big layer

For each layer shape the table shows best-of-N wall times (after a warm-up) of

* the naive loop (course_utils.conv.conv2d_naive) — timed on ``--naive-images`` images and
  scaled to the batch, because the loop is far too slow for whole batches;
* the plain im2col forward that notebook 03 teaches (course_utils.conv.conv2d: im2col, one
  matrix product, reshape) and the tuned one (course_utils.conv_fast.conv2d: the same function
  on pieces of the batch, on all cores, with single-threaded BLAS);
* ``tf.nn.conv2d`` (eager, float32, TensorFlow's own CPU threads);
* the plain and the tuned backward (dx, dw, db; the plain one folds dx with col2im) and
  TensorFlow's gradient (``tf.GradientTape.gradient`` of conv2d + bias for x, w and b, given
  the same upstream gradient);

and the ratios between them, all measured in the same run: what the tuning buys (plain/fast)
and how far each is from TensorFlow (ratio > 1: slower than TensorFlow).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import timeit
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from course_utils import conv, conv_fast  # noqa: E402

# (name, x shape (N, H, W, C), filters FN, kernel, padding)
SHAPES = [
    ("MNIST conv1", (32, 28, 28, 1), 32, 3, "same"),
    ("MNIST conv2", (32, 14, 14, 32), 64, 3, "same"),
    ("7x7 deep", (32, 7, 7, 64), 128, 3, "same"),
    ("56x56 block", (16, 56, 56, 64), 64, 3, "same"),
    ("1x1 reduce", (16, 28, 28, 128), 64, 1, "valid"),
]


def best(fn, repeat: int) -> float:
    """Best-of-``repeat`` seconds per call, after one warm-up call; loops short calls."""
    fn()
    once = timeit.timeit(fn, number=1)
    number = max(1, int(0.05 / max(once, 1e-9)))
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def tf_gradient(tf, xt, wt, bt, padding: str, dout: np.ndarray):
    """A function returning TensorFlow's dx, dw, db for conv2d + bias, from a recorded persistent tape."""
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([xt, wt, bt])
        y = tf.nn.conv2d(xt, wt, 1, padding.upper()) + bt
    dt = tf.constant(dout)

    def run():
        return [g.numpy() for g in tape.gradient(y, [xt, wt, bt], output_gradients=dt)]

    return run


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and a smaller batch for the big layer")
    parser.add_argument("--repeat", type=int, default=None, help="best of how many (default 7, quick 3)")
    parser.add_argument("--naive-images", type=int, default=1, help="images the naive loop is timed on")
    parser.add_argument("--skip-naive-above", type=int, default=None,
                        help="skip the naive loop when one image needs more than this many MACs "
                             "(default: 10M quick, unlimited full)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    naive_limit = args.skip_naive_above or (10_000_000 if args.quick else None)

    from course_utils.runtime import quiet_tensorflow

    quiet_tensorflow()  # hides TensorFlow's start-up messages on file descriptor 2
    import tensorflow as tf

    rng = np.random.default_rng(0)
    print(f"CPU: {cpu_name()}; NumPy {np.__version__}, TensorFlow {tf.__version__}; float32, best of {repeat}")
    print(f"naive loop: timed on {args.naive_images} image(s) and scaled to the batch (per-image cost is constant)\n")
    head = (f"{'layer':<12} {'x (N,H,W,C)':<18} {'w':<12} {'naive':>7} {'plain':>7} {'fast':>7} {'tf':>7} "
            f"{'plain/tf':>8} {'fast/tf':>7} {'naive/fast':>10} | {'plain':>7} {'fast':>7} {'tf':>7} "
            f"{'plain/tf':>8} {'fast/tf':>7}")
    print(f"{'':<44}{'forward, ms':^30}{'':<28}| {'backward (dx, dw, db), ms':<33}")
    print(head)
    print("-" * len(head))
    for name, shape, fn, k, padding in SHAPES:
        if args.quick and shape[1] >= 56:
            shape = (8, *shape[1:])
        x = rng.standard_normal(shape, dtype=np.float32)
        w = (rng.standard_normal((k, k, shape[3], fn), dtype=np.float32) * 0.1).astype(np.float32)
        b = rng.standard_normal(fn, dtype=np.float32)
        plain, fast = conv.conv2d(x, w, b, padding=padding), conv_fast.conv2d(x, w, b, padding=padding)
        xt, wt, bt = tf.constant(x), tf.constant(w), tf.constant(b)
        ref = (tf.nn.conv2d(xt, wt, 1, padding.upper()) + bt).numpy()
        assert np.abs(plain - ref).max() < 1e-3 and np.abs(fast - ref).max() < 1e-3, "disagrees with TensorFlow"
        dout = rng.standard_normal(plain.shape, dtype=np.float32)

        t_plain = best(lambda x=x, w=w, b=b, p=padding: conv.conv2d(x, w, b, padding=p), repeat)
        t_fast = best(lambda x=x, w=w, b=b, p=padding: conv_fast.conv2d(x, w, b, padding=p), repeat)
        t_tf = best(lambda xt=xt, wt=wt, bt=bt, p=padding: (tf.nn.conv2d(xt, wt, 1, p.upper()) + bt).numpy(), repeat)
        macs = shape[1] * shape[2] * k * k * shape[3] * fn
        if naive_limit is None or macs <= naive_limit:
            xs = x[: args.naive_images]
            t_naive = best(lambda xs=xs, w=w, b=b, p=padding: conv.conv2d_naive(xs, w, b, padding=p), 1)
            t_naive *= shape[0] / len(xs)
            naive_txt, speedup = f"{t_naive * 1e3:7.0f}", f"{t_naive / t_fast:9.0f}x"
        else:
            naive_txt, speedup = f"{'skip':>7}", f"{'-':>10}"

        t_bwd_plain = best(lambda d=dout, x=x, w=w, p=padding: conv.conv2d_backward(d, x, w, padding=p), repeat)
        t_bwd_fast = best(lambda d=dout, x=x, w=w, p=padding: conv_fast.conv2d_backward(d, x, w, padding=p), repeat)
        t_tf_bwd = best(tf_gradient(tf, xt, wt, bt, padding, dout), repeat)
        wshape = f"{k}x{k}x{shape[3]}x{fn}"
        print(f"{name:<12} {str(shape):<18} {wshape:<12} {naive_txt} {t_plain * 1e3:7.2f} {t_fast * 1e3:7.2f} "
              f"{t_tf * 1e3:7.2f} {t_plain / t_tf:7.2f}x {t_fast / t_tf:6.2f}x {speedup} | "
              f"{t_bwd_plain * 1e3:7.2f} {t_bwd_fast * 1e3:7.2f} {t_tf_bwd * 1e3:7.2f} "
              f"{t_bwd_plain / t_tf_bwd:7.2f}x {t_bwd_fast / t_tf_bwd:6.2f}x")
    print("\nplain: course_utils.conv (what notebook 03 teaches); fast: course_utils.conv_fast (the same on all cores).")
    print("x/tf > 1 means slower than TensorFlow; TensorFlow's times include copying the result back to NumPy (.numpy()).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
