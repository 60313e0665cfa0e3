"""Boxes for object detection: IoU, non-maximum suppression, anchors, box encodings, YOLO's
grid and RoI pooling (notebook 15, "beyond classification").

Conventions, the same in every function:

* A box is ``(y1, x1, y2, x2)``: top, left, bottom, right, in tf.image's order (the order of
  ``tf.image.non_max_suppression`` and ``tf.image.draw_bounding_boxes``), with ``y1 <= y2`` and
  ``x1 <= x2``. Many boxes are an array of shape ``(N, 4)``, one box per row.
* Coordinates are continuous, in pixels unless a function says otherwise: pixel ``(r, c)``
  covers ``[r, r + 1) x [c, c + 1)``, so a box's height is ``y2 - y1``. (Older code, such as the
  Pascal VOC devkit and the original R-CNN code, counts pixels inclusively and adds 1.)
* The centre form of a box is ``(center_y, center_x, height, width)``
  (:func:`box_to_center`, :func:`center_to_box`).
* Malformed boxes raise ``ValueError`` saying which box and what was expected: a shape that is
  not ``(..., 4)``, NaN or inf, ``y2 < y1`` or ``x2 < x1``
  (:func:`course_utils.checks.box_array`).

The pieces, in the order notebook 15 tells the story of detection:

* R-CNN (Girshick et al. 2014) classifies each proposed region; SPPNet (He et al. 2014) and
  Fast R-CNN (Girshick 2015) run the CNN once and cut each region out of the feature map:
  :func:`roi_pool`.
* Faster R-CNN (Ren et al. 2015) learns the proposals too: its region proposal network (RPN)
  scores :func:`anchors`, fixed boxes at every feature-map position, and predicts how to move
  and resize them, :func:`encode` / :func:`decode`.
* YOLO (Redmon et al. 2016) predicts boxes in one pass from an S x S grid; the cell that
  contains a box's centre is responsible for it: :func:`yolo_assign`.
* Every detector measures overlap with :func:`iou` (and :func:`area`) and removes duplicate
  detections with :func:`non_max_suppression`, which returns what
  ``tf.image.non_max_suppression`` returns.
* :func:`draw_boxes` draws boxes over an image with matplotlib.

Pure NumPy; nothing here imports TensorFlow or Keras (matplotlib only inside :func:`draw_boxes`).
"""

from __future__ import annotations

import math
import numbers
from typing import NamedTuple

import numpy as np

from course_utils.checks import (
    box_array,
    fraction,
    int_pair,
    non_negative_int,
    positive_number,
    positive_numbers,
)

__all__ = [
    "YoloTarget",
    "anchors",
    "area",
    "box_to_center",
    "center_to_box",
    "decode",
    "draw_boxes",
    "encode",
    "iou",
    "non_max_suppression",
    "roi_pool",
    "yolo_assign",
]

# Faster R-CNN implementations clip the predicted log-scales t_h, t_w at log(1000 / 16) so that
# exp() cannot overflow on a wild prediction early in training.
DEFAULT_MAX_LOG_SCALE = math.log(1000.0 / 16.0)


# ---------------------------------------------------------------------------------------------
# Area, IoU, the two forms of a box
# ---------------------------------------------------------------------------------------------


def area(boxes) -> np.ndarray:
    """Areas ``(y2 - y1) * (x2 - x1)`` of boxes: (..., 4) -> (...) (notebook 15).

    >>> area([[0, 0, 2, 3], [1, 1, 1, 5]]).tolist()
    [6.0, 0.0]
    """
    b = box_array("boxes", boxes)
    return _area(b)


def _area(b: np.ndarray) -> np.ndarray:
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def iou(boxes_a, boxes_b):
    """Intersection over union of every box in ``boxes_a`` with every box in ``boxes_b`` (notebook 15).

    ``IoU = area(A and B) / area(A or B)``: 1 for the same box, 0 for boxes that do not overlap.
    Two boxes of zero area have no union; their IoU is defined as 0, as TensorFlow does.

    Shapes: ``boxes_a: (N, 4)``, ``boxes_b: (M, 4)`` -> ``(N, M)``. A single box of shape ``(4,)``
    drops its axis: ``(4,)`` with ``(M, 4)`` -> ``(M,)``, and two single boxes give a ``float``.
    Computed in the inputs' floating dtype (float64 for integers).

    >>> iou([0, 0, 2, 2], [1, 1, 3, 3])          # overlap 1, union 4 + 4 - 1
    0.14285714285714285
    >>> iou([[0, 0, 2, 2]], [[0, 0, 2, 2], [0, 0, 2, 1], [5, 5, 6, 6]]).tolist()
    [[1.0, 0.5, 0.0]]
    """
    a = box_array("boxes_a", boxes_a, ndims=(1, 2))
    b = box_array("boxes_b", boxes_b, ndims=(1, 2))
    out = _pairwise_iou(a.reshape(-1, 4), b.reshape(-1, 4))
    out = out.reshape(a.shape[:-1] + b.shape[:-1])
    return float(out) if out.ndim == 0 else out


def _pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of a: (N, 4) with b: (M, 4) -> (N, M), unchecked.

    The operations and their order are those of TensorFlow's NMS kernel (intersection area as
    height times width, union as ``(area_a + area_b) - intersection``), so in float32 the result
    is the same number TensorFlow compares with its threshold.
    """
    top = np.maximum(a[:, None, 0], b[None, :, 0])
    left = np.maximum(a[:, None, 1], b[None, :, 1])
    bottom = np.minimum(a[:, None, 2], b[None, :, 2])
    right = np.minimum(a[:, None, 3], b[None, :, 3])
    zero = np.zeros((), dtype=top.dtype)
    intersection = np.maximum(bottom - top, zero) * np.maximum(right - left, zero)
    union = _area(a)[:, None] + _area(b)[None, :] - intersection
    return np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)


def box_to_center(boxes) -> np.ndarray:
    """Corners ``(y1, x1, y2, x2)`` -> centre form ``(center_y, center_x, height, width)`` (notebook 15).

    Shapes: (..., 4) -> (..., 4).

    >>> box_to_center([0, 0, 4, 2]).tolist()
    [2.0, 1.0, 4.0, 2.0]
    """
    return _to_center(box_array("boxes", boxes))


def _to_center(b: np.ndarray) -> np.ndarray:
    h = b[..., 2] - b[..., 0]
    w = b[..., 3] - b[..., 1]
    return np.stack([b[..., 0] + 0.5 * h, b[..., 1] + 0.5 * w, h, w], axis=-1)


def center_to_box(centers) -> np.ndarray:
    """Centre form ``(center_y, center_x, height, width)`` -> corners ``(y1, x1, y2, x2)`` (notebook 15).

    Shapes: (..., 4) -> (..., 4).

    >>> center_to_box([2, 1, 4, 2]).tolist()
    [0.0, 0.0, 4.0, 2.0]
    """
    return _to_corners(box_array("centers", centers, form="center"))


def _to_corners(c: np.ndarray) -> np.ndarray:
    half_h, half_w = 0.5 * c[..., 2], 0.5 * c[..., 3]
    return np.stack([c[..., 0] - half_h, c[..., 1] - half_w, c[..., 0] + half_h, c[..., 1] + half_w], axis=-1)


# ---------------------------------------------------------------------------------------------
# Non-maximum suppression
# ---------------------------------------------------------------------------------------------


def non_max_suppression(
    boxes, scores, max_output_size: int, iou_threshold: float = 0.5, score_threshold: float = -math.inf
) -> np.ndarray:
    """Greedy non-maximum suppression (NMS): indices of the boxes kept, best score first (notebook 15).

    A detector finds the same object many times, in slightly shifted boxes. NMS keeps the box
    with the highest score, removes every box that overlaps it by more than ``iou_threshold``,
    and repeats with the best box left, until ``max_output_size`` boxes are kept or none is left.

    Shapes: ``boxes: (N, 4)`` as ``(y1, x1, y2, x2)``, ``scores: (N,)`` -> indices ``(K,)`` with
    ``K <= max_output_size``, in decreasing score order; ``boxes[indices]`` are the kept boxes.

    Returns exactly what ``tf.image.non_max_suppression(boxes, scores, max_output_size,
    iou_threshold, score_threshold)`` returns (TensorFlow's CPU kernel, read and tested):

    * only boxes whose score is strictly greater than ``score_threshold`` take part;
    * they are visited by decreasing score; equal scores go in index order (lower index first);
    * a box is suppressed when its IoU with a kept box is strictly greater than
      ``iou_threshold``: at ``iou_threshold=1`` even copies of a box are all kept, at 0 any
      overlap suppresses but boxes that only touch are kept;
    * IoU is computed in float32, as TensorFlow does (it casts the boxes to float), and the
      thresholds are rounded to float32 as ``tf.convert_to_tensor`` rounds them; scores are
      compared in their own dtype;
    * a box of zero area overlaps nothing, not even its own copy: it is never suppressed and
      suppresses nothing.

    One difference on purpose: TensorFlow silently sorts each box's corners (it accepts
    ``y1 > y2``); here that raises ``ValueError``, since swapped corners are usually a mix-up of
    ``(x, y)`` and ``(y, x)`` orders. NaN scores raise too (TensorFlow drops them).

    Cost: one vectorized IoU of the kept box against the boxes still in play per kept box, so
    O(N) work per kept box and never an (N, N) matrix.

    >>> boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]]
    >>> non_max_suppression(boxes, [0.9, 0.8, 0.7], max_output_size=10).tolist()
    [0, 2]
    """
    b = box_array("boxes", boxes, ndims=(2,))
    s = np.asarray(scores)
    if s.dtype == bool or not (np.issubdtype(s.dtype, np.integer) or np.issubdtype(s.dtype, np.floating)):
        raise ValueError(f"scores must hold real numbers, got dtype {s.dtype}")
    if s.shape != (len(b),):
        raise ValueError(
            f"scores must have shape (N,) = ({len(b)},), one score per box (boxes has shape {b.shape}); "
            f"got shape {s.shape}"
        )
    if not np.issubdtype(s.dtype, np.floating):
        s = s.astype(np.float64)
    if np.isnan(s).any():
        raise ValueError(f"scores must not be NaN: score {int(np.flatnonzero(np.isnan(s))[0])} is NaN")
    max_output_size = non_negative_int("max_output_size", max_output_size)
    iou_threshold = fraction("iou_threshold", iou_threshold, include_high=True)
    score_threshold = fraction("score_threshold", score_threshold, low=-math.inf, high=math.inf, include_high=True)

    boxes32 = b.astype(np.float32)  # TensorFlow's arithmetic: IoU in float32, float32 thresholds
    iou_limit = np.float32(iou_threshold)
    order = np.argsort(-s, kind="stable")  # best score first; a stable sort keeps ties in index order
    candidates = order[s[order] > np.float32(score_threshold)]
    kept: list[int] = []
    while candidates.size and len(kept) < max_output_size:
        best, rest = candidates[0], candidates[1:]
        kept.append(int(best))
        overlap = _pairwise_iou(boxes32[best][None, :], boxes32[rest])[0]
        candidates = rest[~(overlap > iou_limit)]  # suppress IoU > threshold; keep the rest in order
    return np.array(kept, dtype=np.intp)


# ---------------------------------------------------------------------------------------------
# Faster R-CNN: anchors and box deltas
# ---------------------------------------------------------------------------------------------


def anchors(feature_shape, stride, scales=(128, 256, 512), ratios=(0.5, 1.0, 2.0)) -> np.ndarray:
    """The anchor boxes of Faster R-CNN's region proposal network, in image pixels (notebook 15).

    At every position ``(i, j)`` of a feature map of shape ``feature_shape = (H, W)`` the RPN
    looks at ``len(scales) * len(ratios)`` fixed boxes (Ren et al. 2015 use 3 scales x 3 ratios
    = 9), all centred on the image point under that position: ``((i + 0.5) * stride_y,
    (j + 0.5) * stride_x)``, the centre of the ``stride x stride`` patch of pixels that the
    position covers. An anchor of scale ``s`` and ratio ``r`` has area ``s**2`` and
    ``height / width = r``: ``height = s * sqrt(r)``, ``width = s / sqrt(r)``. Anchors are not
    clipped to the image (the paper ignores the ones that cross its border when training).

    ``stride``: pixels per feature-map step, an integer or ``(stride_y, stride_x)`` (16 for
    VGG-16's conv5_3, the paper's setting).

    Returns ``(H * W * len(scales) * len(ratios), 4)`` boxes ``(y1, x1, y2, x2)``, in the order
    of an array of shape ``(H, W, len(scales), len(ratios), 4)`` read row-major: position by
    position (rows, then columns), then scales, then ratios. Row
    ``((i * W + j) * len(scales) + si) * len(ratios) + ri`` is scale ``si``, ratio ``ri`` at ``(i, j)``;
    this is the order in which a 1x1 convolution head with ``k = len(scales) * len(ratios)``
    anchors per position lays out its ``(H, W, 4k)`` output.

    >>> a = anchors((2, 3), stride=16)
    >>> a.shape
    (54, 4)
    >>> a[4].tolist()                      # position (0, 0), scale 256, ratio 1: centred at (8, 8)
    [-120.0, -120.0, 136.0, 136.0]
    """
    height, width = int_pair("feature_shape", feature_shape)
    stride_y, stride_x = int_pair("stride", stride)
    sides = np.array(positive_numbers("scales", scales))
    shape_ratios = np.array(positive_numbers("ratios (height / width)", ratios))
    # one (height, width) per (scale, ratio), scales outer: (S * R,)
    anchor_h = (sides[:, None] * np.sqrt(shape_ratios)[None, :]).ravel()
    anchor_w = (sides[:, None] / np.sqrt(shape_ratios)[None, :]).ravel()
    # centres of the feature-map positions in image pixels: (H, W)
    cy, cx = np.meshgrid((np.arange(height) + 0.5) * stride_y, (np.arange(width) + 0.5) * stride_x, indexing="ij")
    cy, cx = cy[:, :, None], cx[:, :, None]  # (H, W, 1) against (S * R,) -> (H, W, S * R)
    corners = np.stack(
        np.broadcast_arrays(cy - anchor_h / 2, cx - anchor_w / 2, cy + anchor_h / 2, cx + anchor_w / 2), axis=-1
    )
    return corners.reshape(-1, 4)


def _scale_factors(scale_factors) -> np.ndarray:
    if scale_factors is None:
        return np.ones(4)
    return np.array(positive_numbers("scale_factors (for t_y, t_x, t_h, t_w)", scale_factors, length=4))


def _broadcast(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape (N, 4), or shapes that broadcast; "
            f"got {a.shape} and {b.shape}"
        ) from None


def encode(boxes, anchors, scale_factors=None) -> np.ndarray:
    """Faster R-CNN's box regression targets: how to move and resize each anchor onto its box (notebook 15).

    With both boxes in centre form, ``(y, x, h, w)`` for the box and ``(y_a, x_a, h_a, w_a)``
    for its anchor (Ren et al. 2015, eq. 2; the same as R-CNN's, Girshick et al. 2014)::

        t_y = (y - y_a) / h_a      t_x = (x - x_a) / w_a      (shift, in anchor sizes)
        t_h = log(h / h_a)         t_w = log(w / w_a)         (scale, as a log ratio)

    Shifts are measured in anchor sizes and scales as logs, so big and small boxes give targets
    of the same size, and ``decode(encode(b, a), a) == b``.

    ``scale_factors``: optional ``(f_y, f_x, f_h, f_w)`` multiplying the targets, as many
    implementations do to bring them to unit variance: the TensorFlow Object Detection API's
    Faster R-CNN coder uses ``(10, 10, 5, 5)``; SSD's "variances" ``(0.1, 0.1, 0.2, 0.2)`` divide
    instead, the same as factors ``(10, 10, 5, 5)``. ``None``: the paper's plain targets.

    Shapes: ``boxes: (N, 4)``, ``anchors: (N, 4)``, both ``(y1, x1, y2, x2)`` (or any shapes that
    broadcast, e.g. one anchor for all boxes) -> ``(N, 4)`` deltas ``(t_y, t_x, t_h, t_w)``.
    Boxes and anchors need height and width > 0.

    >>> encode([[10, 20, 30, 60]], [[0, 0, 20, 20]]).round(4).tolist()   # centre (20, 40) vs (10, 10)
    [[0.5, 1.5, 0.0, 0.6931]]
    """
    b = box_array("boxes", boxes, positive=True)  # log(h / h_a) needs h > 0 and h_a > 0
    a = box_array("anchors", anchors, positive=True)
    _broadcast("boxes", b, "anchors", a)
    factors = _scale_factors(scale_factors)
    y, x, h, w = np.moveaxis(_to_center(b), -1, 0)
    ya, xa, ha, wa = np.moveaxis(_to_center(a), -1, 0)
    deltas = np.stack([(y - ya) / ha, (x - xa) / wa, np.log(h / ha), np.log(w / wa)], axis=-1)
    return deltas * factors


def decode(deltas, anchors, scale_factors=None, max_log_scale: float | None = DEFAULT_MAX_LOG_SCALE) -> np.ndarray:
    """Boxes from predicted deltas and their anchors: the inverse of :func:`encode` (notebook 15).

    ``y = y_a + t_y * h_a``, ``x = x_a + t_x * w_a``, ``h = h_a * exp(t_h)``, ``w = w_a * exp(t_w)``
    (centre form), after dividing the deltas by ``scale_factors`` if given (use the same factors
    as :func:`encode`). ``max_log_scale`` clips ``t_h`` and ``t_w`` from above before ``exp`` so
    that a wild prediction cannot overflow; the default ``log(1000 / 16)`` is the clip of common
    Faster R-CNN implementations (a box at most 62.5 times its anchor's size); ``None`` turns it off.

    Shapes: ``deltas: (N, 4)`` as ``(t_y, t_x, t_h, t_w)``, ``anchors: (N, 4)`` as
    ``(y1, x1, y2, x2)`` (or shapes that broadcast) -> ``(N, 4)`` boxes ``(y1, x1, y2, x2)``.

    >>> decode([[0.5, 1.5, 0.0, math.log(2)]], [[0, 0, 20, 20]]).round(6).tolist()
    [[10.0, 20.0, 30.0, 60.0]]
    """
    d = box_array("deltas", deltas, form="any")
    a = box_array("anchors", anchors, positive=True)
    _broadcast("deltas", d, "anchors", a)
    if max_log_scale is not None:
        max_log_scale = positive_number("max_log_scale", max_log_scale)
    t = d / _scale_factors(scale_factors)
    ty, tx, th, tw = np.moveaxis(t, -1, 0)
    if max_log_scale is not None:
        th, tw = np.minimum(th, max_log_scale), np.minimum(tw, max_log_scale)
    ya, xa, ha, wa = np.moveaxis(_to_center(a), -1, 0)
    centers = np.stack([ya + ty * ha, xa + tx * wa, ha * np.exp(th), wa * np.exp(tw)], axis=-1)
    return _to_corners(centers)


# ---------------------------------------------------------------------------------------------
# YOLO: which grid cell is responsible for a box
# ---------------------------------------------------------------------------------------------


class YoloTarget(NamedTuple):
    """Where YOLO puts each box on its grid (:func:`yolo_assign`); every field has the boxes' leading shape."""

    row: np.ndarray  # grid row of the cell that contains the box's centre (int)
    col: np.ndarray  # grid column of that cell (int)
    y: np.ndarray  # centre's offset inside the cell, in cell heights, 0 <= y <= 1
    x: np.ndarray  # centre's offset inside the cell, in cell widths, 0 <= x <= 1
    h: np.ndarray  # box height / image height
    w: np.ndarray  # box width / image width


def yolo_assign(boxes, image_size, grid=7) -> YoloTarget:
    """The grid cell responsible for each box in YOLO v1, and the box in that cell's terms (notebook 15).

    YOLO (Redmon et al. 2016) divides the image into an ``S x S`` grid (S = 7 in the paper);
    "if the center of an object falls into a grid cell, that grid cell is responsible for
    detecting that object". The cell predicts the centre as an offset ``(y, x)`` inside itself,
    in cell units, and the size ``(h, w)`` as fractions of the whole image.

    ``image_size``: ``(height, width)`` in pixels; ``grid``: ``S`` or ``(S_rows, S_cols)``.
    A centre exactly on the line between two cells belongs to the lower / right cell, at offset
    0; a centre on the image's bottom or right edge belongs to the last row / column, at offset 1.
    A centre outside the image raises ``ValueError`` (no cell can be responsible for it).

    Shapes: ``boxes: (N, 4)`` as ``(y1, x1, y2, x2)`` in pixels (or ``(4,)`` for one box) ->
    a :class:`YoloTarget` of arrays of shape ``(N,)`` (``()`` for one box).

    >>> t = yolo_assign([[100, 200, 300, 260]], image_size=(448, 448), grid=7)  # 64-pixel cells
    >>> t.row.tolist(), t.col.tolist(), t.y.tolist(), t.x.tolist()              # centre (200, 230)
    ([3], [3], [0.125], [0.59375])
    """
    b = box_array("boxes", boxes, ndims=(1, 2))
    image_h, image_w = int_pair("image_size", image_size)
    rows, cols = int_pair("grid", grid)
    center_y = (b[..., 0] + b[..., 2]) / 2
    center_x = (b[..., 1] + b[..., 3]) / 2
    outside = (center_y < 0) | (center_y > image_h) | (center_x < 0) | (center_x > image_w)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        which = "the box" if b.ndim == 1 else f"box {i}"
        raise ValueError(
            f"the centre of {which} = {b.reshape(-1, 4)[i].tolist()} is "
            f"({center_y.ravel()[i]:g}, {center_x.ravel()[i]:g}), outside the image of size "
            f"(height, width) = ({image_h}, {image_w}); expected 0 <= center_y <= height and 0 <= center_x <= width"
        )
    # the centre in cell units; multiply first, so a centre on a cell line gives an exact integer
    grid_y = center_y * rows / image_h
    grid_x = center_x * cols / image_w
    row = np.minimum(np.floor(grid_y), rows - 1).astype(int)
    col = np.minimum(np.floor(grid_x), cols - 1).astype(int)
    return YoloTarget(
        row=row,
        col=col,
        y=grid_y - row,
        x=grid_x - col,
        h=(b[..., 2] - b[..., 0]) / image_h,
        w=(b[..., 3] - b[..., 1]) / image_w,
    )


# ---------------------------------------------------------------------------------------------
# Fast R-CNN: RoI pooling
# ---------------------------------------------------------------------------------------------


def _bin_edges(start: int, end: int, bins: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Fast R-CNN's bins along one axis: [lo, hi) for each of ``bins`` bins of a RoI [start, end)."""
    length = max(end - start, 1)  # a RoI thinner than one cell still covers one cell
    i = np.arange(bins)
    lo = start + (i * length) // bins  # floor(i * length / bins)
    hi = start - (-(i + 1) * length // bins)  # ceil((i + 1) * length / bins)
    return np.clip(lo, 0, size), np.clip(hi, 0, size)


def roi_pool(feature_map, boxes, output_size=(7, 7), spatial_scale: float = 1.0) -> np.ndarray:
    """Fast R-CNN's RoI max pooling: a fixed-size grid of maxima from each region of a feature map (notebook 15).

    The CNN runs once on the whole image; each region of interest (RoI), whatever its size, is
    then cut out of the feature map and max-pooled into ``output_size = (PH, PW)`` bins, so the
    fully connected layers that follow always get the same shape (Girshick 2015; SPPNet's
    spatial pyramid pooling, He et al. 2014, with a single level). Two roundings happen, as in
    Fast R-CNN:

    1. the RoI is mapped to the feature map, ``box * spatial_scale``, and its edges are rounded
       to the nearest cell edge (halves round up); a RoI thinner than one cell keeps one cell;
    2. the RoI's ``h x w`` cells are split into bins: bin ``i`` covers rows
       ``floor(i * h / PH)`` to ``ceil((i + 1) * h / PH)`` (end excluded) of the RoI, and the
       same for columns, so neighbouring bins may share a row or column.

    Each output is the maximum over its bin, per channel. Bins are clipped to the feature map;
    a bin that falls entirely outside it gives 0 (as Fast R-CNN's layer does). RoIAlign
    (He et al. 2017, Mask R-CNN) removes both roundings by sampling with bilinear interpolation.

    ``boxes`` are ``(y1, x1, y2, x2)`` in image pixels with ``spatial_scale = 1 / stride``
    (1/16 for VGG-16's conv5_3), or directly in feature-map cells with the default
    ``spatial_scale = 1``. (Fast R-CNN's Caffe layer counts the end pixel inclusively; with the
    edge coordinates used here, a RoI covers cells ``round(y1 * s)`` up to ``round(y2 * s)``, end
    excluded.)

    Shapes: ``feature_map: (H, W, C)``, ``boxes: (K, 4)`` -> ``(K, PH, PW, C)``, in the feature
    map's dtype.

    >>> fm = np.arange(16.0).reshape(4, 4, 1)
    >>> roi_pool(fm, [[0, 0, 4, 4]], output_size=2)[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """
    f = np.asarray(feature_map)
    if f.ndim != 3 or min(f.shape) < 1:
        raise ValueError(f"feature_map must be a non-empty 3-D array (H, W, C), got shape {f.shape}")
    if not (np.issubdtype(f.dtype, np.integer) or np.issubdtype(f.dtype, np.floating)):
        raise ValueError(f"feature_map must hold real numbers, got dtype {f.dtype}")
    b = box_array("boxes", boxes, ndims=(2,))
    out_h, out_w = int_pair("output_size", output_size)
    spatial_scale = positive_number("spatial_scale (1 / stride)", spatial_scale)
    height, width, channels = f.shape

    # rounding 1: RoI edges to the nearest cell edge (floor(v + 0.5): halves round up)
    cells = np.floor(b * spatial_scale + 0.5).astype(np.int64)  # (K, 4) as (y1, x1, y2, x2)
    pooled = np.zeros((len(b), out_h, out_w, channels), dtype=f.dtype)
    for k, (y1, x1, y2, x2) in enumerate(cells):
        # rounding 2: floor / ceil bin edges
        row_lo, row_hi = _bin_edges(int(y1), int(y2), out_h, height)
        col_lo, col_hi = _bin_edges(int(x1), int(x2), out_w, width)
        for i in range(out_h):
            if row_hi[i] <= row_lo[i]:
                continue  # bin outside the map: stays 0
            band = f[row_lo[i] : row_hi[i]].max(axis=0)  # (W, C): the max down this bin's rows ...
            for j in range(out_w):
                if col_hi[j] > col_lo[j]:
                    pooled[k, i, j] = band[col_lo[j] : col_hi[j]].max(axis=0)  # ... then across its columns
    return pooled


# ---------------------------------------------------------------------------------------------
# Drawing
# ---------------------------------------------------------------------------------------------


def draw_boxes(ax, boxes, labels=None, *, color="tab:red", linewidth: float = 2.0, on_image: bool = True):
    """Draw boxes ``(y1, x1, y2, x2)`` as rectangles on a matplotlib axes, with optional labels (notebook 15).

    ``on_image=True`` is for an axes showing an image with ``ax.imshow``, which puts pixel
    ``(r, c)``'s centre at ``(c, r)``: the rectangles are shifted by half a pixel so that their
    edges lie on the pixel edges that the box coordinates name. ``labels``: one text per box
    (e.g. ``"cat 0.93"``), or ``None``.

    Shapes: ``boxes: (N, 4)`` or ``(4,)``. Returns the list of ``matplotlib.patches.Rectangle``
    added, one per box.
    """
    from matplotlib.patches import Rectangle

    b = box_array("boxes", boxes, ndims=(1, 2)).reshape(-1, 4)
    if labels is not None:
        labels = [labels] if isinstance(labels, str | numbers.Number) else list(labels)
        if len(labels) != len(b):
            raise ValueError(f"labels must have one text per box: {len(b)} boxes but {len(labels)} labels")
    shift = -0.5 if on_image else 0.0
    patches = []
    for n, (y1, x1, y2, x2) in enumerate(b):
        patch = Rectangle(
            (x1 + shift, y1 + shift), x2 - x1, y2 - y1, fill=False, edgecolor=color, linewidth=linewidth
        )
        ax.add_patch(patch)
        patches.append(patch)
        if labels is not None:
            ax.text(
                x1 + shift, y1 + shift, str(labels[n]), color="white", fontsize=8, va="bottom",
                bbox={"facecolor": color, "edgecolor": "none", "pad": 1.0, "alpha": 0.8},
            )
    return patches
