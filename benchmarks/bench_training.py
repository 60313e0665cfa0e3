"""Training throughput of the course models: batch size, XLA (jit_compile) and precision, one run.

    python benchmarks/bench_training.py                    # defaults sized for this device
    KERAS_BACKEND=jax python benchmarks/bench_training.py  # no TensorFlow needed (GPU machines)
    python benchmarks/bench_training.py --models bn_cnn --batch-sizes 64 256 --markdown

For each model of ``course_utils.models.BUILDERS`` named, each batch size, jit_compile on and off,
and each precision policy, it trains the model with ``model.fit`` on the synthetic task of
``tools/gpu_check.py`` (no download) for two epochs of ``--steps`` steps and times the second epoch
(the first one compiles). Images/s are measured in this run; the ratio column divides every row by
the row of the same model at the first batch size, float32, jit_compile on: the speed-up that batch
size, precision or XLA buy on this device, all measured side by side. Notebook 16 and CONTRIBUTING.md
("Checking on a GPU") quote its tables, with the device named.

On a CPU mixed precision is slow (float16 arithmetic is emulated) and the default sizes are small;
the speed-ups of float16/bfloat16 need a GPU or TPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def measure(builder, *, batch_size: int, steps: int, precision: str, jit: bool, seed: int = 0) -> dict:
    """Images/s of the second of two epochs of ``steps`` steps (the first compiles), and the final loss."""
    import keras

    from tools.gpu_check import CLASSES, IMAGE_SHAPE, synthetic_task

    keras.mixed_precision.set_global_policy(precision)
    try:
        keras.utils.set_random_seed(seed)
        model = builder(IMAGE_SHAPE, CLASSES)
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                      jit_compile=jit)
        x, y = synthetic_task(batch_size * steps, seed)
        times = []

        class Clock(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                times.append(time.perf_counter() - self.start)

        history = model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0, callbacks=[Clock()])
        return {"images_per_s": steps * batch_size / times[1], "first_epoch_s": times[0],
                "loss": float(history.history["loss"][-1])}
    finally:
        keras.mixed_precision.set_global_policy("float32")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=["session8_cnn", "bn_cnn"])
    parser.add_argument("--batch-sizes", nargs="*", type=int, default=None,
                        help="default: 32 128 512 on an accelerator, 32 128 on a CPU")
    parser.add_argument("--precisions", nargs="*", default=None, choices=PRECISIONS,
                        help="default: all three on an accelerator, float32 on a CPU")
    parser.add_argument("--steps", type=int, default=None, help="steps per epoch (default 100 on an "
                        "accelerator, 10 on a CPU); without XLA a fifth of that")
    parser.add_argument("--no-eager", action="store_true", help="skip the jit_compile=False rows (which run in "
                        "the first precision only)")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)

    from course_utils import models
    from course_utils.runtime import runtime_info, setup
    from tools.gpu_check import print_table

    setup(verbose=False)
    info = runtime_info()
    on_accelerator = info.device.kind != "CPU"
    batch_sizes = args.batch_sizes or ([32, 128, 512] if on_accelerator else [32, 128])
    precisions = args.precisions or (list(PRECISIONS) if on_accelerator else ["float32"])
    steps = args.steps or (100 if on_accelerator else 10)
    if steps < 1 or min(batch_sizes) < 1:
        parser.error("--steps and every batch size must be at least 1")
    unknown = sorted(set(args.models) - set(models.BUILDERS))
    if unknown:
        parser.error(f"unknown model(s) {unknown}; the builders are {sorted(models.BUILDERS)}")

    print(f"Keras {info.keras} on {info.backend}; device: {info.device}; {steps} timed steps per row "
          f"({max(1, steps // 5)} without XLA)", flush=True)
    rows, base = [], {}
    for name in args.models:
        for jit in (True,) if args.no_eager else (True, False):
            for precision in precisions if jit else precisions[:1]:  # without XLA: the first precision only
                for batch_size in batch_sizes:
                    n = steps if jit else max(1, steps // 5)
                    r = measure(models.BUILDERS[name], batch_size=batch_size, steps=n, precision=precision, jit=jit)
                    key = (name, batch_size, precision, jit)
                    if (batch_size, precision, jit) == (batch_sizes[0], "float32", True):
                        base[name] = r["images_per_s"]
                    rows.append((key, r))
                    print(f"  {name:<13} batch {batch_size:<4} {precision:<15} jit {str(jit):<5} "
                          f"{r['images_per_s']:>10,.0f} images/s  first epoch {r['first_epoch_s']:6.1f} s  "
                          f"loss {r['loss']:.3f}", flush=True)

    head = ["model", "batch", "precision", "jit_compile", "images/s", "x baseline", "first epoch (s)"]
    table = [[name, str(b), p, "on" if j else "off", f"{r['images_per_s']:,.0f}",
              f"{r['images_per_s'] / base[name]:.2f}", f"{r['first_epoch_s']:.1f}"]
             for (name, b, p, j), r in rows]
    print(f"\nbaseline (x 1.00): batch {batch_sizes[0]}, float32, jit_compile on; device: {info.device}")
    print_table(head, table, markdown=args.markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
