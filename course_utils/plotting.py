"""Figures: number grids, the sliding window animated, padding/stride grids (notebooks 01 and 02), learning
curves and confusion matrices (notebooks 05 and 06).

* :func:`show_grid` - a small matrix drawn with its numbers.
* :func:`animate_convolution` - the filter window sliding over the input while the output
  fills in; show it with ``IPython.display.HTML(anim.to_jshtml())`` (works in JupyterLab and
  Colab, and in a static HTML export).
* :func:`plot_padding_stride` - input, zero padding and output grids for one axis setting
  ``(H, F, P, S, D)``, marking which input cells the first and the last output see.
* :func:`show_images`, :func:`show_feature_maps` - grids of images / feature maps with titles.
* :func:`as_jpeg` - a figure of photos as a JPEG image to display: a fraction of the PNG's size in a
  stored notebook (notebook 13, deck 05).
* :func:`output_size_explorer` - ipywidgets sliders for H, F, P, S, D around
  :func:`plot_padding_stride`.
* :func:`plot_history` - learning curves from ``model.fit``'s History (Part II).
* :func:`plot_confusion_matrix` - a confusion matrix with counts (Part II).

Every function returns the matplotlib object it made (Figure, Axes or FuncAnimation), so tests
can inspect it; figures are not shown here (the notebook's inline backend does that).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.patches import Patch, Rectangle

from course_utils import arithmetic
from course_utils.checks import non_negative_int, positive_int

__all__ = [
    "animate_convolution",
    "as_jpeg",
    "plot_confusion_matrix",
    "plot_history",
    "output_size_explorer",
    "plot_padding_stride",
    "show_feature_maps",
    "show_grid",
    "show_images",
]

PADDING_COLOR = "#d9d9d9"
FIRST_COLOR = "tab:orange"
LAST_COLOR = "tab:purple"


def _as_2d(name: str, array) -> np.ndarray:
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (H, W), got shape {a.shape}")
    return a


def _format(value, fmt: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return ""
    return fmt.format(value)


def show_grid(array, ax=None, *, title: str | None = None, fmt: str = "{:g}", cmap: str = "Blues",
              vmin=None, vmax=None, fontsize: int = 11):
    """Draw a small 2-D array ``(H, W)`` as coloured cells with its numbers; returns the Axes (notebooks 01 and 02).

    NaN cells are left blank (used by the animation for outputs not computed yet).
    """
    a = _as_2d("array", array).astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * a.shape[1] + 0.6, 0.45 * a.shape[0] + 0.6))
    finite = a[np.isfinite(a)]
    lo = vmin if vmin is not None else (finite.min() if finite.size else 0.0)
    hi = vmax if vmax is not None else (finite.max() if finite.size else 1.0)
    ax.imshow(np.ma.masked_invalid(a), cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1)
    mid = (lo + hi) / 2
    for (r, c), v in np.ndenumerate(a):
        color = "white" if np.isfinite(v) and v > mid and hi > lo else "black"
        ax.text(c, r, _format(v, fmt), ha="center", va="center", fontsize=fontsize, color=color)
    ax.set_xticks(np.arange(-0.5, a.shape[1], 1), minor=True)
    ax.set_yticks(np.arange(-0.5, a.shape[0], 1), minor=True)
    ax.grid(which="minor", color="gray", linewidth=0.8)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    ax.set_xlim(-0.5, a.shape[1] - 0.5)
    ax.set_ylim(a.shape[0] - 0.5, -0.5)
    if title:
        ax.set_title(title, fontsize=fontsize)
    return ax


def animate_convolution(image, kernel, *, stride: int = 1, padding: int = 0, interval: int = 900,
                        figsize=(7.5, 2.6), dpi: int = 72) -> FuncAnimation:
    """Animate a 2-D cross-correlation: one frame per output cell (notebook 01).

    ``image: (H, W)`` and ``kernel: (FH, FW)`` (small, e.g. 4x4 to 6x6 and 3x3, so the
    animation has few frames); ``padding`` zeros on every side. The figure is closed before
    it is returned, so a notebook shows only the animation:
    ``IPython.display.HTML(anim.to_jshtml())``.
    """
    x = _as_2d("image", image).astype(float)
    k = _as_2d("kernel", kernel).astype(float)
    pad = non_negative_int("padding", padding)
    s = positive_int("stride", stride)
    oh, ow = arithmetic.conv_output_shape(x.shape, k.shape, s, pad)
    xp = np.pad(x, pad)
    out = np.full((oh, ow), np.nan)
    values = np.array([[np.sum(xp[i * s:i * s + k.shape[0], j * s:j * s + k.shape[1]] * k)
                        for j in range(ow)] for i in range(oh)])

    fig, (ax_in, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=figsize, dpi=dpi, gridspec_kw={"width_ratios": [xp.shape[1], k.shape[1], ow]}
    )
    show_grid(xp, ax_in, title="input" + (f" (padding {pad})" if pad else ""), cmap="Greys",
              vmin=0, vmax=3 * max(abs(xp).max(), 1))
    if pad:
        for (r, c), _ in np.ndenumerate(xp):
            if not (pad <= r < pad + x.shape[0] and pad <= c < pad + x.shape[1]):
                ax_in.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, color=PADDING_COLOR, alpha=0.6))
    show_grid(k, ax_k, title="filter", cmap="Oranges", vmin=k.min(), vmax=3 * max(abs(k).max(), 1))
    window = Rectangle((-0.5, -0.5), k.shape[1], k.shape[0], fill=False, edgecolor=FIRST_COLOR, linewidth=3)
    ax_in.add_patch(window)
    vmin, vmax = float(values.min()), float(values.max())

    def draw(frame: int):
        i, j = divmod(frame, ow)
        window.set_xy((j * s - 0.5, i * s - 0.5))
        out[:] = np.where(np.arange(oh * ow).reshape(oh, ow) <= frame, values, np.nan)
        ax_out.clear()
        show_grid(out, ax_out, title="output", cmap="Blues", vmin=vmin, vmax=vmax + (vmax - vmin))
        ax_out.add_patch(
            Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=FIRST_COLOR, linewidth=3)
        )
        fig.suptitle(f"output[{i}, {j}] = sum(window * filter) = {values[i, j]:g}", fontsize=11)
        return (window,)

    draw(0)
    fig.tight_layout()
    anim = FuncAnimation(fig, draw, frames=oh * ow, interval=interval, blit=False, repeat=True)
    anim.values = values  # the output the animation fills in, for checks
    plt.close(fig)
    return anim


def plot_padding_stride(H: int = 5, F: int = 3, P=1, S: int = 1, D: int = 1, *, strict: bool = False):
    """Draw an ``H x H`` input with its zero padding and the ``OH x OH`` output (notebook 02).

    ``P`` is an integer, a ``(before, after)`` pair, ``"valid"`` or ``"same"`` (the same on
    both axes). The cells the first output ``(0, 0)`` sees are marked in orange, those of the
    last output in purple (with dilation ``D`` the taps have gaps); input cells no output ever
    sees are hatched. A legend under the grids names these marks (``fig.legends[0]``). When the
    setting is impossible, the figure shows the ``ValueError`` message of
    :func:`course_utils.arithmetic.output_size` instead. Returns the Figure.
    """
    try:
        before, after = arithmetic.padding_amounts(H, F, S, P, D)
        oh = arithmetic.output_size(H, F, S, P, D, strict=strict)
    except ValueError as err:
        fig, ax0 = plt.subplots(figsize=(7, 1.6))
        ax0.axis("off")
        ax0.text(0.0, 0.5, f"H={H}, F={F}, P={P}, S={S}, D={D}:\n{err}", wrap=True, fontsize=10,
                 va="center", color="tab:red")
        fig.error = str(err)
        return fig
    size = H + before + after
    fig, (ax_in, ax_out) = plt.subplots(
        1, 2, figsize=(7.5, 3.6), gridspec_kw={"width_ratios": [size, max(oh, 2)]}
    )
    f_eff = arithmetic.effective_filter_size(F, D)
    seen = np.zeros(size, dtype=bool)
    for i in range(oh):
        seen[[i * S + t * D for t in range(F)]] = True

    unseen = False
    for r in range(size):
        for c in range(size):
            pad = not (before <= r < before + H and before <= c < before + H)
            face = PADDING_COLOR if pad else "white"
            hatch = None if pad or (seen[r] and seen[c]) else "///"
            unseen = unseen or hatch is not None
            ax_in.add_patch(Rectangle((c, r), 1, 1, facecolor=face, edgecolor="gray", hatch=hatch))
            ax_in.text(c + 0.5, r + 0.5, "0" if pad else "", ha="center", va="center", fontsize=8, color="gray")
    for (i, j), color in (((0, 0), FIRST_COLOR), ((oh - 1, oh - 1), LAST_COLOR)):
        for tr in range(F):
            for tc in range(F):
                r, c = i * S + tr * D, j * S + tc * D
                ax_in.add_patch(Rectangle((c + 0.1, r + 0.1), 0.8, 0.8, facecolor=color, alpha=0.55))
        ax_out.add_patch(Rectangle((j, i), 1, 1, facecolor=color, alpha=0.55))
    for r in range(oh):
        for c in range(oh):
            ax_out.add_patch(Rectangle((c, r), 1, 1, fill=False, edgecolor="gray"))
    for a, n, title in ((ax_in, size, f"input {H}x{H} + padding {before}/{after}"),
                        (ax_out, oh, f"output {oh}x{oh}")):
        a.set_xlim(0, max(n, 2) if a is ax_out else n)
        a.set_ylim(max(n, 2) if a is ax_out else n, 0)
        a.set_aspect("equal")
        a.set_xticks([])
        a.set_yticks([])
        a.set_title(title, fontsize=10)
    fig.suptitle(
        f"O = floor((H + P_before + P_after - F_eff) / S) + 1 = floor(({H} + {before} + {after} - {f_eff}) / {S}) + 1"
        f" = {oh}", fontsize=10,
    )
    legend = [Patch(facecolor=PADDING_COLOR, edgecolor="gray", label="zero padding")] if before + after else []
    legend += [Patch(facecolor=FIRST_COLOR, alpha=0.55, label="first output and the inputs it sees"),
               Patch(facecolor=LAST_COLOR, alpha=0.55, label="last output and the inputs it sees")]
    if unseen:
        legend.append(Patch(facecolor="white", edgecolor="gray", hatch="///", label="input no output sees"))
    fig.legend(handles=legend, loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    fig.output_size = oh
    return fig


def show_images(images, titles=None, *, ncols: int = 4, cmap: str = "gray", size: float = 2.4,
                colorbar: bool = False, suptitle: str | None = None):
    """Grid of images ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` with optional titles; returns the Figure (notebooks 01 and 05)."""
    images = list(images)
    if not images:
        raise ValueError("images is empty; expected at least one (H, W) or (H, W, C) array")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles; expected one title per image")
    ncols = min(positive_int("ncols", ncols), len(images))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.axis("off")
        if k >= len(images):
            continue
        img = np.asarray(images[k])
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        if img.ndim not in (2, 3):
            raise ValueError(f"image {k} has shape {img.shape}; expected (H, W) or (H, W, C)")
        im = ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        if colorbar and img.ndim == 2:
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def as_jpeg(fig, *, dpi: int = 100, quality: int = 85):
    """The figure as an ``IPython.display.Image`` in JPEG, and the figure closed (notebook 13, deck 05).

    Photos stored as PNG take megabytes in a notebook; as a JPEG at ``quality`` (1-95, Pillow's scale)
    they take a tenth of that and look the same. Display the result (``display(as_jpeg(fig))``, or as
    a cell's last expression); the figure itself is closed so that the inline backend does not also
    show it as a PNG.
    """
    import io

    from IPython.display import Image
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise ValueError(f"expected a matplotlib Figure, got {type(fig).__name__}")
    dpi = positive_int("dpi", dpi)
    if isinstance(quality, bool) or not isinstance(quality, int | np.integer) or not 1 <= quality <= 95:
        raise ValueError(f"quality must be an integer from 1 to 95 (Pillow's JPEG scale), got {quality!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=dpi, bbox_inches="tight", pil_kwargs={"quality": int(quality)})
    plt.close(fig)
    return Image(buffer.getvalue(), format="jpeg")


def show_feature_maps(maps, titles=None, *, ncols: int = 4, cmap: str = "RdBu_r", **kwargs):
    """Show the channels of ``maps: (H, W, C)`` (or ``(1, H, W, C)``) side by side (notebook 01).

    A diverging colour map centred on zero shows the sign of each response (feature map,
    특성 맵: positive where the filter matches, negative where the opposite pattern is).
    """
    m = np.asarray(maps)
    if m.ndim == 4 and m.shape[0] == 1:
        m = m[0]
    if m.ndim == 2:
        m = m[..., np.newaxis]
    if m.ndim != 3:
        raise ValueError(f"maps must be (H, W, C) or (1, H, W, C), got shape {m.shape}")
    channels = [m[..., c] for c in range(m.shape[-1])]
    titles = titles if titles is not None else [f"map {c}" for c in range(len(channels))]
    fig = show_images(channels, titles, ncols=ncols, cmap=cmap, **kwargs)
    for ax, ch in zip(fig.axes, channels, strict=False):
        if ax.images:
            lim = float(np.abs(ch).max()) or 1.0
            ax.images[0].set_clim(-lim, lim)
    return fig


def output_size_explorer(H: int = 7, F: int = 3, P: int = 1, S: int = 2, D: int = 1):
    """Sliders for H, F, P, S, D that redraw :func:`plot_padding_stride` (needs ipywidgets) (notebook 02).

    Returns the widget box; display it as the last expression of a notebook cell. Without a
    browser (tests, static HTML) the sliders are not interactive; the notebook also calls
    :func:`plot_padding_stride` directly for a few fixed settings.
    """
    import ipywidgets as widgets
    from IPython.display import display

    sliders = {
        "H": widgets.IntSlider(value=H, min=1, max=16, description="H (input)"),
        "F": widgets.IntSlider(value=F, min=1, max=7, description="F (filter)"),
        "P": widgets.IntSlider(value=P, min=0, max=4, description="P (padding)"),
        "S": widgets.IntSlider(value=S, min=1, max=4, description="S (stride)"),
        "D": widgets.IntSlider(value=D, min=1, max=3, description="D (dilation)"),
    }
    strict = widgets.Checkbox(value=False, description="strict (integer formula)")

    def draw(H, F, P, S, D, strict):
        fig = plot_padding_stride(H, F, P, S, D, strict=strict)
        display(fig)
        plt.close(fig)

    out = widgets.interactive_output(draw, {**sliders, "strict": strict})
    return widgets.VBox([widgets.HBox([widgets.VBox(list(sliders.values())[:3]),
                                       widgets.VBox([*list(sliders.values())[3:], strict])]), out])


def plot_history(history, metrics=("loss", "accuracy"), *, title: str | None = None):
    """Learning curves: one panel per metric, training and validation (``val_``) curves (notebooks 05 and 06).

    ``history`` is a Keras ``History`` (what ``model.fit`` returns) or its ``.history`` dict,
    or a dict ``{label: History-or-dict}`` to compare several runs in the same panels.
    """
    def as_dict(h):
        h = getattr(h, "history", h)
        if not isinstance(h, dict):
            raise ValueError(f"expected a Keras History or a dict of lists, got {type(h).__name__}")
        return h

    runs = history if isinstance(history, dict) and all(
        hasattr(v, "history") or isinstance(v, dict) for v in history.values()) and history else {"": history}
    runs = {label: as_dict(h) for label, h in runs.items()}
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for label, h in runs.items():
        missing = [m for m in metrics if m not in h]
        if missing:
            raise ValueError(f"run {label or 'history'!r} has no {missing}; it has {sorted(h)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        for i, h in enumerate(runs.values()):
            epochs = np.arange(1, len(h[metric]) + 1)
            ax.plot(epochs, h[metric], color=f"C{i}")
            if f"val_{metric}" in h:
                ax.plot(epochs, h[f"val_{metric}"], color=f"C{i}", linestyle="--")
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.grid(alpha=0.3)
    # One legend for the whole figure, outside the panels, so that it never covers a curve:
    # a colour per run, then the two line styles.
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=f"C{i}", label=label) for i, label in enumerate(runs) if label]
    handles += [Line2D([], [], color="0.3", label="train"),
                Line2D([], [], color="0.3", linestyle="--", label="valid")]
    fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix, class_names=None, *, normalize: bool = False, title: str | None = None,
                          cmap: str = "Blues"):
    """Draw a (K, K) confusion matrix (rows: true class, columns: predicted) with its numbers (notebooks 05 and 06)."""
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise ValueError(f"a confusion matrix must be square (K, K), got shape {m.shape}")
    if class_names is not None and len(class_names) != m.shape[0]:
        raise ValueError(f"got {len(class_names)} class names for a {m.shape[0]}-class matrix")
    shown = m / np.maximum(m.sum(axis=1, keepdims=True), 1) if normalize else m
    k = m.shape[0]
    fig, ax = plt.subplots(figsize=(0.55 * k + 2.5, 0.55 * k + 2))
    ax.imshow(shown, cmap=cmap)
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = float(shown.max()) or 1.0
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(int(m[i, j]))
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if shown[i, j] > 0.6 * top else "black")
    ax.set_title(title or ("confusion matrix (row-normalised)" if normalize else "confusion matrix"))
    fig.tight_layout()
    return fig
