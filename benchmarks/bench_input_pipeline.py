"""Training throughput of a course Fashion-MNIST model (default: Hands-On ML's): plain `fit` on NumPy arrays vs a
`tf.data` pipeline (``course_utils.data.make_dataset``: cache, shuffle, batch, prefetch), measured in one run.

    python benchmarks/bench_input_pipeline.py [--quick] [--images N] [--batch-size B] [--model NAME]

Prints images/s for each way of feeding the model and their ratio. Each measurement trains for one
epoch after a short warm-up epoch (graph tracing is excluded), starting from the same weights.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> int:
    from course_utils import models  # imports Keras only when a model is built

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer images (a smoke run)")
    parser.add_argument("--images", type=int, default=None, help="training images per epoch")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", choices=sorted(models.BUILDERS), default="hands_on_cnn",
                        help="a builder of course_utils.models: Hands-On ML's model (default), the smaller "
                             "session-8 model or the BN CNN")
    args = parser.parse_args()

    from course_utils.runtime import setup

    setup(verbose=False)
    import keras
    import tensorflow as tf

    from course_utils.data import load_fashion_mnist, make_dataset

    n = args.images or (1024 if args.quick else 8192)
    data = load_fashion_mnist("full")
    x, y = data.x_train[:n], data.y_train[:n]

    model = models.BUILDERS[args.model]()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    initial = model.get_weights()
    results = {}
    for name, fit_kwargs in (
        ("fit on arrays", {"x": x, "y": y, "batch_size": args.batch_size, "shuffle": True}),
        ("tf.data pipeline", {"x": make_dataset(x, y, args.batch_size), "shuffle": False}),  # shuffles itself
    ):
        model.set_weights(initial)
        warm = {k: (v[: args.batch_size * 4] if k in ("x", "y") and not isinstance(v, tf.data.Dataset) else v)
                for k, v in fit_kwargs.items()}
        if isinstance(warm["x"], tf.data.Dataset):
            warm["x"] = warm["x"].take(4)
        model.fit(**warm, epochs=1, verbose=0)  # trace the training step
        start = time.perf_counter()
        model.fit(**fit_kwargs, epochs=1, verbose=0)
        results[name] = n / (time.perf_counter() - start)

    base = results["fit on arrays"]
    print(f"{args.model} ({model.count_params():,} parameters), {n} Fashion-MNIST images, batch {args.batch_size}, "
          f"Keras {keras.__version__} on {keras.backend.backend()}, {os.cpu_count()} CPU cores")
    print(f"{'feeding':<20}{'images/s':>10}{'vs arrays':>11}")
    for name, rate in results.items():
        print(f"{name:<20}{rate:>10.0f}{rate / base:>10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
