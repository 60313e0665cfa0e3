"""course_utils.data: real Keras loaders from the cache, subsets, splits, sample photos, and the
fast, clear failure when a file is neither cached nor downloadable."""

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from course_utils import data


@pytest.fixture(scope="module")
def fashion_fast(cached_datasets):
    return data.load_fashion_mnist("fast")


def test_fashion_mnist_fast_profile_is_a_stratified_subset(fashion_fast):
    d = fashion_fast
    assert d.x_train.shape == (data.FAST_SIZES["train"], 28, 28, 1)
    assert d.x_valid.shape == (data.FAST_SIZES["valid"], 28, 28, 1)
    assert d.x_test.shape == (data.FAST_SIZES["test"], 28, 28, 1)
    for x in (d.x_train, d.x_valid, d.x_test):
        assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    for y, n in ((d.y_train, 2000), (d.y_valid, 500), (d.y_test, 1000)):
        assert y.dtype == np.int32
        np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, n // 10))
    assert d.class_names[0] == "T-shirt/top" and d.num_classes == 10
    assert d.input_shape == (28, 28, 1)
    assert "train (2000, 28, 28, 1)" in d.summary()


def test_fashion_mnist_full_split_matches_the_raw_keras_arrays(cached_datasets):
    import keras

    (x_raw, y_raw), (x_test_raw, _) = keras.datasets.fashion_mnist.load_data()
    d = data.load_fashion_mnist("full")
    assert (len(d.x_train), len(d.x_valid), len(d.x_test)) == (55000, 5000, 10000)
    np.testing.assert_array_equal(np.bincount(d.y_valid), np.full(10, 500))
    # The split is a partition of the 60,000 training images: same multiset of labels, same pixels.
    np.testing.assert_array_equal(
        np.bincount(np.concatenate([d.y_train, d.y_valid]), minlength=10), np.bincount(y_raw, minlength=10)
    )
    assert np.isclose(
        d.x_train.sum(dtype=np.float64) + d.x_valid.sum(dtype=np.float64), x_raw.sum(dtype=np.float64) / 255.0
    )
    np.testing.assert_allclose(d.x_test[..., 0], x_test_raw / 255.0, atol=1e-7)


def test_split_is_reproducible_and_depends_on_the_seed(cached_datasets):
    a = data.load_mnist("fast", seed=1)
    b = data.load_mnist("fast", seed=1)
    c = data.load_mnist("fast", seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.y_train, c.y_train)
    assert a.class_names == tuple("0123456789")


def test_explicit_sizes_override_the_profile(cached_datasets):
    d = data.load_mnist("fast", n_train=100, valid_size=50, n_test=30)
    assert (len(d.y_train), len(d.y_valid), len(d.y_test)) == (100, 50, 30)


def test_bad_profile_is_a_value_error():
    with pytest.raises(ValueError, match="unknown course profile 'huge'"):
        data.load_mnist("huge")


def test_stratified_indices_balances_classes_and_validates():
    y = np.repeat(np.arange(3), [10, 20, 30])
    idx = data.stratified_indices(y, 9, seed=0)
    assert len(set(idx.tolist())) == 9
    np.testing.assert_array_equal(np.bincount(y[idx]), [3, 3, 3])
    with pytest.raises(ValueError, match="between 3 .* and 60"):
        data.stratified_indices(y, 61)
    with pytest.raises(ValueError, match="between 3"):
        data.stratified_indices(y, 2)
    with pytest.raises(ValueError, match="class 0 has 10 items but the subset needs 15"):
        data.stratified_indices(y, 45)
    with pytest.raises(ValueError, match="1-D"):
        data.stratified_indices(y.reshape(6, 10), 6)


def test_train_valid_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="x has 5 items but y has 4"):
        data.train_valid_split(np.zeros((5, 2)), np.zeros(4), 2)


def test_flowers_from_the_cached_archive(cached_datasets):
    root = data.flowers_directory()
    assert sorted(os.listdir(root)) == list(data.FLOWERS_CLASSES)
    paths, labels, classes = data.flower_files(root)
    assert classes == data.FLOWERS_CLASSES and len(paths) == len(labels) >= 100
    train, valid, names = data.load_flowers("fast", image_size=(64, 64), batch_size=8)
    assert names == data.FLOWERS_CLASSES
    images, y = next(iter(train))
    assert tuple(images.shape) == (8, 64, 64, 3) and tuple(y.shape) == (8,)
    assert sum(1 for _ in train) <= 4 and sum(1 for _ in valid) <= 4  # fast profile: a few batches
    # A second call does not extract the archive again.
    before = os.path.getmtime(root)
    assert data.flowers_directory() == root and os.path.getmtime(root) == before


def test_flowers_extraction_is_atomic_when_two_programs_start_at_once(cached_datasets, tmp_path):
    """Two extractions at once (two notebooks, parallel tests) both end with the whole folder, no temp left."""
    from concurrent.futures import ThreadPoolExecutor

    if not cached_datasets:
        pytest.fail("needs the Keras cache")
    archive = os.path.join(data.keras_home(), "datasets", "flower_photos.tgz")
    into = tmp_path / "flower_photos_extracted"
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: data._extract_once(archive, "flower_photos", str(into)), range(2)))
    data._extract_once(archive, "flower_photos", str(into))  # a third, after: the folder exists, nothing changes
    assert os.listdir(into) == ["flower_photos"]  # the losers' temporary copies are gone
    paths, _, classes = data.flower_files(str(into / "flower_photos"))
    reference, _, _ = data.flower_files()
    assert classes == data.FLOWERS_CLASSES and len(paths) == len(reference)


def test_flowers_argument_checks():
    with pytest.raises(ValueError, match="valid_fraction"):
        data.load_flowers(valid_fraction=1.5)
    with pytest.raises(ValueError, match="image_size"):
        data.load_flowers(image_size=(0, 10))


@pytest.mark.parametrize("name", sorted(data.SAMPLE_IMAGES))
def test_sample_images_ship_with_the_packages(name):
    rgb = data.sample_image(name)
    gray = data.sample_image(name, gray=True)
    assert rgb.ndim == 3 and rgb.shape[-1] == 3 and rgb.dtype == np.float32
    assert gray.shape == rgb.shape[:2] + (1,)
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0 and rgb.std() > 0.05  # a real photo, not a blank


def test_unknown_sample_image():
    with pytest.raises(ValueError, match="unknown sample image 'dog'; expected one of: camera"):
        data.sample_image("dog")


def test_cache_report_lists_every_file(cached_datasets):
    report = data.cache_report()
    assert {name for name, _, _ in report} == {"fashion_mnist", "mnist", "flowers"}
    assert all(present for _, _, present in report) == cached_datasets


OFFLINE_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import keras  # imported first: the timer measures the loader, not TensorFlow's import
    from course_utils import data
    for loader in sys.argv[1:]:
        start = time.perf_counter()
        try:
            getattr(data, loader)()
            result = {"loader": loader, "loaded": True}
        except data.DataUnavailableError as err:
            result = {"loader": loader, "loaded": False, "error": str(err), "elapsed": time.perf_counter() - start}
        print("RESULT", json.dumps(result))
    """
)
OFFLINE_CASES = {
    "load_fashion_mnist": "datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
    "load_mnist": "datasets/mnist.npz",
    "flowers_directory": "datasets/flower_photos.tgz",
}


def _run_offline(loaders, env) -> tuple[subprocess.CompletedProcess, dict]:
    """The loaders, one after another, in one Python process (one TensorFlow import) in `env`."""
    proc = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT, *loaders], env=env, capture_output=True, text=True, timeout=180
    )
    results = [json.loads(line.split(" ", 1)[1]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    return proc, {r["loader"]: r for r in results}


@pytest.fixture(scope="module")
def offline_failures(tmp_path_factory, offline_env):
    env = offline_env(tmp_path_factory.mktemp("empty-keras-home"))
    start = time.perf_counter()
    proc, results = _run_offline(OFFLINE_CASES, env)
    wall = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr  # no raw urllib traceback
    assert wall < 120
    return results


@pytest.mark.parametrize(("loader", "missing"), OFFLINE_CASES.items())
def test_offline_without_cache_fails_fast_and_clearly(loader, missing, offline_failures):
    result = offline_failures[loader]
    assert not result["loaded"], f"{loader} loaded from an empty cache"
    assert result["elapsed"] < 5.0, f"the loader took {result['elapsed']:.1f} s to give up"
    message = result["error"]
    assert repr(missing) in message  # names the file
    assert "KERAS_HOME" in message and "How to provide it" in message


def test_offline_with_a_seeded_cache_loads_without_network(cached_datasets, tmp_path, offline_env):
    """The real keras.datasets call works offline when KERAS_HOME holds the files."""
    if not cached_datasets:
        pytest.fail("needs the Keras cache")
    from course_utils.data import keras_home

    src = os.path.join(keras_home(), "datasets", "fashion-mnist")
    dst = tmp_path / "datasets" / "fashion-mnist"
    dst.mkdir(parents=True)
    for name in os.listdir(src):
        os.symlink(os.path.join(src, name), dst / name)
    proc, results = _run_offline(["load_fashion_mnist"], offline_env(tmp_path))
    assert proc.returncode == 0 and results["load_fashion_mnist"]["loaded"], proc.stdout + proc.stderr


def test_stratified_split_keeps_every_class_in_proportion():
    labels = np.repeat(np.arange(5), 100)  # the offline flowers: 100 photos per class
    train, valid, test = data.stratified_split(labels, (0.7, 0.15, 0.15), seed=3)
    assert (len(train), len(valid), len(test)) == (350, 75, 75)
    assert sorted(np.concatenate([train, valid, test]).tolist()) == list(range(500))  # disjoint, complete
    assert np.bincount(labels[test]).tolist() == [15] * 5 and np.bincount(labels[train]).tolist() == [70] * 5
    again = data.stratified_split(labels, (0.7, 0.15, 0.15), seed=3)
    other = data.stratified_split(labels, (0.7, 0.15, 0.15), seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(again, (train, valid, test), strict=True))
    assert not np.array_equal(np.sort(other[2]), np.sort(test))
    uneven = data.stratified_split(np.array([0] * 7 + [1] * 3), (0.5, 0.5))
    assert sum(len(p) for p in uneven) == 10
    for bad in ((0.5, 0.6), (1.0,), (0.5, 0.5, 0.0)):
        with pytest.raises(ValueError, match="fractions must be two or more positive numbers that sum to 1"):
            data.stratified_split(labels, bad)
    with pytest.raises(ValueError, match="non-empty 1-D array"):
        data.stratified_split(np.zeros((2, 2)))


def test_image_file_dataset_reads_resizes_and_preprocesses(tmp_path):
    import keras

    photo = (data.sample_image("coffee") * 255).astype(np.uint8)
    paths = []
    for i in range(3):
        path = tmp_path / f"p{i}.{'png' if i else 'jpg'}"
        keras.utils.save_img(path, photo[:, i * 10:])
        paths.append(path)
    ds = data.image_file_dataset(paths, [0, 1, 2], image_size=(32, 48), batch_size=2,
                                 preprocess=lambda x: x / 255.0)
    batches = list(ds)
    assert [tuple(x.shape) for x, _ in batches] == [(2, 32, 48, 3), (1, 32, 48, 3)]
    assert [int(v) for _, y in batches for v in y] == [0, 1, 2]
    x = batches[0][0].numpy()
    assert 0 <= x.min() and x.max() <= 1 and x.std() > 0.05
    flipped = data.image_file_dataset(paths[:1], [0], image_size=(32, 48), augment=lambda b: b[:, :, ::-1])
    raw = data.image_file_dataset(paths[:1], [0], image_size=(32, 48))
    np.testing.assert_allclose(next(iter(flipped))[0].numpy(), next(iter(raw))[0].numpy()[:, :, ::-1])
    with pytest.raises(ValueError, match="one label per path"):
        data.image_file_dataset(paths, [0, 1])
    with pytest.raises(ValueError, match="image_size must be a"):
        data.image_file_dataset(paths, [0, 1, 2], image_size=32)


def test_docstring_examples():
    import doctest

    assert doctest.testmod(data, optionflags=doctest.ELLIPSIS).failed == 0


def _blobs(n=12, size=28, seed=0):
    """n small bright rectangles with a faint rim on (size, size) images, labels 0..3 in turn."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size), np.float32)
    for i in range(n):
        h, w = rng.integers(4, 20, size=2)
        top, left = rng.integers(0, size - h - 1, size=2)
        images[i, top:top + h + 2, left:left + w + 2] = 0.3  # faint rim: pasted, but background in the mask
        images[i, top + 1:top + h + 1, left + 1:left + w + 1] = 1.0
    return images, np.arange(n) % 4


def test_segmentation_canvases_masks_boxes_and_counts():
    images, labels = _blobs()
    c = data.segmentation_canvases(images[..., None], labels, n=40, size=(64, 48), max_items=3, min_items=1,
                                   classes=(2, 0, 3), seed=5)
    assert c.x.shape == (40, 64, 48, 1) and c.x.dtype == np.float32
    assert c.masks.shape == (40, 64, 48) and c.masks.dtype == np.uint8
    assert set(np.unique(c.masks)) <= {0, 1, 2, 3}
    # a pixel belongs to an item exactly where the canvas is brighter than the threshold (items never overlap)
    np.testing.assert_array_equal(c.masks > 0, c.x[..., 0] > 0.5)
    value_of = {2: 1, 0: 2, 3: 3}  # classes[k] -> k + 1; label 1 is never used
    for i in range(40):
        assert 1 <= len(c.boxes[i]) <= 3 and c.boxes[i].shape == (len(c.box_labels[i]), 4)
        assert set(c.box_labels[i].tolist()) <= set(value_of.values())
        for (y1, x1, y2, x2), value in zip(c.boxes[i].astype(int), c.box_labels[i], strict=True):
            inside = c.masks[i, y1:y2, x1:x2]
            assert (inside == value).any(axis=1).all() and (inside == value).any(axis=0).all()  # tight box
        # every item pixel lies in a box of its class
        covered = np.zeros((64, 48), np.uint8)
        for (y1, x1, y2, x2), value in zip(c.boxes[i].astype(int), c.box_labels[i], strict=True):
            covered[y1:y2, x1:x2] = np.where(c.masks[i, y1:y2, x1:x2] == value, value, covered[y1:y2, x1:x2])
        np.testing.assert_array_equal(covered, c.masks[i])
    counts = [len(b) for b in c.boxes]
    assert min(counts) == 1 and max(counts) == 3


def test_segmentation_canvases_are_reproducible_and_crowded_canvases_hold_fewer_items():
    images, labels = _blobs()
    a = data.segmentation_canvases(images, labels, n=5, size=40, seed=1)
    b = data.segmentation_canvases(images, labels, n=5, size=40, seed=1)
    other = data.segmentation_canvases(images, labels, n=5, size=40, seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.masks, b.masks)
    assert not np.array_equal(a.x, other.x)
    big = np.ones((3, 28, 28), np.float32)  # full squares: at most one fits on a 30x30 canvas
    crowded = data.segmentation_canvases(big, [0, 0, 0], n=4, size=30, max_items=3, min_items=3, seed=0)
    assert [len(b) for b in crowded.boxes] == [1, 1, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": np.zeros((4, 28))}, "images must have shape"),
        ({"images": np.full((4, 28, 28), 2.0)}, "intensities in \\[0, 1\\]"),
        ({"labels": [0, 1, 2]}, "labels must be 4 integers"),
        ({"labels": [0.0, 1.0, 2.0, 3.0]}, "labels must be 4 integers"),
        ({"n": 0}, "n must be a positive integer"),
        ({"size": 20}, "at least as large as an item"),
        ({"max_items": 0}, "max_items must be a positive integer"),
        ({"min_items": 4, "max_items": 3}, "min_items must be an integer in \\[0, max_items = 3\\]"),
        ({"classes": [7]}, "classes \\[7\\] have no image"),
        ({"classes": [1, 1]}, "classes must be 1 to 254 different labels"),
        ({"threshold": 1.0}, "threshold must be a number in \\[0, 1\\)"),
    ],
)
def test_segmentation_canvases_bad_input(kwargs, message):
    args = {"images": np.zeros((4, 28, 28)), "labels": [0, 1, 2, 3], "n": 2, "size": 64} | kwargs
    with pytest.raises(ValueError, match=message):
        data.segmentation_canvases(args.pop("images"), args.pop("labels"), args.pop("n"), args.pop("size"), **args)
