"""Evaluating classifiers: confusion matrices, the most confident mistakes, results tables (notebooks 05, 06);
the IoU of segmentation masks, class by class (notebook 15).

Pure NumPy, so the functions work with any backend's predictions:
``probs: (N, K)`` class probabilities, ``y: (N,)`` integer labels.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

from course_utils.checks import positive_int


def _labels(name: str, y, num_classes: int | None = None) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of integer labels, got shape {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class labels, got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"{name} has a negative label ({y.min()}); expected labels 0..K-1")
    if num_classes is not None and y.size and y.max() >= num_classes:
        raise ValueError(f"{name} has label {y.max()} but num_classes is {num_classes}")
    return y


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class ``i`` predicted as ``j``; shape (K, K) (notebooks 05 and 06)."""
    y_true = _labels("y_true", y_true, num_classes)
    y_pred = _labels("y_pred", y_pred, num_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}; expected the same")
    k = num_classes if num_classes is not None else int(max(y_true.max(initial=-1), y_pred.max(initial=-1)) + 1)
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def accuracy(y_true, y_pred) -> float:
    """Fraction of equal labels (notebook 05)."""
    y_true, y_pred = _labels("y_true", y_true), _labels("y_pred", y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"need two non-empty label arrays of equal length, got {y_true.shape} and {y_pred.shape}")
    return float(np.mean(y_true == y_pred))


def most_confident_errors(probs, y_true, k: int = 10) -> np.ndarray:
    """Indices of the ``k`` wrong predictions made with the highest probability, most confident first (notebook 05)."""
    probs = np.asarray(probs)
    if probs.ndim != 2:
        raise ValueError(f"probs must be (N, K) class probabilities, got shape {probs.shape}")
    y_true = _labels("y_true", y_true, probs.shape[1])
    if len(y_true) != len(probs):
        raise ValueError(f"probs has {len(probs)} rows but y_true has {len(y_true)} labels")
    positive_int("k", k)
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y_true)
    order = np.argsort(-probs[wrong, pred[wrong]], kind="stable")
    return wrong[order[:k]]


def mask_iou(true_masks, pred_masks, num_classes: int) -> np.ndarray:
    """Intersection over union of segmentation masks, one number per class (notebook 15).

    For class ``c``: ``IoU_c = |true == c and pred == c| / |true == c or pred == c|``, the pixels
    counted over the whole set at once (as ``keras.metrics.MeanIoU`` counts them), not averaged
    image by image. A class absent from both ``true_masks`` and ``pred_masks`` has no union:
    its IoU is NaN, so ``np.nanmean`` leaves it out of a mean.

    Shapes: ``true_masks``, ``pred_masks``: the same shape, e.g. ``(N, H, W)``, integer class ids
    in ``0 .. num_classes - 1`` -> ``(num_classes,)`` float64.

    >>> mask_iou([[0, 0, 1, 1]], [[0, 1, 1, 1]], num_classes=3).tolist()
    [0.5, 0.6666666666666666, nan]
    """
    k = positive_int("num_classes", num_classes)
    t, p = np.asarray(true_masks), np.asarray(pred_masks)
    if t.shape != p.shape:
        raise ValueError(f"true_masks and pred_masks must have the same shape, got {t.shape} and {p.shape}")
    t = _labels("true_masks", t.reshape(-1), k).astype(np.int64)  # uint8 masks: no overflow in t * k + p
    p = _labels("pred_masks", p.reshape(-1), k).astype(np.int64)
    counts = confusion_matrix(t, p, k)  # (k, k): true class by predicted class
    intersection = np.diag(counts).astype(np.float64)
    union = counts.sum(axis=0) + counts.sum(axis=1) - intersection
    return np.divide(intersection, union, out=np.full(k, np.nan), where=union > 0)


class ResultsTable:
    """A small table of experiment results that renders as Markdown text and as HTML in Jupyter (notebooks 05 and 06).

    >>> t = ResultsTable(["model", "test accuracy"])
    >>> t.add("baseline", 0.9123)
    >>> print(t)
    | model | test accuracy |
    |---|---|
    | baseline | 0.9123 |
    """

    def __init__(self, columns: Sequence[str], float_format: str = "{:.4f}"):
        if not columns:
            raise ValueError("a results table needs at least one column name")
        self.columns = list(columns)
        self.float_format = float_format
        self.rows: list[list] = []

    def add(self, *values, **named) -> None:
        """Add a row, by position (``add("a", 0.9)``) or by column name (``add(model="a")``)."""
        if values and named:
            raise ValueError("give a row's values either by position or by column name, not both")
        if named:
            unknown = set(named) - set(self.columns)
            if unknown:
                raise ValueError(f"unknown column(s) {sorted(unknown)}; the columns are {self.columns}")
            values = tuple(named.get(c, "") for c in self.columns)
        if len(values) != len(self.columns):
            raise ValueError(f"a row needs {len(self.columns)} values ({self.columns}), got {len(values)}")
        self.rows.append(list(values))

    @classmethod
    def from_records(cls, records: Sequence[Mapping], float_format: str = "{:.4f}") -> ResultsTable:
        if not records:
            raise ValueError("no records to tabulate")
        table = cls(list(records[0]), float_format)
        for record in records:
            table.add(**record)
        return table

    def _cell(self, value) -> str:
        if isinstance(value, float | np.floating):
            return self.float_format.format(value)
        return str(value)

    def column(self, name: str) -> list:
        if name not in self.columns:
            raise ValueError(f"no column {name!r}; the columns are {self.columns}")
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def best(self, by: str, higher_is_better: bool = True) -> list:
        """The row with the best value in column ``by``."""
        values = self.column(by)
        if not values:
            raise ValueError("the table has no rows")
        pick = int(np.argmax(values) if higher_is_better else np.argmin(values))
        return self.rows[pick]

    def to_markdown(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |", "|" + "---|" * len(self.columns)]
        lines += ["| " + " | ".join(self._cell(v) for v in row) + " |" for row in self.rows]
        return "\n".join(lines)

    __str__ = to_markdown

    def __repr__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(self._cell(v))}</td>" for v in row) + "</tr>" for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
