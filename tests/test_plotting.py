"""Light checks of course_utils.plotting: what each figure contains (Agg backend, no display)."""

import gc
import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import plotting as pl

pytestmark = pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")

X = np.array([[0, 1, 7, 5], [5, 5, 6, 6], [5, 3, 3, 0], [1, 1, 1, 2]])
K = np.array([[1, 0, 0], [1, 2, 1], [1, 2, 3]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_show_grid_writes_every_number():
    ax = pl.show_grid(X, title="input")
    assert _texts(ax) == [str(v) for v in X.ravel()]
    assert ax.get_title() == "input"


def test_show_grid_leaves_nan_blank_and_rejects_3d():
    ax = pl.show_grid(np.array([[1.0, np.nan]]))
    assert _texts(ax) == ["1", ""]
    with pytest.raises(ValueError, match="non-empty 2-D array"):
        pl.show_grid(np.zeros((2, 2, 3)))


def test_animation_has_one_frame_per_output_and_fills_in():
    anim = pl.animate_convolution(X, K, padding=1)
    assert anim._save_count == 16  # a 4x4 output with padding 1
    np.testing.assert_array_equal(
        anim.values, [[26, 42, 55, 35], [34, 41, 33, 28], [18, 25, 23, 14], [3, 9, 8, 8]]
    )
    fig = anim._fig
    assert not plt.fignum_exists(fig.number)  # closed: no duplicate static image
    anim._func(5)
    out_ax = fig.axes[2]
    assert _texts(out_ax)[:6] == ["26", "42", "55", "35", "34", "41"]
    assert _texts(out_ax)[6:] == [""] * 10
    assert "output[1, 1]" in fig._suptitle.get_text() and "= 41" in fig._suptitle.get_text()
    anim._func(0)  # restarting empties the output again
    assert _texts(fig.axes[2])[1:] == [""] * 15
    # This test inspects frames without rendering the animation, which matplotlib warns about when
    # the object is deleted; delete it here, where that is expected, not during a later test.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Animation was deleted without rendering", UserWarning)
        del anim, fig, out_ax
        gc.collect()


def test_animation_to_jshtml_is_small():
    html = pl.animate_convolution(X, K).to_jshtml()
    assert html.count("data:image/png;base64") == 4  # 2x2 output: four frames
    assert len(html) < 200_000


def test_plot_padding_stride_output_size_and_marks():
    fig = pl.plot_padding_stride(7, 3, 1, 2)
    assert fig.output_size == 4
    assert len(fig.axes) == 2
    assert "output 4x4" == fig.axes[1].get_title()
    assert _texts(fig.axes[0]).count("0") == 9 * 9 - 7 * 7  # the padding cells
    assert pl.plot_padding_stride(13, 6, "same", 5).output_size == 3


def _legend(fig):
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_plot_padding_stride_legend_explains_the_marks():
    # (6 - 3) / 2 + 1 = 2.5: the last row and column are never seen, so they are hatched
    fig = pl.plot_padding_stride(6, 3, 0, 2)
    assert _legend(fig) == ["first output and the inputs it sees", "last output and the inputs it sees",
                            "input no output sees"]
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 6 * 6 - 5 * 5
    assert fig.legends[0].legend_handles[-1].get_hatch() == "///"
    # padding, and dilation 2 leaves gaps between the taps that no output sees
    assert _legend(pl.plot_padding_stride(5, 3, 1, 2, 2))[0] == "zero padding"
    assert "input no output sees" in _legend(pl.plot_padding_stride(5, 3, 1, 2, 2))
    # every input seen, no padding: only the two outputs' colours
    assert _legend(pl.plot_padding_stride(5, 3, 0, 1)) == ["first output and the inputs it sees",
                                                           "last output and the inputs it sees"]


def test_plot_padding_stride_shows_the_error_text():
    fig = pl.plot_padding_stride(3, 5, 0, 1)
    assert "more than the padded input" in fig.error
    assert "more than the padded input" in fig.axes[0].texts[0].get_text()
    assert "is not an integer" in pl.plot_padding_stride(6, 3, 0, 2, strict=True).error


def test_show_images_and_feature_maps():
    fig = pl.show_images([X, K, X], ["a", "b", "c"], ncols=2)
    assert len(fig.axes) == 4  # 2x2 grid, the last one empty
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c", ""]
    maps = np.random.default_rng(0).normal(size=(1, 6, 6, 3))
    fig = pl.show_feature_maps(maps, ["v", "h", "s"])
    assert [ax.get_title() for ax in fig.axes] == ["v", "h", "s"]
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == -hi == -np.abs(maps[0, ..., 0]).max()
    with pytest.raises(ValueError, match="one title per image"):
        pl.show_images([X], ["a", "b"])
    with pytest.raises(ValueError, match=r"\(H, W, C\) or \(1, H, W, C\)"):
        pl.show_feature_maps(np.zeros((2, 3, 3, 3)))


def test_as_jpeg_is_a_small_jpeg_and_closes_the_figure():
    photo = np.random.default_rng(0).uniform(size=(120, 160, 3))  # noise: the worst case for PNG and JPEG alike
    fig = pl.show_images([photo] * 4, ncols=2, size=3)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100, bbox_inches="tight")
    image = pl.as_jpeg(fig)
    assert image.format == "jpeg" and image.data[:3] == b"\xff\xd8\xff"  # the JPEG signature
    assert len(image.data) < len(png.getvalue()) / 2
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend will not add a PNG
    small = pl.as_jpeg(pl.show_images([photo]), quality=20)
    assert len(small.data) < len(pl.as_jpeg(pl.show_images([photo]), quality=90).data)
    for bad, match in (({"quality": 0}, "quality must be an integer from 1 to 95"),
                       ({"quality": 96}, "from 1 to 95"), ({"quality": 50.0}, "got 50.0"),
                       ({"dpi": 0}, "dpi must be a positive integer")):
        with pytest.raises(ValueError, match=match):
            pl.as_jpeg(plt.figure(), **bad)
    with pytest.raises(ValueError, match="expected a matplotlib Figure, got ndarray"):
        pl.as_jpeg(photo)


def test_output_size_explorer_builds_without_a_browser():
    box = pl.output_size_explorer(H=5, F=3, P=0, S=2)
    sliders = [w for row in box.children[0].children for w in row.children]
    assert [w.description.split()[0] for w in sliders] == ["H", "F", "P", "S", "D", "strict"]
    sliders[0].value = 9  # moving a slider redraws without raising
