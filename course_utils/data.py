"""Data loaders for the course: Keras' own downloads, sized by the profile (notebooks 00 and 05).

* :func:`load_fashion_mnist`, :func:`load_mnist`: ``keras.datasets`` arrays, scaled to float32
  in [0, 1], NHWC ``(N, 28, 28, 1)``, with a stratified train/valid split.
* :func:`load_flowers`: TensorFlow's ``flower_photos.tgz`` through ``keras.utils.get_file`` and
  ``keras.utils.image_dataset_from_directory``.
* :func:`sample_image`: real photos that ship inside scikit-image / scikit-learn (no download).
* :func:`segmentation_canvases`: items (digits) pasted on a canvas, with a class mask per pixel
  and a box per item, for segmentation and detection (notebook 15).

All downloads go through Keras (``$KERAS_HOME``, default ``~/.keras``). Without a network, point
``KERAS_HOME`` at a writable copy of a ready cache; when a file is neither cached nor
downloadable, the loaders raise :class:`DataUnavailableError` within seconds, naming the file
and how to provide it.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from course_utils.checks import int_pair, is_int, positive_int
from course_utils.runtime import DEFAULT_SEED, Profile, get_profile, keras_home

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
MNIST_CLASSES = tuple(str(d) for d in range(10))
FLOWERS_URL = "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
FLOWERS_CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")

# Files each loader needs, relative to the Keras cache ($KERAS_HOME), with where they come from.
KERAS_FILES: dict[str, tuple[str, ...]] = {
    "fashion_mnist": tuple(
        f"datasets/fashion-mnist/{name}"
        for name in (
            "train-labels-idx1-ubyte.gz",
            "train-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
            "t10k-images-idx3-ubyte.gz",
        )
    ),
    "mnist": ("datasets/mnist.npz",),
    "flowers": ("datasets/flower_photos.tgz",),
}

# How long one network operation may stall before a download attempt is abandoned.
DOWNLOAD_TIMEOUT_S = 30.0

# Subset sizes of the fast profile (stratified: the same number of images per class).
FAST_SIZES = {"train": 2000, "valid": 500, "test": 1000}


class DataUnavailableError(RuntimeError):
    """A data file is neither in the Keras cache nor downloadable (e.g. offline) (notebook 05)."""


def cache_report() -> list[tuple[str, str, bool]]:
    """``(dataset, relative path, present?)`` for every file the loaders use (notebook 00)."""
    home = keras_home()
    return [
        (name, rel, os.path.exists(os.path.join(home, rel)))
        for name, files in KERAS_FILES.items()
        for rel in files
    ]


@contextlib.contextmanager
def _socket_timeout(seconds: float):
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _file_from_error(exc: BaseException, subdir: str) -> str | None:
    """The cache path (``subdir/name``) of the file a failed Keras download asked for, read from its URL."""
    match = re.search(r"https?://\S+?/([\w.\-]+\.(?:h5|keras|json|npz|gz|tgz|zip))\b", str(exc))
    return f"{subdir}/{match.group(1)}" if match else None


def _fetch(dataset: str, loader: Callable, files: Sequence[str] | None = None, subdir: str = "datasets"):
    """Run a Keras loader; turn a failed download of a missing file into a clear error.

    ``files``: the cache paths the loader needs (default: ``KERAS_FILES[dataset]``). For
    downloads whose file name depends on the arguments (ImageNet weights: ``course_utils.pretrained``),
    pass ``files=()`` and the name is read from the URL Keras failed to fetch, under ``subdir``.
    """
    start = time.perf_counter()
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            return loader()
    except Exception as exc:  # Keras raises a bare Exception for URL failures
        home = keras_home()
        files = KERAS_FILES[dataset] if files is None else tuple(files)
        if not files:
            wanted = _file_from_error(exc, subdir)
            files = (wanted,) if wanted and "URL fetch failure" in str(exc) else ()
        missing = [rel for rel in files if not os.path.exists(os.path.join(home, rel))]
        if not missing:
            raise
        reason = str(exc).splitlines()[0][:300]
        raise DataUnavailableError(
            f"{dataset}: the file {missing[0]!r} is not in the Keras cache {home!r} and could not be "
            f"downloaded ({reason}; gave up after {time.perf_counter() - start:.1f} s).\n"
            "How to provide it: connect to the internet and run again (Keras downloads it once), or "
            "copy a ready Keras cache and point KERAS_HOME at it before starting Python, e.g.\n"
            '    tmp=$(mktemp -d); cp -r ../shared/data/keras/. "$tmp"/; export KERAS_HOME="$tmp"\n'
            f"or place the file yourself at {os.path.join(home, missing[0])!r}."
        ) from None


@dataclass
class ImageData:
    """Train / valid / test arrays. ``x_*``: (N, H, W, C) float32 in [0, 1]; ``y_*``: (N,) int32."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def summary(self) -> str:
        parts = [
            f"{name} {getattr(self, 'x_' + name).shape}"
            for name in ("train", "valid", "test")
        ]
        return ", ".join(parts) + f"; {self.num_classes} classes"


def stratified_indices(y: np.ndarray, n: int, seed: int = DEFAULT_SEED) -> np.ndarray:
    """Indices of a stratified random subset of ``n`` labels from ``y`` (shape (N,)) (notebook 06).

    Each class gets ``n // k`` items (``k`` classes), the remainder going to the first classes.
    Raises ValueError when ``n`` is not between ``k`` and ``len(y)`` or a class is too small.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array, got shape {y.shape}")
    classes, counts = np.unique(y, return_counts=True)
    k = len(classes)
    if not is_int(n) or not k <= n <= len(y):
        raise ValueError(f"subset size must be an integer between {k} (one per class) and {len(y)}, got {n!r}")
    per_class = np.full(k, n // k)
    per_class[: n % k] += 1
    if np.any(per_class > counts):
        worst = int(np.argmax(per_class - counts))
        raise ValueError(
            f"class {classes[worst].item()!r} has {counts[worst]} items but the subset needs {per_class[worst]}"
        )
    rng = np.random.default_rng(seed)
    picked = [
        rng.choice(np.flatnonzero(y == c), size=m, replace=False) for c, m in zip(classes, per_class, strict=True)
    ]
    out = np.concatenate(picked)
    rng.shuffle(out)
    return out


def train_valid_split(
    x: np.ndarray, y: np.ndarray, valid_size: int, seed: int = DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified split of ``(x, y)`` into ``(x_train, y_train, x_valid, y_valid)`` (notebook 05)."""
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} items but y has {len(y)}; expected the same number")
    valid_idx = stratified_indices(y, valid_size, seed)
    mask = np.ones(len(y), dtype=bool)
    mask[valid_idx] = False
    train_idx = np.flatnonzero(mask)
    np.random.default_rng(seed + 1).shuffle(train_idx)
    return x[train_idx], y[train_idx], x[valid_idx], y[valid_idx]


def _prepare(x: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) -> float32 (N, H, W, 1) in [0, 1]."""
    return (x.astype(np.float32) / 255.0)[..., np.newaxis]


def _load_keras_arrays(
    dataset: str,
    class_names: Sequence[str],
    profile: str | Profile | None,
    valid_size: int | None,
    n_train: int | None,
    n_test: int | None,
    seed: int,
) -> ImageData:
    import keras  # noqa: F401  (lazy: keep TensorFlow's import after runtime.setup)

    loader = getattr(keras.datasets, dataset).load_data
    (x_all, y_all), (x_test, y_test) = _fetch(dataset, loader)
    prof = get_profile(profile)
    if prof.is_fast:
        valid_size = FAST_SIZES["valid"] if valid_size is None else valid_size
        n_train = FAST_SIZES["train"] if n_train is None else n_train
        n_test = FAST_SIZES["test"] if n_test is None else n_test
    valid_size = 5000 if valid_size is None else valid_size
    y_all = y_all.astype(np.int32)
    y_test = y_test.astype(np.int32)
    x_train, y_train, x_valid, y_valid = train_valid_split(x_all, y_all, valid_size, seed)
    if n_train is not None and n_train < len(y_train):
        idx = stratified_indices(y_train, n_train, seed)
        x_train, y_train = x_train[idx], y_train[idx]
    if n_test is not None and n_test < len(y_test):
        idx = np.sort(stratified_indices(y_test, n_test, seed))
        x_test, y_test = x_test[idx], y_test[idx]
    return ImageData(
        _prepare(x_train), y_train, _prepare(x_valid), y_valid, _prepare(x_test), y_test, tuple(class_names)
    )


def load_fashion_mnist(
    profile: str | Profile | None = None,
    *,
    valid_size: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = DEFAULT_SEED,
) -> ImageData:
    """Fashion-MNIST via ``keras.datasets.fashion_mnist.load_data()`` (notebooks 00 and 05).

    Full profile: 55,000 train / 5,000 valid (stratified) / 10,000 test.
    Fast profile: stratified subsets of 2,000 / 500 / 1,000 (override with the arguments).
    Returns an :class:`ImageData` with x: (N, 28, 28, 1) float32 in [0, 1], y: (N,) int32.
    """
    return _load_keras_arrays(
        "fashion_mnist", FASHION_MNIST_CLASSES, profile, valid_size, n_train, n_test, seed
    )


def load_mnist(
    profile: str | Profile | None = None,
    *,
    valid_size: int | None = None,
    n_train: int | None = None,
    n_test: int | None = None,
    seed: int = DEFAULT_SEED,
) -> ImageData:
    """MNIST via ``keras.datasets.mnist.load_data()``; same shapes and sizes as Fashion-MNIST (notebooks 03 and 05)."""
    return _load_keras_arrays("mnist", MNIST_CLASSES, profile, valid_size, n_train, n_test, seed)


def make_dataset(x, y, batch_size: int = 32, *, shuffle: bool = True, seed: int = DEFAULT_SEED,
                 cache: bool = True, augment=None):
    """A ``tf.data`` input pipeline: from arrays, cached, shuffled each epoch, batched, prefetched (notebooks 05 and 06).

    ``x: (N, ...)``, ``y: (N,)``. ``augment`` (optional) is a function or Keras layer applied to
    each training batch (e.g. a ``keras.Sequential`` of preprocessing layers).
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} items but y has {len(y)}; expected the same number")
    positive_int("batch_size", batch_size)
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return _cache_shuffle_batch(ds, len(x), batch_size, cache=cache, shuffle=shuffle, seed=seed, augment=augment)


def _cache_shuffle_batch(ds, n: int, batch_size: int, *, cache: bool, shuffle: bool, seed: int, augment):
    """The tail every course pipeline shares: cache, shuffle each epoch, batch, ``augment`` each batch
    (training mode) if given, prefetch. ``n``: the number of items (the shuffle buffer holds them all)."""
    import tensorflow as tf

    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(int(batch_size))
    if augment is not None:
        training = hasattr(augment, "call")  # a Keras layer: random layers act only in training mode
        ds = ds.map(lambda xb, yb: (augment(xb, training=True) if training else augment(xb), yb),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def flowers_directory() -> str:
    """Folder with one sub-folder per flower class, from ``flower_photos.tgz`` (via ``get_file``) (notebook 13, Part V).

    The archive is downloaded once into ``$KERAS_HOME/datasets`` and extracted once next to it, into
    ``flower_photos_extracted/flower_photos``. The extraction goes to a temporary folder first and is
    renamed into place in one step, so that two programs starting at once (two notebooks, parallel
    tests) never see a half-extracted folder: the first rename wins, the other copy is discarded.
    """
    import keras

    extracted = os.path.join(keras_home(), "datasets", "flower_photos_extracted")
    root = os.path.join(extracted, "flower_photos")
    archive = _fetch("flowers", lambda: keras.utils.get_file("flower_photos.tgz", origin=FLOWERS_URL))
    if not os.path.isdir(root):
        _extract_once(archive, "flower_photos", extracted)
    if not os.path.isdir(root):
        raise DataUnavailableError(f"flowers: expected the class folders under {root!r}; the archive looks broken")
    return root


def _extract_once(archive: str, member: str, into: str) -> None:
    """Extract the top-level folder ``member`` of a tar archive to ``into/member``, atomically."""
    import shutil
    import tarfile
    import tempfile

    os.makedirs(into, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{member}-", dir=into)
    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.12: no links or paths outside `tmp`
                tar.extractall(tmp, filter="data")
            else:
                tar.extractall(tmp)  # noqa: S202 (the archive is Keras' own flowers download)
        try:
            os.rename(os.path.join(tmp, member), os.path.join(into, member))
        except OSError:
            if not os.path.isdir(os.path.join(into, member)):  # not "another program was first"
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def flower_files(root: str | None = None) -> tuple[list[str], np.ndarray, tuple[str, ...]]:
    """All flower photo paths, their integer labels and the class names (sorted, as Keras does) (notebook 13, Part V)."""
    root = flowers_directory() if root is None else root
    classes = tuple(sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))))
    paths, labels = [], []
    for label, name in enumerate(classes):
        for fname in sorted(os.listdir(os.path.join(root, name))):
            if fname.lower().endswith((".jpg", ".jpeg", ".png")):
                paths.append(os.path.join(root, name, fname))
                labels.append(label)
    return paths, np.asarray(labels, dtype=np.int32), classes


def load_flowers(
    profile: str | Profile | None = None,
    *,
    image_size: tuple[int, int] = (160, 160),
    batch_size: int = 32,
    valid_fraction: float = 0.2,
    seed: int = DEFAULT_SEED,
    max_batches: int | None = None,
):
    """The flowers photos as ``(train_ds, valid_ds, class_names)`` (notebook 13, Part V).

    Uses ``keras.utils.image_dataset_from_directory`` (images (B, H, W, 3) float32 in [0, 255],
    integer labels). Fast profile: at most 4 batches per split unless ``max_batches`` says otherwise.
    """
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must be between 0 and 1 (exclusive), got {valid_fraction!r}")
    if not isinstance(image_size, tuple | list):
        raise ValueError(f"image_size must be a (height, width) pair, got {image_size!r}")
    image_size = int_pair("image_size", image_size)
    import keras

    prof = get_profile(profile)
    train_ds, valid_ds = keras.utils.image_dataset_from_directory(
        flowers_directory(),
        validation_split=valid_fraction,
        subset="both",
        seed=seed,
        image_size=tuple(image_size),
        batch_size=batch_size,
        verbose=False,
    )
    class_names = tuple(train_ds.class_names)
    limit = max_batches if max_batches is not None else (4 if prof.is_fast else None)
    if limit is not None:
        train_ds, valid_ds = train_ds.take(limit), valid_ds.take(limit)
    return train_ds, valid_ds, class_names


def stratified_split(labels, fractions=(0.7, 0.15, 0.15), seed: int = DEFAULT_SEED) -> tuple[np.ndarray, ...]:
    """Index arrays that split ``labels: (N,)`` into parts of the given ``fractions``, class by class (notebook 13).

    Each class is shuffled (``seed``) and cut in the same proportions, so every part keeps the
    class balance; rounding gives leftovers to the first part. The parts are disjoint, cover all
    ``N`` items, and each is shuffled.

    >>> train, valid, test = stratified_split(np.repeat([0, 1], 10), (0.6, 0.2, 0.2))
    >>> len(train), len(valid), len(test), int(np.bincount(np.repeat([0, 1], 10)[test]).min())
    (12, 4, 4, 2)
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must be a non-empty 1-D array of class ids, got shape {labels.shape}")
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) < 2 or any(not f > 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be two or more positive numbers that sum to 1, got {fractions}")
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in fractions]
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        counts = [int(np.floor(f * len(idx))) for f in fractions]
        counts[0] += len(idx) - sum(counts)
        cuts = np.cumsum(counts)[:-1]
        for part, chunk in zip(parts, np.split(idx, cuts), strict=True):
            part.extend(chunk.tolist())
    return tuple(rng.permutation(np.asarray(p, dtype=np.int64)) for p in parts)


def image_file_dataset(paths, labels, *, image_size=(224, 224), batch_size: int = 32, preprocess=None,
                       augment=None, shuffle: bool = False, cache: bool = True, seed: int = DEFAULT_SEED):
    """A ``tf.data`` pipeline over image files: read, decode, resize, preprocess, cache, augment, batch, prefetch (notebook 13).

    ``paths``: N JPEG/PNG files; ``labels: (N,)`` integers. Images come out ``(B, H, W, 3)``
    float32: in [0, 255] after resizing, then through ``preprocess`` (e.g. a model's
    ``preprocess_input``) if given. The order of the steps is the lesson: the expensive,
    deterministic work (decode, resize, preprocess) is cached once; shuffling and ``augment``
    (a function or Keras layer applied to each training batch) run every epoch after the cache,
    so each epoch sees new random variants.
    """
    paths = [str(p) for p in paths]
    labels = np.asarray(labels)
    if len(paths) == 0 or len(paths) != len(labels):
        raise ValueError(f"need one label per path and at least one path; got {len(paths)} paths, {len(labels)} labels")
    if not isinstance(image_size, tuple | list):
        raise ValueError(f"image_size must be a (height, width) pair, got {image_size!r}")
    height, width = int_pair("image_size", image_size)
    positive_int("batch_size", batch_size)
    import tensorflow as tf

    def load(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        image = tf.image.resize(tf.cast(image, tf.float32), (height, width))
        if preprocess is not None:
            image = preprocess(image)
        return image, label

    ds = tf.data.Dataset.from_tensor_slices((paths, labels.astype(np.int32)))
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return _cache_shuffle_batch(ds, len(paths), batch_size, cache=cache, shuffle=shuffle, seed=seed, augment=augment)


# Photos that ship inside the scikit-image and scikit-learn wheels (no download needed).
SAMPLE_IMAGES = {
    "camera": ("skimage", "camera", "a photographer with a tripod (grayscale, 512x512)"),
    "astronaut": ("skimage", "astronaut", "astronaut Eileen Collins (RGB, 512x512)"),
    "coffee": ("skimage", "coffee", "a cup of coffee (RGB, 400x600)"),
    "chelsea": ("skimage", "chelsea", "Chelsea the cat (RGB, 300x451)"),
    "china": ("sklearn", "china.jpg", "a Chinese temple (RGB, 427x640)"),
    "flower": ("sklearn", "flower.jpg", "a flower (RGB, 427x640)"),
}


def sample_image(name: str = "chelsea", *, gray: bool = False) -> np.ndarray:
    """A real photo as float32 in [0, 1], shape (H, W, C) with C = 1 if ``gray`` else 3 (notebooks 01 and 05).

    Names: see ``SAMPLE_IMAGES`` (camera, astronaut, coffee, chelsea, china, flower).
    """
    if name not in SAMPLE_IMAGES:
        raise ValueError(f"unknown sample image {name!r}; expected one of: {', '.join(SAMPLE_IMAGES)}")
    source, key, _ = SAMPLE_IMAGES[name]
    if source == "skimage":
        import skimage.data

        img = getattr(skimage.data, key)()
    else:
        from sklearn.datasets import load_sample_image

        img = load_sample_image(key)
    img = np.asarray(img, dtype=np.float32) / 255.0
    if img.ndim == 2:
        img = img[..., np.newaxis]
    if gray and img.shape[-1] == 3:
        # ITU-R BT.601 luma weights, as most image libraries use for RGB -> gray.
        img = (img @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[..., np.newaxis]
    elif not gray and img.shape[-1] == 1:
        img = np.repeat(img, 3, axis=-1)
    return img


class SegmentationCanvases(NamedTuple):
    """What :func:`segmentation_canvases` returns (notebook 15)."""

    x: np.ndarray  # (n, H, W, 1) float32 canvases in [0, 1]
    masks: np.ndarray  # (n, H, W) uint8: 0 background, k + 1 for classes[k]
    boxes: list  # n arrays (k_i, 4) float32: each item's (y1, x1, y2, x2) around its pixels > threshold
    box_labels: list  # n arrays (k_i,) int32: each item's mask value (k + 1 for classes[k])


def segmentation_canvases(images, labels, n: int, size=64, *, max_items: int = 3, min_items: int = 1,
                          classes=None, threshold: float = 0.5, seed: int = DEFAULT_SEED) -> SegmentationCanvases:
    """Images for semantic segmentation and detection: small items (digits) pasted on a blank canvas (notebook 15).

    Each of the ``n`` canvases gets between ``min_items`` and ``max_items`` items (uniformly
    drawn), picked at random from ``images`` whose label is in ``classes``. An item is cut to
    the rectangle around its non-zero pixels and pasted at a random place where it overlaps no
    item already on the canvas (100 tries; an item that finds no place is left out, so a crowded
    canvas may hold fewer items). Its pixels brighter than ``threshold`` get its class in the
    mask, every other pixel is background (0), and its box is the rectangle around those pixels,
    in the edge coordinates of :mod:`course_utils.boxes`.

    Args:
        images: ``(N, h, w)`` or ``(N, h, w, 1)`` intensities in [0, 1] (e.g. MNIST from
            :func:`load_mnist`), with ``h <= H`` and ``w <= W``.
        labels: ``(N,)`` integer labels.
        n: the number of canvases.
        size: the canvas ``H`` (and ``W``), or ``(H, W)``.
        classes: the labels to use, in mask order: ``classes[k]`` is mask value ``k + 1``;
            ``None``: every label in ``labels``, sorted.
        threshold: the intensity above which a pixel belongs to its item, in [0, 1).
        seed: the random generator's seed: the same arguments give the same canvases.

    Returns a :class:`SegmentationCanvases` ``(x, masks, boxes, box_labels)``: ``x: (n, H, W, 1)``
    float32, ``masks: (n, H, W)`` uint8, and per canvas the items' boxes ``(k_i, 4)`` and mask
    values ``(k_i,)``.

    >>> digits = np.zeros((2, 28, 28)); digits[0, 10:20, 12:16] = 1.0; digits[1, 5:9, 5:25] = 0.8
    >>> c = segmentation_canvases(digits, [3, 7], n=2, size=40, max_items=2, seed=0)
    >>> c.x.shape, c.masks.shape, sorted(np.unique(c.masks).tolist())
    ((2, 40, 40, 1), (2, 40, 40), [0, 1, 2])
    """
    x = np.asarray(images)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or min(x.shape) < 1:
        raise ValueError(f"images must have shape (N, h, w) or (N, h, w, 1), got {np.shape(images)}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)) or x.min() < 0 or x.max() > 1:
        raise ValueError("images must hold intensities in [0, 1] (divide uint8 images by 255 first)")
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be {len(x)} integers, one per image; got shape {y.shape}, dtype {y.dtype}")
    n = positive_int("n", n)
    height, width = int_pair("size", size)
    if x.shape[1] > height or x.shape[2] > width:
        raise ValueError(f"the canvas ({height}x{width}) must be at least as large as an item "
                         f"({x.shape[1]}x{x.shape[2]})")
    max_items = positive_int("max_items", max_items)
    if not is_int(min_items) or not 0 <= min_items <= max_items:
        raise ValueError(f"min_items must be an integer in [0, max_items = {max_items}], got {min_items!r}")
    classes = np.unique(y) if classes is None else np.asarray(classes)
    if classes.ndim != 1 or len(classes) == 0 or len(np.unique(classes)) != len(classes) or len(classes) > 254:
        raise ValueError(f"classes must be 1 to 254 different labels, got {classes.tolist()}")
    missing = [c for c in classes.tolist() if not np.any(y == c)]
    if missing:
        raise ValueError(f"classes {missing} have no image in labels (labels present: {np.unique(y).tolist()})")
    if not (isinstance(threshold, int | float) and 0 <= threshold < 1):
        raise ValueError(f"threshold must be a number in [0, 1), got {threshold!r}")
    seed = int(seed)

    pool = np.flatnonzero(np.isin(y, classes))
    value_of = {int(c): k + 1 for k, c in enumerate(classes.tolist())}
    rng = np.random.default_rng(seed)
    canvases = np.zeros((n, height, width), dtype=np.float32)
    masks = np.zeros((n, height, width), dtype=np.uint8)
    all_boxes, all_labels = [], []
    for i in range(n):
        taken: list[tuple[int, int, int, int]] = []  # pasted rectangles (top, left, bottom, right)
        boxes, box_labels = [], []
        for _ in range(int(rng.integers(min_items, max_items + 1))):
            j = pool[rng.integers(len(pool))]
            item = x[j].astype(np.float32)
            rows, cols = np.flatnonzero(item.max(axis=1) > 0), np.flatnonzero(item.max(axis=0) > 0)
            if rows.size == 0:
                continue  # a blank item: nothing to paste
            item = item[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            h, w = item.shape
            for _try in range(100):
                top, left = int(rng.integers(height - h + 1)), int(rng.integers(width - w + 1))
                if all(top >= b or top + h <= t or left >= r or left + w <= lft for t, lft, b, r in taken):
                    break
            else:
                continue  # no free place for this item
            taken.append((top, left, top + h, left + w))
            canvases[i, top : top + h, left : left + w] = np.maximum(canvases[i, top : top + h, left : left + w], item)
            ink = item > threshold
            if not ink.any():
                continue
            masks[i, top : top + h, left : left + w][ink] = value_of[int(y[j])]
            r, c = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
            boxes.append((top + r[0], left + c[0], top + r[-1] + 1, left + c[-1] + 1))
            box_labels.append(value_of[int(y[j])])
        all_boxes.append(np.asarray(boxes, dtype=np.float32).reshape(-1, 4))
        all_labels.append(np.asarray(box_labels, dtype=np.int32))
    return SegmentationCanvases(canvases[..., np.newaxis], masks, all_boxes, all_labels)
