"""A self-contained HTML report: headline table, provenance, training curves, IoU, overlays, SVM, sizes."""

from __future__ import annotations

import base64
import html
import io

import cv2
import matplotlib
import numpy as np
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from herbarium_leaves.metrics import intact_calls  # noqa: E402
from herbarium_leaves.resize import resize_image, resize_labels  # noqa: E402

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:.9em;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}th{background:#f3f1ea}
td:first-child,th:first-child{text-align:left}img{max-width:100%}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:.8em}figure{margin:1em 0}
figcaption{font-size:.9em;color:#555}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:.6em}
.gallery figure{margin:0}.gallery figure.pair{grid-column:span 2}details{margin:1em 0}summary{cursor:pointer;color:#444}
"""


def image_uri(figure_or_array) -> str:
    """A data URI (PNG) of a matplotlib figure or an RGB uint8 array."""
    if isinstance(figure_or_array, np.ndarray):
        ok, encoded = cv2.imencode(".png", cv2.cvtColor(figure_or_array, cv2.COLOR_RGB2BGR))
        data = encoded.tobytes()
    else:
        buffer = io.BytesIO()
        figure_or_array.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(figure_or_array)
        data = buffer.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def thumbnail(picture: np.ndarray, longest: int = 900) -> np.ndarray:
    """An RGB picture shrunk (area interpolation) so that its longer side is at most `longest` px."""
    scale = min(1.0, longest / max(picture.shape[:2]))
    return resize_image(picture, (round(picture.shape[0] * scale), round(picture.shape[1] * scale)))


def training_curves(histories: dict[str, pd.DataFrame]):
    """Train and validation loss, and validation IoU, per epoch for every seed."""
    figure, (loss_axis, iou_axis) = plt.subplots(1, 2, figsize=(10, 3.5))
    for name, history in histories.items():
        line = loss_axis.plot(history["epoch"], history["train_loss"], label=f"{name} train")[0]
        loss_axis.plot(history["epoch"], history["val_loss"], "--", color=line.get_color(), label=f"{name} val")
        iou_axis.plot(history["epoch"], history["val_iou"], color=line.get_color(), label=name)
    loss_axis.set(xlabel="epoch", ylabel="loss")
    iou_axis.set(xlabel="epoch", ylabel="validation IoU")
    loss_axis.legend(fontsize=7)
    iou_axis.legend(fontsize=7)
    return figure


def iou_per_sheet(sheets: dict[str, pd.DataFrame]):
    """A strip plot of per-sheet IoU for every model."""
    figure, axis = plt.subplots(figsize=(max(4, 1.4 * len(sheets)), 3.5))
    rng = np.random.default_rng(0)
    for position, table in enumerate(sheets.values()):
        axis.scatter(position + rng.uniform(-0.15, 0.15, len(table)), table["iou"], s=14, alpha=0.8)
        axis.hlines(table["iou"].mean(), position - 0.3, position + 0.3, color="k")
    axis.set_xticks(range(len(sheets)), list(sheets), rotation=20)
    axis.set(ylabel="IoU per sheet (original resolution)", ylim=(0, 1.02))
    return figure


def overlay(image: np.ndarray, truth: np.ndarray, predicted: np.ndarray, intact_ids: list[int]) -> np.ndarray:
    """The sheet with each predicted leaf filled in its own colour, true leaves outlined green, intact ones yellow."""
    hues = (np.arange(int(predicted.max(initial=0)) + 1) * 0.618034 % 1.0 * 180).astype(np.uint8)
    palette = cv2.cvtColor(
        np.stack([hues, np.full_like(hues, 200), np.full_like(hues, 230)], axis=1)[None], cv2.COLOR_HSV2RGB
    )
    leaf = predicted > 0
    canvas = image.copy()
    canvas[leaf] = (0.45 * image[leaf] + 0.55 * palette[0][predicted[leaf]]).astype(np.uint8)
    thickness = max(1, round(max(image.shape[:2]) / 400))
    for mask, colour, width in (
        (truth > 0, (40, 200, 40), thickness),
        (np.isin(predicted, intact_ids), (250, 210, 0), 2 * thickness),
    ):
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(canvas, contours, -1, colour, width)
    return canvas


INTACT_COLOUR, OTHER_COLOUR = (255, 150, 0), (220, 0, 200)


def _label(canvas: np.ndarray, text: str, at: tuple[int, int], colour: tuple, scale: float, thickness: int) -> None:
    """`text` in `colour` on a white box whose lower-left corner is `at`."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (width, height), below = cv2.getTextSize(text, font, scale, thickness)
    x, y = at
    cv2.rectangle(canvas, (x - 2, y - height - 2), (x + width + 2, y + below), (255, 255, 255), cv2.FILLED)
    cv2.putText(canvas, text, (x, y), font, scale, colour, thickness, cv2.LINE_AA)


def leaf_overlay(image: np.ndarray, labels: np.ndarray, traits: pd.DataFrame, note: str, longest: int = 2000):
    """The sheet for a curator: each leaf outlined and numbered by its leaf_id, intact ones in INTACT_COLOUR and
    the rest in OTHER_COLOUR, `note` (the scale and its source) written in the top-left corner."""
    canvas = thumbnail(image, longest)
    small = resize_labels(labels, canvas.shape[:2])
    intact = set(traits.loc[intact_calls(traits), "leaf_id"].astype(int))
    thickness = max(2, round(max(canvas.shape[:2]) / 500))
    scale = max(0.45, max(canvas.shape[:2]) / 1800)
    for leaf_id in traits["leaf_id"].astype(int):
        mask = (small == leaf_id).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            continue
        colour = INTACT_COLOUR if leaf_id in intact else OTHER_COLOUR
        cv2.drawContours(canvas, contours, -1, colour, thickness)
        rows, cols = np.nonzero(mask)
        _label(canvas, str(leaf_id), (int(cols.mean()), int(rows.mean())), colour, scale, max(1, thickness // 2))
    legend = f"{note}; intact: orange, other leaves: magenta"
    _label(canvas, legend, (4, int(8 + 25 * scale)), (0, 0, 0), scale, 1)
    return canvas


def side_by_side(left: np.ndarray, right: np.ndarray, gap: int = 6) -> np.ndarray:
    """Two RGB pictures of one height next to each other, a white gap between."""
    spacer = np.full((left.shape[0], gap, 3), 255, dtype=np.uint8)
    return np.concatenate([left, spacer, right], axis=1)


def disagreement(probabilities: list[np.ndarray]) -> np.ndarray:
    """RGB map of where seeds disagree: the per-pixel std of their uint8 probabilities (0 dark, 0.5 bright)."""
    stack = np.stack([p.astype(np.float32) / 255.0 for p in probabilities])
    level = np.clip(stack.std(axis=0) * 2.0 * 255.0, 0, 255).astype(np.uint8)
    return cv2.cvtColor(cv2.applyColorMap(level, cv2.COLORMAP_MAGMA), cv2.COLOR_BGR2RGB)


def svm_space(training: pd.DataFrame, bundle: dict):
    """Training leaves in the SVM's first two features, coloured by intact, with the decision boundary."""
    x_name, y_name = bundle["columns"][:2]
    figure, axis = plt.subplots(figsize=(5, 4))
    known = training[training["intact"].notna()]
    for flag, colour, label in ((False, "#b55", "not intact"), (True, "#2a7", "intact")):
        part = known[known["intact"].astype(bool) == flag]
        axis.scatter(part[x_name], part[y_name], s=10, c=colour, label=label, alpha=0.7)
    if len(bundle["columns"]) == 2 and len(known):
        xs = np.linspace(known[x_name].min(), known[x_name].max(), 120)
        ys = np.linspace(known[y_name].min(), known[y_name].max(), 120)
        grid_x, grid_y = np.meshgrid(xs, ys)
        probability = bundle["pipeline"].predict_proba(np.c_[grid_x.ravel(), grid_y.ravel()])[:, 1]
        axis.contour(grid_x, grid_y, probability.reshape(grid_x.shape), levels=[bundle["threshold"]], colors="k")
    axis.set(xlabel=x_name, ylabel=y_name)
    axis.legend(fontsize=8)
    return figure


def measured_against_true(pairs: pd.DataFrame):
    """Predicted against true length and width (mm) of matched intact leaves, with y = x."""
    figure, axes = plt.subplots(1, 2, figsize=(9, 4))
    for axis, trait in zip(axes, ("length", "width"), strict=True):
        true, predicted = pairs[f"true_{trait}_mm"], pairs[f"predicted_{trait}_mm"]
        axis.scatter(true, predicted, s=12, alpha=0.8)
        if len(pairs):
            low, high = np.nanmin([true.min(), predicted.min()]), np.nanmax([true.max(), predicted.max()])
            axis.plot([low, high], [low, high], "k--", lw=1)
        axis.set(xlabel=f"true {trait} (mm)", ylabel=f"measured {trait} (mm)")
    return figure


# Headline metric -> (column heading, higher is better); counts are shown as integers.
HEADLINE = {
    "sheets": ("Test sheets", None),
    "mean_iou": ("Leaf IoU, mean over sheets", True),
    "sheet_recall": ("Sheets with an intact leaf found (share)", True),
    "intact_precision": ("Intact-leaf precision", True),
    "intact_recall": ("Intact-leaf recall", True),
    "intact_f1": ("Intact-leaf F1", True),
    "matched_intact_leaves": ("Intact leaves matched", None),
    "length_error_pct": ("Length error (%)", False),
    "width_error_pct": ("Width error (%)", False),
}
_COUNTS = ("sheets", "matched_intact_leaves")
BETTER, WORSE = "\u25b2", "\u25bc"


def _cell(metric: str, value, spread=None) -> str:
    """3 significant digits (counts as integers); a spread is given to the same decimals as the value."""
    if pd.isna(value):
        return ""
    text = f"{value:.0f}" if metric in _COUNTS else f"{value:#.3g}".rstrip(".")
    if spread is None or pd.isna(spread) or metric == "sheets":
        return text
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{text} \u00b1 {spread:.{decimals}f}"


def _mark(metric: str, value, study) -> str:
    higher = HEADLINE[metric][1]
    if higher is None or pd.isna(value) or pd.isna(study) or np.isclose(value, study):
        return ""
    return f" {BETTER}" if (value > study) == higher else f" {WORSE}"


def headline_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary for reading: ensemble, single seed (mean +- std), each seed, the study; ours marked against it.

    `summary` is metrics.summary_table's output; cells are text with 3 significant
    digits (counts as integers), BETTER or WORSE after ours where the study has the figure.
    """
    by_model = summary.set_index("model")
    studies = summary[summary["model"].str.startswith("study")]
    study = studies.reindex(columns=list(HEADLINE)).bfill().iloc[0] if len(studies) else pd.Series(dtype=float)
    seeds = [m for m in by_model.index if m.startswith("seed") and not m.startswith("seeds")]
    rows = []

    def add(name: str, values: pd.Series, spread: pd.Series | None = None, marked: bool = True) -> None:
        row = {"": name}
        for metric, (heading, _) in HEADLINE.items():
            cell = _cell(metric, values.get(metric), None if spread is None else spread.get(metric))
            row[heading] = cell + (_mark(metric, values.get(metric), study.get(metric)) if marked and cell else "")
        rows.append(row)

    if "ensemble" in by_model.index:
        add(f"Seed ensemble ({len(seeds)} seeds)", by_model.loc["ensemble"])
    if "seeds mean" in by_model.index:
        add(f"One seed, mean \u00b1 std over {len(seeds)}", by_model.loc["seeds mean"], by_model.loc["seeds std"])
    for seed in seeds:
        add(f"Seed {seed.removeprefix('seed')}", by_model.loc[seed], marked=False)
    if len(studies):
        add("The study (74 test sheets)", study, marked=False)
    return pd.DataFrame(rows)


def table_html(table: pd.DataFrame) -> str:
    """A DataFrame as an HTML table with 3 significant decimals."""
    return table.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="", border=0)


def figure_html(uri: str, caption: str, css_class: str | None = None) -> str:
    text = html.escape(caption)
    attribute = f' class="{css_class}"' if css_class else ""
    return f'<figure{attribute}><img src="{uri}" alt="{text}"><figcaption>{text}</figcaption></figure>'


def details_html(summary: str, content: str) -> str:
    """A collapsed <details> element: `summary` (text) shown, `content` (html) on click."""
    return f"<details><summary>{html.escape(summary)}</summary>{content}</details>"


def gallery_html(figures: list[str]) -> str:
    """Figures (figure_html) laid out as a grid of thumbnails."""
    return f"<div class='gallery'>{''.join(figures)}</div>"


def render(title: str, sections: list[tuple[str, str]]) -> str:
    """The whole page: a title and (heading, html body) sections, in order."""
    body = "\n".join(f"<section><h2>{html.escape(heading)}</h2>\n{content}</section>" for heading, content in sections)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
    )
