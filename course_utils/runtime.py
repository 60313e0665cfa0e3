"""Notebook set-up: one call at the top of every notebook (explained in notebook 00).

    from course_utils.runtime import setup
    PROFILE = setup()            # seeds everything, prints versions/device/profile
    epochs = PROFILE.pick(fast=1, full=10)

The profile is chosen by the environment variable ``COURSE_PROFILE``:

* ``full`` (default): what a student runs.
* ``fast``: what the tests run (small subsets, one or two epochs). ``make test`` sets it.

TensorFlow's C++ log noise is silenced before TensorFlow is imported, which is why this
module imports TensorFlow and Keras lazily, inside the functions.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import importlib.metadata
import os
import platform
import random
import sys
from dataclasses import dataclass

import numpy as np

from course_utils.checks import non_negative_int

PROFILE_ENV = "COURSE_PROFILE"
DEFAULT_SEED = 42


class Profile(str, enum.Enum):
    """How big a notebook's runs are. The code path is the same in both profiles (notebook 00)."""

    FAST = "fast"
    FULL = "full"

    @property
    def is_fast(self) -> bool:
        return self is Profile.FAST

    def pick(self, *, fast, full):
        """Return ``fast`` or ``full`` depending on the profile.

        >>> Profile.FAST.pick(fast=1, full=10)
        1
        """
        return fast if self is Profile.FAST else full

    def __str__(self) -> str:  # print(PROFILE) -> "fast"
        return self.value


def get_profile(value: str | Profile | None = None) -> Profile:
    """Read the profile from ``value`` or from ``$COURSE_PROFILE`` (default ``full``; notebook 00).

    ``value`` may already be a :class:`Profile`, which is returned as it is. Raises ValueError
    for anything but ``fast`` or ``full`` (case-insensitive).
    """
    if isinstance(value, Profile):
        return value
    if value is not None and not isinstance(value, str):
        raise ValueError(f"profile must be 'fast', 'full' or a Profile, got {value!r}")
    raw = os.environ.get(PROFILE_ENV, "") if value is None else value
    raw = raw.strip().lower() or Profile.FULL.value
    try:
        return Profile(raw)
    except ValueError:
        raise ValueError(
            f"unknown course profile {raw!r} (from {PROFILE_ENV if value is None else 'argument'}); "
            f"expected one of: {', '.join(p.value for p in Profile)}"
        ) from None


def keras_home() -> str:
    """The Keras cache folder Keras uses: ``$KERAS_HOME``, else ``~/.keras`` (notebook 00).

    Keras reads ``KERAS_HOME`` once, when it is imported; once it is, its value wins.
    """
    if "keras" in sys.modules:
        try:
            from keras.src.backend.config import keras_home as _keras_home

            return _keras_home()
        except ImportError:  # a Keras without this private accessor: fall back to the rule
            pass
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    base = os.path.expanduser("~")
    if not os.access(base, os.W_OK):
        base = "/tmp"
    return os.path.join(base, ".keras")


def in_colab() -> bool:
    """True when running inside Google Colab (notebook 00)."""
    return "google.colab" in sys.modules


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Send file descriptor 2 to /dev/null for a while (C++ code writes there directly)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w", encoding="utf-8") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ and Python log noise, then import Keras (and its backend) (notebook 00).

    ``TF_CPP_MIN_LOG_LEVEL=3`` keeps TensorFlow's C++ logging to errors. A few messages are
    written before that logging is set up (``absl::InitializeLog``, "Could not find cuda
    drivers"), straight to file descriptor 2, which Jupyter shows as red text in every
    notebook; they are hidden by importing Keras with that descriptor pointed at /dev/null.
    The set-up cell prints the device itself.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++: errors only
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    if "keras" not in sys.modules:
        with _stderr_fd_silenced():
            try:
                importlib.import_module("keras")
            except ImportError:
                return
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].get_logger().setLevel("ERROR")


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "GPU" or "CPU"
    name: str
    count: int = 1

    def __str__(self) -> str:
        if self.kind == "CPU":
            return f"CPU ({self.name})"
        return f"{self.count} x GPU ({self.name})" if self.count > 1 else f"GPU ({self.name})"


@dataclass(frozen=True)
class RuntimeInfo:
    profile: Profile
    seed: int
    python: str
    numpy: str
    keras: str | None
    backend: str | None
    tensorflow: str | None
    device: DeviceInfo
    colab: bool
    mixed_precision: bool
    keras_home: str

    def lines(self) -> list[str]:
        return [
            f"Python      {self.python}",
            f"NumPy       {self.numpy}",
            f"TensorFlow  {self.tensorflow or 'not installed'}",
            f"Keras       {self.keras or 'not installed'} (backend: {self.backend or '-'})",
            f"Device      {self.device}",
            f"Colab       {'yes' if self.colab else 'no'}",
            f"Precision   {'mixed_float16' if self.mixed_precision else 'float32'}",
            f"Keras cache {self.keras_home}",
            f"Profile     {self.profile.value} (set {PROFILE_ENV}=fast or full), seed {self.seed}",
        ]


def _cpu_name() -> str:
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def _detect_device(backend: str | None) -> DeviceInfo:
    """Find the accelerator Keras' backend will use, and enable TF memory growth."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                for gpu in gpus:
                    try:  # several kernels can share one GPU
                        tf.config.experimental.set_memory_growth(gpu, True)
                    except RuntimeError:  # already initialised: keep going
                        pass
                details = tf.config.experimental.get_device_details(gpus[0])
                return DeviceInfo("GPU", details.get("device_name", gpus[0].name), len(gpus))
        elif backend == "jax":
            import jax

            gpus = [d for d in jax.devices() if d.platform == "gpu"]
            if gpus:
                return DeviceInfo("GPU", gpus[0].device_kind, len(gpus))
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return DeviceInfo("GPU", torch.cuda.get_device_name(0), torch.cuda.device_count())
    except ImportError:
        pass
    return DeviceInfo("CPU", _cpu_name())


def _version(module: str) -> str | None:
    """The installed version of ``module``, without importing it (TensorFlow is slow and noisy
    to import, and on the JAX or PyTorch backend nothing else needs it)."""
    if module in sys.modules:
        return getattr(sys.modules[module], "__version__", None)
    try:
        return importlib.metadata.version(module)
    except importlib.metadata.PackageNotFoundError:
        return None


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python's ``random``, NumPy and the Keras backend (notebook 06)."""
    seed = non_negative_int("seed", seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (students use the legacy global RNG too)
    try:
        import keras
    except ImportError:
        return
    keras.utils.set_random_seed(int(seed))


def setup(
    seed: int = DEFAULT_SEED,
    *,
    profile: str | None = None,
    mixed_precision: bool = False,
    verbose: bool = True,
) -> Profile:
    """Prepare a notebook: quiet logs, seeds, GPU memory growth, report; return the profile (notebooks 00 and 01).

    Args:
        seed: seed for Python, NumPy and Keras (``keras.utils.set_random_seed``).
        profile: ``"fast"`` or ``"full"``; default: ``$COURSE_PROFILE`` or ``"full"``.
        mixed_precision: when True *and* a GPU is present, set Keras' global dtype policy
            to ``mixed_float16`` (float16 compute, float32 weights). On a CPU it stays float32,
            because float16 is slower there.
        verbose: print the environment report.

    Returns:
        The :class:`Profile` (``fast`` or ``full``); use ``PROFILE.pick(fast=..., full=...)``.
    """
    chosen = get_profile(profile)
    quiet_tensorflow()
    seed_everything(seed)

    backend = None
    keras_version = None
    try:
        import keras

        backend = keras.backend.backend()
        keras_version = keras.__version__
    except ImportError:
        keras = None

    device = _detect_device(backend)
    mixed = bool(mixed_precision and device.kind == "GPU" and keras is not None)
    if keras is not None:
        keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")

    info = RuntimeInfo(
        profile=chosen,
        seed=seed,
        python=platform.python_version(),
        numpy=np.__version__,
        keras=keras_version,
        backend=backend,
        tensorflow=_version("tensorflow"),
        device=device,
        colab=in_colab(),
        mixed_precision=mixed,
        keras_home=keras_home(),
    )
    if verbose:
        print("\n".join(info.lines()))
        if device.kind == "CPU":
            print("No GPU found: everything runs on the CPU (fine for this course, only slower).")
        if mixed:
            print("Mixed precision is on: layers compute in float16, weights stay float32.")
        elif mixed_precision:
            print("Mixed precision was asked for, but it only pays off on a GPU: staying in float32.")
    _LAST_INFO[0] = info
    return chosen


_LAST_INFO: list[RuntimeInfo | None] = [None]


def runtime_info() -> RuntimeInfo | None:
    """The :class:`RuntimeInfo` of the last :func:`setup` call in this process, if any (notebook 00)."""
    return _LAST_INFO[0]
