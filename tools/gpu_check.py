"""Train every course model briefly on this machine's accelerator, in float32 and mixed precision.

    make gpu-check                                   # = python tools/gpu_check.py
    KERAS_BACKEND=jax python tools/gpu_check.py      # works without TensorFlow installed
    python tools/gpu_check.py --steps 300 --batch-size 128 --markdown

For each builder in ``course_utils.models.BUILDERS`` and each precision (``float32``,
``mixed_float16``) it builds the model for 28x28x1 inputs and 10 classes, trains it with Adam for
``--steps`` steps on a synthetic task that a CNN learns in a few dozen steps (each class is a
bright square at its own place on a noisy image, so no download is needed), and prints one row:
images/s (after the first, compiling step), the first and the final loss, and whether it learned
(final loss below half the first).

It exits with status 1 when a loss is NaN or infinite, or when a model's output (softmax) is not
float32 under mixed precision: float16 probabilities do not even sum to 1 (course_utils.models
keeps the output layer in float32 for that reason). On a CPU the default is fewer steps, and
mixed precision is measured only to show that it runs: float16 speed-ups need a GPU or TPU.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

PRECISIONS = ("float32", "mixed_float16")
IMAGE_SHAPE = (28, 28, 1)
CLASSES = 10


@dataclass
class Result:
    model: str
    precision: str
    steps: int
    batch_size: int
    images_per_s: float
    first_loss: float
    final_loss: float
    output_dtype: str
    compute_dtype: str

    @property
    def problems(self) -> list[str]:
        found = []
        if not (math.isfinite(self.first_loss) and math.isfinite(self.final_loss)):
            found.append(f"loss is not finite ({self.first_loss} -> {self.final_loss})")
        if self.output_dtype != "float32":
            found.append(f"the softmax output is {self.output_dtype}, not float32")
        return found

    @property
    def learned(self) -> bool:
        return math.isfinite(self.final_loss) and self.final_loss < 0.5 * self.first_loss


def synthetic_task(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 28x28 images; class k has a bright 6x6 square at its own place on a 4x4-ish grid."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    x = rng.random((n, *IMAGE_SHAPE), dtype=np.float32) * 0.3
    for k in range(CLASSES):
        r, c = 2 + 6 * (k // 4), 2 + 6 * (k % 4)
        x[y == k, r : r + 6, c : c + 6, :] += 0.7
    return x, y.astype("int32")


def train_one(name: str, builder, precision: str, steps: int, batch_size: int, seed: int) -> Result:
    import keras

    keras.mixed_precision.set_global_policy(precision)
    try:
        keras.utils.set_random_seed(seed)
        model = builder(IMAGE_SHAPE, CLASSES)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
        x, y = synthetic_task(batch_size * min(steps, 64), seed)
        batches = len(x) // batch_size

        def batch(i):
            j = i % batches
            return x[j * batch_size : (j + 1) * batch_size], y[j * batch_size : (j + 1) * batch_size]

        first = float(model.train_on_batch(*batch(0)))  # compiles the step
        start = time.perf_counter()
        loss = first
        for i in range(1, steps):
            loss = float(model.train_on_batch(*batch(i)))  # a Python float: waits for the device
        seconds = time.perf_counter() - start
        probs = model.predict(x[:batch_size], verbose=0)
        return Result(
            model=name,
            precision=precision,
            steps=steps,
            batch_size=batch_size,
            images_per_s=(steps - 1) * batch_size / seconds if steps > 1 else float("nan"),
            first_loss=first,
            final_loss=loss,
            output_dtype=str(np.asarray(probs).dtype),
            compute_dtype=str(model.layers[0].compute_dtype),
        )
    finally:
        keras.mixed_precision.set_global_policy("float32")


def print_table(head: list[str], rows: list[list[str]], *, markdown: bool = False) -> None:
    """Print rows of strings under a header: as a Markdown table, or as aligned plain-text columns."""
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="training steps per model (default: 300 on an "
                        "accelerator, 40 on a CPU)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--models", nargs="*", default=None, help="builder names (default: all)")
    parser.add_argument("--precisions", nargs="*", default=list(PRECISIONS), choices=PRECISIONS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)

    from course_utils import models
    from course_utils.runtime import runtime_info, setup

    setup(seed=args.seed, verbose=False)
    info = runtime_info()
    on_accelerator = info.device.kind != "CPU"
    steps = args.steps or (300 if on_accelerator else 40)
    if steps < 2 or args.batch_size < 1:
        parser.error("--steps must be at least 2 and --batch-size at least 1")
    names = args.models or list(models.BUILDERS)
    unknown = sorted(set(names) - set(models.BUILDERS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; the builders are {sorted(models.BUILDERS)}")

    print(f"Keras {info.keras} on {info.backend} (TensorFlow: {info.tensorflow or 'not installed'}); "
          f"device: {info.device}; {steps} steps of batch {args.batch_size} per model")
    if not on_accelerator:
        print("No accelerator: mixed precision is run to check the dtypes, not for speed (float16 is slow on CPUs).")
    results = []
    for name in names:
        for precision in args.precisions:
            result = train_one(name, models.BUILDERS[name], precision, steps, args.batch_size, args.seed)
            results.append(result)
            print(f"  {name:<14} {precision:<14} {result.images_per_s:9.0f} images/s  "
                  f"loss {result.first_loss:.3f} -> {result.final_loss:.3f}", flush=True)

    head = ["model", "precision", "layer dtype", "output dtype", "images/s", "first loss", "final loss",
            "learned", "status"]
    rows = [[r.model, r.precision, r.compute_dtype, r.output_dtype, f"{r.images_per_s:,.0f}",
             f"{r.first_loss:.3f}", f"{r.final_loss:.3f}", "yes" if r.learned else "no",
             "; ".join(r.problems) or "ok"] for r in results]
    print()
    print_table(head, rows, markdown=args.markdown)
    failed = [f"{r.model} ({r.precision}): {p}" for r in results for p in r.problems]
    for problem in failed:
        print(f"FAILED {problem}", file=sys.stderr)
    print(f"\ngpu_check: {len(results) - len({f.split(':')[0] for f in failed})} of {len(results)} runs ok")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
