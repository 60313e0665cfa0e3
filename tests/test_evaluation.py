"""course_utils.evaluation and the Part II figures and input pipeline."""

import numpy as np
import pytest

from course_utils.data import make_dataset
from course_utils.evaluation import ResultsTable, accuracy, confusion_matrix, most_confident_errors
from course_utils.plotting import plot_confusion_matrix, plot_history


def test_confusion_matrix_counts_against_a_loop():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    expected = np.zeros((4, 4), int)
    for t, p in zip(y_true, y_pred, strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred, 4), expected)
    assert confusion_matrix(y_true, y_pred).shape == (4, 4)
    assert confusion_matrix([0, 1], [1, 1], num_classes=3).shape == (3, 3)
    assert accuracy(y_true, y_pred) == pytest.approx(np.trace(expected) / 200)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [0]), "y_true has 2 labels but y_pred has 1"),
        (([0, 5], [0, 1], 3), "y_true has label 5 but num_classes is 3"),
        (([0.5, 1.0], [0, 1]), "integer class labels"),
        (([[0, 1]], [0, 1]), "1-D array"),
        (([-1, 0], [0, 0]), "negative label"),
    ],
)
def test_confusion_matrix_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(*args)


def test_most_confident_errors():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95]])
    y = np.array([0, 0, 1, 1])  # wrong: row 1 (p=0.8) and row 2 (p=0.6)
    np.testing.assert_array_equal(most_confident_errors(probs, y, k=5), [1, 2])
    np.testing.assert_array_equal(most_confident_errors(probs, y, k=1), [1])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        most_confident_errors(probs, y, k=0)
    with pytest.raises(ValueError, match="probs has 4 rows but y_true has 3"):
        most_confident_errors(probs, y[:3])
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        most_confident_errors(probs[:, 0], y)


def test_results_table_renders_and_finds_the_best():
    table = ResultsTable(["model", "accuracy"])
    table.add("a", 0.91234)
    table.add(model="b", accuracy=0.95)
    assert table.to_markdown().splitlines() == ["| model | accuracy |", "|---|---|", "| a | 0.9123 |", "| b | 0.9500 |"]
    assert "<td>0.9500</td>" in table._repr_html_()
    assert repr(table) == str(table) == table.to_markdown()  # readable where only text/plain is shown
    assert table.best("accuracy") == ["b", 0.95]
    assert table.best("accuracy", higher_is_better=False)[0] == "a"
    assert ResultsTable.from_records([{"x": 1, "y": 2.0}]).rows == [[1, 2.0]]
    with pytest.raises(ValueError, match="a row needs 2 values"):
        table.add("c")
    with pytest.raises(ValueError, match="unknown column"):
        table.add(loss=1.0)
    with pytest.raises(ValueError, match="no column 'loss'"):
        table.column("loss")


def test_plot_history_single_and_compared_runs():
    h = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.4, 0.6, 0.7]}
    fig = plot_history(h)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines) == 2 and list(fig.axes[0].lines[1].get_ydata()) == h["val_loss"]
    fig = plot_history({"adam": h, "sgd": h}, metrics="loss")
    assert len(fig.axes[0].lines) == 4
    # the legend sits outside the panels (it must not cover curves): one entry per run, then the two styles
    assert all(ax.get_legend() is None for ax in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["adam", "sgd", "train", "valid"]
    assert legend.get_bbox_to_anchor().transformed(fig.transFigure.inverted()).x0 >= 1.0 - 1e-9
    with pytest.raises(ValueError, match="has no \\['mae'\\]"):
        plot_history(h, metrics=("mae",))


def test_plot_confusion_matrix():
    m = np.array([[5, 1], [2, 7]])
    fig = plot_confusion_matrix(m, ["cat", "dog"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["5", "1", "2", "7"]
    fig = plot_confusion_matrix(m, normalize=True)
    assert [t.get_text() for t in fig.axes[0].texts][:2] == ["0.83", "0.17"]
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 class names for a 2-class"):
        plot_confusion_matrix(m, ["a", "b", "c"])


def test_make_dataset_batches_shuffles_and_covers_everything():
    x = np.arange(10, dtype="float32")[:, None]
    y = np.arange(10)
    ds = make_dataset(x, y, batch_size=4, seed=1)
    batches = [(xb.numpy(), yb.numpy()) for xb, yb in ds]
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in batches]), seen)  # pairs kept
    plain = [yb.numpy().tolist() for _, yb in make_dataset(x, y, batch_size=5, shuffle=False)]
    assert plain == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    doubled = [xb.numpy()[:, 0].tolist() for xb, _ in make_dataset(x, y, 5, shuffle=False, augment=lambda b: b * 2)]
    assert doubled[0] == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        make_dataset(x, y, batch_size=0)
    with pytest.raises(ValueError, match="x has 10 items but y has 3"):
        make_dataset(x, y[:3])


def test_mask_iou_against_a_loop_and_absent_classes():
    from course_utils.evaluation import mask_iou

    rng = np.random.default_rng(3)
    true = rng.integers(0, 4, size=(6, 16, 16)).astype(np.uint8)  # uint8, as masks usually are
    pred = np.where(rng.random((6, 16, 16)) < 0.7, true, rng.integers(0, 4, size=(6, 16, 16))).astype(np.uint8)
    expected = [np.sum((true == c) & (pred == c)) / np.sum((true == c) | (pred == c)) for c in range(4)]
    np.testing.assert_allclose(mask_iou(true, pred, 5)[:4], expected)
    assert np.isnan(mask_iou(true, pred, 5)[4])  # class 4 is in neither mask
    np.testing.assert_array_equal(mask_iou(true, true, 4), np.ones(4))
    np.testing.assert_allclose(mask_iou([[0, 0, 1, 1]], [[0, 1, 1, 1]], 2), [1 / 2, 2 / 3])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([[0, 1]], [[0, 1, 1]], 2), "must have the same shape"),
        (([[0, 3]], [[0, 1]], 3), "true_masks has label 3 but num_classes is 3"),
        (([[0, 1]], [[0, -1]], 3), "pred_masks has a negative label"),
        (([[0.0, 1.0]], [[0, 1]], 3), "integer class labels"),
        (([[0, 1]], [[0, 1]], 0), "num_classes must be a positive integer"),
    ],
)
def test_mask_iou_bad_input(args, message):
    from course_utils.evaluation import mask_iou

    with pytest.raises(ValueError, match=message):
        mask_iou(*args)
