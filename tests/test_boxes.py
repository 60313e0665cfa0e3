"""course_utils.boxes (notebook 15): IoU and NMS against TensorFlow and by hand, anchors, box
deltas, YOLO's grid and RoI pooling against slow reference loops; every ValueError tried."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import math
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import boxes as bx

SEEDS = [0, 1, 2, 3, 4, 5]


def _random_boxes(rng, n, low=0.0, high=100.0, max_size=40.0, dtype=np.float64):
    """n random boxes (y1, x1, y2, x2) with y1 <= y2, x1 <= x2: (n, 4)."""
    y1, x1 = rng.uniform(low, high, n), rng.uniform(low, high, n)
    h, w = rng.uniform(0, max_size, n), rng.uniform(0, max_size, n)
    return np.stack([y1, x1, y1 + h, x1 + w], axis=1).astype(dtype)


def _grid_boxes(rng, n):
    """n boxes with small integer corners: exact IoU ties (1/2, 1/3, ...), copies, zero-area boxes."""
    y1, x1 = rng.integers(0, 6, n), rng.integers(0, 6, n)
    return np.stack([y1, x1, y1 + rng.integers(0, 4, n), x1 + rng.integers(0, 4, n)], axis=1).astype(np.float32)


def _slow_iou(a, b):
    """IoU of two boxes, written from the definition."""
    inter_h = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_w = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_h * inter_w
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


# --- area, IoU, centre form -----------------------------------------------------------------------


def test_area_by_hand_and_any_leading_shape():
    np.testing.assert_array_equal(bx.area([[0, 0, 2, 3], [1, 1, 1, 5], [-1, -2, 1, 2]]), [6.0, 0.0, 8.0])
    assert bx.area(np.zeros((2, 3, 4))).shape == (2, 3)
    assert bx.area([0, 0, 2, 3]) == 6.0


def test_iou_by_hand():
    assert bx.iou([0, 0, 2, 2], [1, 1, 3, 3]) == pytest.approx(1 / 7)  # overlap 1, union 4 + 4 - 1
    assert bx.iou([0, 0, 2, 2], [0, 0, 2, 1]) == 0.5  # half of the first box
    assert bx.iou([0, 0, 4, 4], [1, 1, 3, 3]) == 0.25  # one box inside the other
    assert bx.iou([0, 0, 2, 2], [0, 0, 2, 2]) == 1.0
    assert bx.iou([0, 0, 2, 2], [0, 2, 2, 4]) == 0.0  # touching edges: no overlap
    assert bx.iou([0, 0, 2, 2], [5, 5, 6, 6]) == 0.0
    assert bx.iou([1, 1, 1, 3], [1, 1, 1, 3]) == 0.0  # zero area: no union, defined as 0 (as TensorFlow)
    assert isinstance(bx.iou([0, 0, 2, 2], [1, 1, 3, 3]), float)


def test_iou_shapes_and_single_boxes():
    rng = np.random.default_rng(0)
    a, b = _random_boxes(rng, 5), _random_boxes(rng, 3)
    m = bx.iou(a, b)
    assert m.shape == (5, 3)
    np.testing.assert_array_equal(bx.iou(a[2], b), m[2])
    np.testing.assert_array_equal(bx.iou(a, b[1]), m[:, 1])
    assert bx.iou(a[2], b[1]) == m[2, 1]
    np.testing.assert_array_equal(bx.iou(b, a), m.T)  # symmetric
    assert bx.iou(a, np.zeros((0, 4))).shape == (5, 0)
    assert bx.iou(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32
    assert bx.iou([[0, 0, 2, 2]], [[0, 0, 1, 1]]).dtype == np.float64  # integers -> float64


@pytest.mark.parametrize("seed", SEEDS)
def test_iou_matches_a_loop_over_pairs(seed):
    rng = np.random.default_rng(seed)
    a = _random_boxes(rng, 12, max_size=30)
    b = np.concatenate([_random_boxes(rng, 9, max_size=30), a[:3], _grid_boxes(rng, 4)])  # copies too
    expected = np.array([[_slow_iou(p, q) for q in b] for p in a])
    got = bx.iou(a, b)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert ((got >= 0) & (got <= 1)).all()
    np.testing.assert_allclose(got[np.arange(3), 9 + np.arange(3)], 1.0)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_center_form_round_trip_and_by_hand(seed):
    assert bx.box_to_center([0, 0, 4, 2]).tolist() == [2.0, 1.0, 4.0, 2.0]
    assert bx.center_to_box([2, 1, 4, 2]).tolist() == [0.0, 0.0, 4.0, 2.0]
    boxes = _random_boxes(np.random.default_rng(seed), 20).reshape(4, 5, 4)
    centers = bx.box_to_center(boxes)
    assert centers.shape == (4, 5, 4)
    np.testing.assert_allclose(centers[..., 2], boxes[..., 2] - boxes[..., 0])
    np.testing.assert_allclose(bx.center_to_box(centers), boxes, rtol=0, atol=1e-12)


# --- non-maximum suppression --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tf_nms():
    import tensorflow as tf

    def run(boxes, scores, max_output_size, iou_threshold, score_threshold):
        out = tf.image.non_max_suppression(boxes, scores, max_output_size, iou_threshold, score_threshold)
        return out.numpy()

    return run


def test_nms_by_hand():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]]
    scores = [0.9, 0.8, 0.7, 0.95]
    # 3 (0.95) is kept; 0 overlaps it by 90/100 = 0.9 and 1 by 72/118 = 0.61: both go; 2 is far away
    assert bx.non_max_suppression(boxes, scores, 10).tolist() == [3, 2]
    assert bx.non_max_suppression(boxes, scores, 10, iou_threshold=0.65).tolist() == [3, 1, 2]
    assert bx.non_max_suppression(boxes, scores, 10, iou_threshold=0.6).tolist() == [3, 2]
    assert bx.non_max_suppression(boxes, scores, 1).tolist() == [3]
    assert bx.non_max_suppression(boxes, scores, 0).tolist() == []
    assert bx.non_max_suppression(boxes, scores, 10, score_threshold=0.85).tolist() == [3]
    assert bx.non_max_suppression(np.zeros((0, 4)), [], 5).tolist() == []


def test_nms_semantics_tensorflow_has():
    far = [[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]]
    # equal scores: lower index first
    assert bx.non_max_suppression(far, [0.5, 0.5, 0.5], 3).tolist() == [0, 1, 2]
    assert bx.non_max_suppression(far, [0.5, 0.9, 0.5], 3).tolist() == [1, 0, 2]
    # IoU exactly at the threshold is kept: suppression needs IoU > threshold
    half = [[0, 0, 2, 2], [0, 0, 2, 1]]  # IoU 0.5
    assert bx.non_max_suppression(half, [0.9, 0.8], 2, iou_threshold=0.5).tolist() == [0, 1]
    assert bx.non_max_suppression(half, [0.9, 0.8], 2, iou_threshold=0.49).tolist() == [0]
    # copies of a box: all kept at threshold 1, one kept below it
    copies = [[0, 0, 1, 1]] * 3
    assert bx.non_max_suppression(copies, [0.1, 0.3, 0.2], 3, iou_threshold=1.0).tolist() == [1, 2, 0]
    assert bx.non_max_suppression(copies, [0.1, 0.3, 0.2], 3, iou_threshold=0.99).tolist() == [1]
    # threshold 0: any overlap suppresses, touching boxes do not
    assert bx.non_max_suppression([[0, 0, 2, 2], [0, 2, 2, 4], [1, 1, 3, 3]], [3, 2, 1], 3, 0.0).tolist() == [0, 1]
    # zero-area boxes (even copies) never suppress and are never suppressed
    flat = [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 2, 2]]
    assert bx.non_max_suppression(flat, [0.1, 0.3, 0.2], 3, 0.0).tolist() == [1, 2, 0]
    # the score threshold is strict and rounded to float32, as TensorFlow's tensor is
    assert bx.non_max_suppression(far[:2], [0.5, 0.6], 2, score_threshold=0.5).tolist() == [1]
    assert bx.non_max_suppression(far[:2], np.float32([0.1, 0.6]), 2, score_threshold=0.1).tolist() == [1]
    assert bx.non_max_suppression(far[:2], [np.inf, -np.inf], 2).tolist() == [0]  # -inf is not > -inf


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["float32", "grid", "float64"])
def test_nms_matches_tensorflow(tf_nms, seed, kind):
    """Random box sets of several sizes, thresholds and output sizes: the same indices, in the same order."""
    rng = np.random.default_rng(seed)
    for n in (1, 2, 7, 40, 200):
        if kind == "float32":  # continuous corners, a few exact copies and equal scores
            boxes = _random_boxes(rng, n, dtype=np.float32)
            scores = rng.random(n).astype(np.float32)
            pairs = rng.integers(0, n, size=(n // 5, 2))
            boxes[pairs[:, 0]] = boxes[pairs[:, 1]]  # exact copies
            scores[rng.integers(0, n, n // 5)] = scores[0]  # equal scores
        elif kind == "grid":  # integer corners: many exact IoU ties, copies, zero areas, few score values
            boxes = _grid_boxes(rng, n)
            scores = (rng.integers(0, 4, n) / 4).astype(np.float32)
        else:  # float64 boxes and scores (TensorFlow compares the scores in float64, IoU in float32)
            boxes = _random_boxes(rng, n, high=1.0, max_size=0.5)
            scores = rng.random(n)
        for iou_threshold in (0.0, 0.25, 1 / 3, 0.5, 0.7, 1.0):
            for max_output_size in (0, 3, n + 2):
                score_threshold = float(rng.choice([-np.inf, 0.25, 0.5]))
                expected = tf_nms(boxes, scores, max_output_size, iou_threshold, score_threshold)
                got = bx.non_max_suppression(boxes, scores, max_output_size, iou_threshold, score_threshold)
                np.testing.assert_array_equal(got, expected, err_msg=f"n={n} iou={iou_threshold} "
                                              f"max={max_output_size} score>{score_threshold}")


@pytest.mark.parametrize(
    ("boxes", "threshold"),
    [
        ([[0, 0, 1, 2], [0, 1, 1, 3]], 1 / 3),  # IoU 1 / 3: float32(1/3) > 1/3 in float64
        ([[0, 0, 1, 10], [0, 0, 1, 7]], 0.7),  # IoU 7 / 10: float32(0.7) < 0.7 in float64
        ([[0, 0, 3, 3], [0, 0, 3, 1]], 0.3),  # IoU 1 / 3 against a threshold of 0.3
    ],
)
def test_nms_thresholds_are_float32_as_in_tensorflow(tf_nms, boxes, threshold):
    """IoU and threshold are both rounded to float32, so an IoU equal to the threshold is kept."""
    boxes, scores = np.array(boxes, np.float32), np.array([0.9, 0.8], np.float32)
    expected = tf_nms(boxes, scores, 2, threshold, -np.inf)
    assert expected.tolist() == ([0] if threshold == 0.3 else [0, 1])
    np.testing.assert_array_equal(bx.non_max_suppression(boxes, scores, 2, threshold), expected)


def test_nms_score_threshold_is_float32_even_for_float64_scores(tf_nms):
    """TensorFlow's score_threshold is a float32 tensor: 0.1 means 0.10000000149..., also for float64 scores."""
    boxes = np.array([[0, 0, 1, 1], [2, 2, 3, 3], [4, 4, 5, 5]], np.float64)
    scores = np.array([0.1 + 1e-9, 0.6, 0.1 + 1e-8])  # 0.1 < 0.1 + 1e-9 < float32(0.1) < 0.1 + 1e-8
    expected = tf_nms(boxes, scores, 3, 0.5, 0.1)
    assert expected.tolist() == [1, 2]
    np.testing.assert_array_equal(bx.non_max_suppression(boxes, scores, 3, 0.5, 0.1), expected)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_nms_matches_tensorflow_with_the_threshold_at_an_iou_that_occurs(tf_nms, seed):
    """Threshold equal to a float32 IoU of two of the boxes: IoU == threshold must be kept, bit for bit."""
    rng = np.random.default_rng(seed)
    boxes = _random_boxes(rng, 30, high=50, dtype=np.float32)
    scores = rng.random(30).astype(np.float32)
    overlaps = bx.iou(boxes, boxes)
    occurring = overlaps[(overlaps > 0) & (overlaps < 1)]
    decided_by_equality = 0
    for threshold in rng.choice(occurring, 8, replace=False):
        threshold = float(threshold)
        got = bx.non_max_suppression(boxes, scores, 30, threshold)
        np.testing.assert_array_equal(got, tf_nms(boxes, scores, 30, threshold, -np.inf))
        just_below = float(np.nextafter(np.float32(threshold), np.float32(0)))
        decided_by_equality += not np.array_equal(got, bx.non_max_suppression(boxes, scores, 30, just_below))
    assert decided_by_equality > 0, "no case where > and >= differ: the test would not see a wrong comparison"


def test_nms_compares_one_kept_box_with_the_boxes_left(monkeypatch):
    """O(N) work per kept box: each IoU call is one kept box against the candidates still in play."""
    calls = []
    real = bx._pairwise_iou

    def spy(a, b):
        calls.append((a.shape, b.shape))
        return real(a, b)

    monkeypatch.setattr(bx, "_pairwise_iou", spy)
    rng = np.random.default_rng(0)
    kept = bx.non_max_suppression(_random_boxes(rng, 300), rng.random(300), 300)
    assert len(calls) == len(kept) > 1
    assert all(a == (1, 4) for a, _ in calls)
    left = [b[0] for _, b in calls]
    assert left[0] == 299 and all(x > y for x, y in zip(left, left[1:], strict=False))


# --- anchors ----------------------------------------------------------------------------------------


def test_anchors_by_hand():
    # one position, stride 16: centre (8, 8); scale 4: ratio 1 -> 4 x 4, ratio 4 (h / w) -> 8 x 2
    a = bx.anchors((1, 1), 16, scales=[4], ratios=[1, 4])
    assert a.tolist() == [[6.0, 6.0, 10.0, 10.0], [4.0, 7.0, 12.0, 9.0]]
    # the doctest's anchor: position (0, 0), scale 256, ratio 1
    assert bx.anchors((2, 3), 16)[4].tolist() == [-120.0, -120.0, 136.0, 136.0]
    # a (stride_y, stride_x) pair: position (1, 2) of a 2 x 3 map with strides (10, 20) is at (15, 50)
    a = bx.anchors((2, 3), (10, 20), scales=[2], ratios=[1])
    assert a[1 * 3 + 2].tolist() == [14.0, 49.0, 16.0, 51.0]


def test_anchors_count_order_areas_ratios_and_centres():
    scales, ratios, stride = (32, 64, 128), (0.5, 1.0, 2.0), 16
    a = bx.anchors((3, 4), stride, scales, ratios)
    assert a.shape == (3 * 4 * 9, 4)
    grid = a.reshape(3, 4, 3, 3, 4)  # (H, W, scales, ratios, 4): the documented order
    centers = bx.box_to_center(grid)
    h, w = centers[..., 2], centers[..., 3]
    np.testing.assert_allclose(h * w, np.broadcast_to(np.square(scales)[:, None], (3, 4, 3, 3)))
    np.testing.assert_allclose(h / w, np.broadcast_to(np.array(ratios)[None, :], (3, 4, 3, 3)))
    rows, cols = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    np.testing.assert_allclose(centers[..., 0], np.broadcast_to(((rows + 0.5) * stride)[..., None, None], h.shape))
    np.testing.assert_allclose(centers[..., 1], np.broadcast_to(((cols + 0.5) * stride)[..., None, None], h.shape))
    # the same 9 shapes at every position
    np.testing.assert_allclose(h, np.broadcast_to(h[0, 0], h.shape))
    assert len(np.unique(np.round(h * 1000 + w, 6))) == 9


# --- box deltas (encode / decode) ---------------------------------------------------------------------


def test_encode_decode_by_hand():
    # box centre (20, 40), size 20 x 40; anchor centre (10, 10), size 20 x 20
    deltas = bx.encode([[10, 20, 30, 60]], [[0, 0, 20, 20]])
    np.testing.assert_allclose(deltas, [[0.5, 1.5, 0.0, math.log(2)]])
    np.testing.assert_allclose(bx.decode(deltas, [[0, 0, 20, 20]]), [[10, 20, 30, 60]])
    # scale factors multiply the targets (TF Object Detection API's Faster R-CNN: 10, 10, 5, 5)
    scaled = bx.encode([[10, 20, 30, 60]], [[0, 0, 20, 20]], scale_factors=(10, 10, 5, 5))
    np.testing.assert_allclose(scaled, [[5.0, 15.0, 0.0, 5 * math.log(2)]])
    np.testing.assert_allclose(bx.decode(scaled, [[0, 0, 20, 20]], scale_factors=(10, 10, 5, 5)), [[10, 20, 30, 60]])
    assert bx.encode([0, 0, 4, 4], [0, 0, 4, 4]).tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("seed", SEEDS)
def test_encode_decode_round_trip(seed):
    rng = np.random.default_rng(seed)
    boxes = _random_boxes(rng, 50) + [0, 0, 1, 1]  # height and width >= 1
    anchors = bx.anchors((5, 10), 16, scales=(16, 32, 64), ratios=(1.0,))[rng.permutation(150)[:50]]
    for factors in (None, (10, 10, 5, 5), (1.0, 2.0, 3.0, 4.0)):
        deltas = bx.encode(boxes, anchors, scale_factors=factors)
        assert deltas.shape == (50, 4)
        np.testing.assert_allclose(bx.decode(deltas, anchors, scale_factors=factors), boxes, rtol=0, atol=1e-9)
    # one anchor for all boxes broadcasts
    one = bx.encode(boxes, anchors[0])
    np.testing.assert_allclose(one, bx.encode(boxes, np.broadcast_to(anchors[0], boxes.shape)))
    # and random deltas survive decode -> encode
    deltas = rng.normal(0, 0.5, (50, 4))  # log-scales far below the clip
    np.testing.assert_allclose(bx.encode(bx.decode(deltas, anchors), anchors), deltas, rtol=0, atol=1e-9)


def test_decode_clips_the_log_scales():
    anchor = [[0, 0, 16, 16]]
    big = bx.decode([[0, 0, 50.0, 50.0]], anchor)  # exp(50) would be 5e21 pixels
    np.testing.assert_allclose(bx.box_to_center(big)[0, 2:], [1000.0, 1000.0])  # 16 * 1000 / 16
    unclipped = bx.decode([[0, 0, 5.0, 5.0]], anchor, max_log_scale=None)
    np.testing.assert_allclose(bx.box_to_center(unclipped)[0, 2:], 16 * math.exp(5.0))
    small = bx.decode([[0, 0, -3.0, 0.0]], anchor)  # only large scales are clipped
    np.testing.assert_allclose(bx.box_to_center(small)[0, 2:], [16 * math.exp(-3.0), 16.0])


# --- YOLO's grid --------------------------------------------------------------------------------------


def test_yolo_assign_by_hand():
    # 448 x 448 image, 7 x 7 grid: 64-pixel cells. Centre (200, 230): cell (3, 3), offsets 8/64, 38/64
    t = bx.yolo_assign([[100, 200, 300, 260]], image_size=(448, 448), grid=7)
    assert (t.row.tolist(), t.col.tolist()) == ([3], [3])
    assert (t.y.tolist(), t.x.tolist()) == ([0.125], [0.59375])
    assert (t.h.tolist(), t.w.tolist()) == ([200 / 448], [60 / 448])
    # a non-square image and grid: 300 high in 3 rows (100 px), 400 wide in 5 columns (80 px)
    t = bx.yolo_assign([0, 0, 250, 130], image_size=(300, 400), grid=(3, 5))  # centre (125, 65)
    assert t.row.shape == () and (int(t.row), int(t.col)) == (1, 0)
    assert (float(t.y), float(t.x)) == pytest.approx((0.25, 65 / 80))


def test_yolo_assign_edges():
    boxes = [
        [0, 0, 128, 128],  # centre (64, 64): on the lines between cells -> lower-right cell, offset 0
        [0, 0, 0, 0],  # centre at the top-left corner of the image: cell (0, 0), offset 0
        [400, 400, 496, 496],  # centre (448, 448): the image's bottom-right corner -> last cell, offset 1
        [100, 420, 100, 476],  # centre on the right edge only, zero height
        [0, 0, 127, 20],  # centre (63.5, 10): still row 0, just above the line
        [60, 10, 68, 20],  # centre (64, 15): on the line, row 1
    ]
    t = bx.yolo_assign(boxes, image_size=448, grid=7)
    assert t.row.tolist() == [1, 0, 6, 1, 0, 1]
    assert t.col.tolist() == [1, 0, 6, 6, 0, 0]
    np.testing.assert_allclose(t.y[4:], [63.5 / 64, 0.0])
    np.testing.assert_allclose(t.y[:4], [0.0, 0.0, 1.0, 100 / 64 - 1])
    np.testing.assert_allclose(t.x[:4], [0.0, 0.0, 1.0, 1.0])
    assert 0 <= t.y.min() and t.y.max() <= 1 and 0 <= t.x.min() and t.x.max() <= 1


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_yolo_assign_puts_the_centre_back(seed):
    rng = np.random.default_rng(seed)
    centers = np.stack([rng.uniform(0, 300, 100), rng.uniform(0, 500, 100), rng.uniform(0, 80, 100),
                        rng.uniform(0, 80, 100)], axis=1)
    t = bx.yolo_assign(bx.center_to_box(centers), image_size=(300, 500), grid=(6, 10))  # 50 x 50 cells
    np.testing.assert_allclose((t.row + t.y) * 50, centers[:, 0], atol=1e-9)
    np.testing.assert_allclose((t.col + t.x) * 50, centers[:, 1], atol=1e-9)
    np.testing.assert_array_equal(t.row, np.floor(centers[:, 0] / 50))
    np.testing.assert_allclose(t.h * 300, centers[:, 2], atol=1e-9)
    assert t.row.dtype.kind == "i" and t.row.max() <= 5 and t.col.max() <= 9


# --- RoI pooling ---------------------------------------------------------------------------------------


def _slow_roi_pool(feature_map, boxes, output_size, spatial_scale):
    """Fast R-CNN's RoI max pooling, one output number at a time, bins in exact fractions."""
    ph, pw = output_size
    height, width, channels = feature_map.shape
    out = np.zeros((len(boxes), ph, pw, channels), feature_map.dtype)
    for k, box in enumerate(boxes):
        y1, x1, y2, x2 = (math.floor(v * spatial_scale + 0.5) for v in box)
        bin_h = Fraction(max(y2 - y1, 1), ph)
        bin_w = Fraction(max(x2 - x1, 1), pw)
        for i in range(ph):
            for j in range(pw):
                r0, r1 = y1 + math.floor(i * bin_h), y1 + math.ceil((i + 1) * bin_h)
                c0, c1 = x1 + math.floor(j * bin_w), x1 + math.ceil((j + 1) * bin_w)
                for c in range(channels):
                    values = [feature_map[r, q, c] for r in range(max(r0, 0), min(r1, height))
                              for q in range(max(c0, 0), min(c1, width))]
                    out[k, i, j, c] = max(values) if values else 0
    return out


def test_roi_pool_by_hand():
    fm = np.arange(16.0).reshape(4, 4, 1)
    assert bx.roi_pool(fm, [[0, 0, 4, 4]], output_size=2)[0, :, :, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]
    # 5 rows into 2 bins: rows [0, 3) and [2, 5) (floor / ceil: row 2 is in both); 3 columns into 3 bins
    fm = np.arange(30.0).reshape(5, 6, 1)  # value = 6 * row + column
    out = bx.roi_pool(fm, [[0, 1, 5, 4]], output_size=(2, 3))[0, :, :, 0]
    assert out.tolist() == [[13.0, 14.0, 15.0], [25.0, 26.0, 27.0]]
    # image coordinates with stride 4: the box (2, 5)-(21, 18) maps to rows round(0.5)=1 .. round(5.25)=5
    # and columns round(1.25)=1 .. round(4.5)=5 (halves round up); one bin takes the max 6 * 4 + 4
    assert bx.roi_pool(fm, [[2, 5, 21, 18]], output_size=1, spatial_scale=0.25)[0, 0, 0, 0] == 28.0
    # a RoI of zero size keeps one cell; a RoI outside the map gives zeros
    assert bx.roi_pool(fm, [[2, 3, 2, 3]], output_size=2)[0, :, :, 0].tolist() == [[15.0, 15.0], [15.0, 15.0]]
    assert not bx.roi_pool(fm, [[50, 50, 60, 60]], output_size=2).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_roi_pool_matches_a_slow_loop(seed):
    rng = np.random.default_rng(seed)
    height, width, channels = rng.integers(3, 12), rng.integers(3, 12), rng.integers(1, 4)
    fm = rng.normal(size=(height, width, channels))
    stride = int(rng.choice([1, 4, 16]))
    boxes = _random_boxes(rng, 10, low=-2 * stride, high=(height + 1) * stride, max_size=8 * stride)
    boxes[0] = [0, 0, height * stride, width * stride]  # the whole map
    output_size = (int(rng.integers(1, 8)), int(rng.integers(1, 8)))
    got = bx.roi_pool(fm, boxes, output_size, spatial_scale=1 / stride)
    assert got.shape == (10, *output_size, channels)
    np.testing.assert_array_equal(got, _slow_roi_pool(fm, boxes, output_size, 1 / stride))
    assert got[0].max() == fm.max()


def test_roi_pool_keeps_dtype_and_handles_no_rois():
    fm = np.arange(24, dtype=np.int32).reshape(4, 3, 2)
    assert bx.roi_pool(fm, [[0, 0, 4, 3]], 2).dtype == np.int32
    assert bx.roi_pool(fm, np.zeros((0, 4)), (7, 7)).shape == (0, 7, 7, 2)


# --- drawing --------------------------------------------------------------------------------------------


def test_draw_boxes_on_an_image():
    fig, ax = plt.subplots()
    ax.imshow(np.zeros((20, 30)))
    patches = bx.draw_boxes(ax, [[2, 3, 10, 13], [0, 0, 5, 5]], labels=["cat 0.93", "dog 0.51"])
    assert len(patches) == 2 and len(ax.patches) == 2
    assert patches[0].get_xy() == (2.5, 1.5)  # x1 - 0.5, y1 - 0.5: on the pixel edges imshow draws
    assert (patches[0].get_width(), patches[0].get_height()) == (10, 8)
    assert [t.get_text() for t in ax.texts] == ["cat 0.93", "dog 0.51"]
    fig.canvas.draw()
    fig2, ax2 = plt.subplots()
    (patch,) = bx.draw_boxes(ax2, [2, 3, 10, 13], on_image=False, color="blue")
    assert patch.get_xy() == (3, 2) and not ax2.texts
    plt.close("all")


# --- bad input ------------------------------------------------------------------------------------------

OK = [[0, 0, 2, 2], [1, 1, 3, 3]]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # malformed boxes, the same check everywhere
        (lambda: bx.iou([[0, 0, 1, 1, 1]], OK), r"boxes_a must have shape \(4,\) or \(N, 4\).*got shape \(1, 5\)"),
        (lambda: bx.iou(np.zeros((2, 2, 4)), OK), r"boxes_a must have shape \(4,\) or \(N, 4\)"),
        (lambda: bx.iou(OK, 3.0), r"boxes_b must have shape .*got shape \(\)"),
        (lambda: bx.iou([["a", "b", "c", "d"]], OK), r"boxes_a must hold real numbers"),
        (lambda: bx.iou(OK, [[0, 0, np.nan, 1]]), r"boxes_b must be finite \(no NaN or inf\): box 0"),
        (lambda: bx.area([[0, 0, 1, 1], [0, 0, np.inf, 1]]), r"boxes must be finite.*box 1 is \[0.0, 0.0, inf"),
        (lambda: bx.area([[0, 0, 1, 1], [3, 0, 1, 1]]), r"boxes must be \(y1, x1, y2, x2\).*box 1 .*has y2 < y1"),
        (lambda: bx.area([0, 3, 1, 1]), r"boxes must be .*: the box = .*has x2 < x1"),
        (lambda: bx.box_to_center([[[0, 0, -1, 1]]]), r"box \(0, 0\) .*has y2 < y1"),
        (lambda: bx.center_to_box([[5, 5, -1, 2]]), r"centers must be \(center_y, center_x, height, width\).*negative size"),
        # non_max_suppression
        (lambda: bx.non_max_suppression([0, 0, 1, 1], [1.0], 1), r"boxes must have shape \(N, 4\)"),
        (lambda: bx.non_max_suppression([[0, 0, 1, 1], [2, 0, 1, 1]], [1, 2], 1), r"has y2 < y1 \(corners swapped"),
        (lambda: bx.non_max_suppression(OK, [0.9], 1), r"scores must have shape \(N,\) = \(2,\).*got shape \(1,\)"),
        (lambda: bx.non_max_suppression(OK, [[0.9, 0.1]], 1), r"scores must have shape \(N,\) = \(2,\)"),
        (lambda: bx.non_max_suppression(OK, [0.9, np.nan], 1), r"scores must not be NaN: score 1"),
        (lambda: bx.non_max_suppression(OK, ["a", "b"], 1), r"scores must hold real numbers"),
        (lambda: bx.non_max_suppression(OK, [0.9, 0.1], -1), r"max_output_size must be a non-negative integer, got -1"),
        (lambda: bx.non_max_suppression(OK, [0.9, 0.1], 2.0), r"max_output_size must be a non-negative integer"),
        (lambda: bx.non_max_suppression(OK, [0.9, 0.1], 2, 1.5), r"iou_threshold must be a number in \[0, 1\]"),
        (lambda: bx.non_max_suppression(OK, [0.9, 0.1], 2, -0.1), r"iou_threshold must be a number in \[0, 1\]"),
        (lambda: bx.non_max_suppression(OK, [0.9, 0.1], 2, 0.5, math.nan), r"score_threshold must be a number"),
        # anchors
        (lambda: bx.anchors((0, 4), 16), r"feature_shape \(height\) must be a positive integer, got 0"),
        (lambda: bx.anchors((4, 4), 0), r"stride must be a positive integer, got 0"),
        (lambda: bx.anchors((4, 4), 16, scales=[]), r"scales must be a non-empty sequence of finite numbers > 0"),
        (lambda: bx.anchors((4, 4), 16, scales=[-8]), r"scales must be .*numbers > 0, got \[-8\]"),
        (lambda: bx.anchors((4, 4), 16, ratios=[0, 1]), r"ratios \(height / width\) must be .*> 0"),
        (lambda: bx.anchors((4, 4), 16, ratios=0.5), r"ratios \(height / width\) must be a non-empty sequence"),
        # encode / decode
        (lambda: bx.encode([[0, 0, 0, 2]], [[0, 0, 2, 2]]), r"boxes must have height and width > 0.*box 0"),
        (lambda: bx.encode([[0, 0, 2, 2]], [[0, 0, 2, 0]]), r"anchors must have height and width > 0"),
        (lambda: bx.encode(np.ones((3, 4)) * [0, 0, 1, 1], np.ones((2, 4)) * [0, 0, 1, 1]),
         r"boxes and anchors must have the same shape \(N, 4\).*got \(3, 4\) and \(2, 4\)"),
        (lambda: bx.encode(OK, OK, scale_factors=(10, 10, 5)), r"scale_factors .* must be 4 finite numbers > 0"),
        (lambda: bx.encode(OK, OK, scale_factors=(10, 10, 5, 0)), r"scale_factors .* must be 4 finite numbers > 0"),
        (lambda: bx.decode([[0, 0, np.nan, 0]], OK[:1]), r"deltas must be finite"),
        (lambda: bx.decode([[0, 0, 0]], OK[:1]), r"deltas must have shape \(\.\.\., 4\), one row of 4 numbers per box; got shape \(1, 3\)"),
        (lambda: bx.decode([[0, 0, 0, 0]], [[0, 0, 0, 0]]), r"anchors must have height and width > 0"),
        (lambda: bx.decode([[0, 0, 0, 0]], OK[:1], max_log_scale=0), r"max_log_scale must be a finite number > 0"),
        # YOLO
        (lambda: bx.yolo_assign([[0, 0, 2, 2], [440, 0, 460, 2]], 448), r"the centre of box 1 = .* is \(450, 1\), outside"),
        (lambda: bx.yolo_assign([-10, 0, -2, 2], 448), r"the centre of the box = .*outside the image"),
        (lambda: bx.yolo_assign(OK, (448, 0)), r"image_size \(width\) must be a positive integer"),
        (lambda: bx.yolo_assign(OK, 448, grid=0), r"grid must be a positive integer, got 0"),
        # RoI pooling
        (lambda: bx.roi_pool(np.zeros((4, 4)), OK, 2), r"feature_map must be a non-empty 3-D array \(H, W, C\)"),
        (lambda: bx.roi_pool(np.zeros((0, 4, 1)), OK, 2), r"feature_map must be a non-empty 3-D array"),
        (lambda: bx.roi_pool(np.full((2, 2, 1), "x"), OK, 2), r"feature_map must hold real numbers"),
        (lambda: bx.roi_pool(np.zeros((4, 4, 1)), [0, 0, 2, 2], 2), r"boxes must have shape \(N, 4\)"),
        (lambda: bx.roi_pool(np.zeros((4, 4, 1)), OK, (2, 0)), r"output_size \(width\) must be a positive integer"),
        (lambda: bx.roi_pool(np.zeros((4, 4, 1)), OK, 2, spatial_scale=0), r"spatial_scale \(1 / stride\) must be a finite number > 0"),
        # drawing
        (lambda: bx.draw_boxes(plt.figure().add_subplot(), OK, labels=["one"]), r"labels must have one text per box: 2 boxes but 1"),
    ],
)
def test_bad_input_says_what_was_wrong_and_what_was_expected(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    plt.close("all")


def test_docstring_examples_hold():
    import doctest

    results = doctest.testmod(bx)
    assert results.attempted >= 15 and results.failed == 0
