"""A sheet's scale (px per mm) from the ruler printed on it, or its paper's extent, by classical image analysis.

A ruler is found as rows of evenly spaced thin ticks, in either orientation and
polarity; a scale is accepted only when two tick periods on the same ruler agree as
millimetre and centimetre (or half-centimetre) ticks do: a ratio of 10 or 5. Inch
scales (ratios of 2, 4, 8, 16), barcodes, text and colour charts do not show that
pair, so they give no scale rather than a wrong one. On sheets too coarse for mm
ticks to be told apart, half-centimetre and centimetre ticks (ratio 2) must agree
instead, and a ruler that shows more than one such pair (an inch scale beside the
metric one) gives none. Without a ruler, a sheet of known size scanned on a darker
background gives its scale by its paper's long side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

PAPER_LONG_SIDE_MM = 420.0  # a herbarium sheet; only bounds the search, never the answer
MIN_TICKS = 8  # evenly spaced ticks that make a run
MIN_PERIOD_PX = 2.2  # finer ticks cannot be told apart
MIN_COARSE_PERIOD_PX = 4.0  # 5 mm ticks closer than this are not trusted to confirm cm ticks
_SPACING_TOLERANCE = 0.12  # neighbouring spacings of one run differ by at most this fraction
_AGREEMENT = 0.02  # the two periods must agree to 2 % (ratio 10 or 5), or
_FINE_AGREEMENT = 0.05  # to 5 % when mm ticks are under 4 px apart (their period is then the less certain)


@dataclass(frozen=True)
class _TickPairs:
    """Which tick pairs (fine, coarse, in mm) confirm a scale at a sheet's resolution, and how strictly."""

    pairs: tuple[tuple[int, int], ...]
    guess_range: tuple[float, float]  # the fine unit's period, as multiples of fine mm x the guessed px/mm
    always_loose: bool  # agreement to _FINE_AGREEMENT whatever the fine period
    inch_guard: bool  # ratio 2, as an inch scale halves: reject halving chains and disagreeing pairs
    ticks: str  # what must agree, for the reason when nothing does

    def tolerance(self, fine_period: float) -> float:
        """How closely the fine and coarse periods must agree: looser where the fine ticks are under 4 px apart."""
        return _FINE_AGREEMENT if self.always_loose or fine_period < 4 else _AGREEMENT


# mm with cm or 5 mm ticks. The image shows the whole sheet: its long side spans 320 to 700 mm, so 1 mm is 0.6 to
# 1.3 times the guess.
_MM_PAIRS = _TickPairs(((1, 10), (1, 5)), (0.6, 1.3), False, False, "mm and cm ticks")
# 5 mm with cm ticks, where mm ticks cannot be told apart (5 mm ticks are drawn a few px apart, so agreement is
# looser). The image's long side must span 365 to 525 mm: the pair then cannot be an inch scale's 1/4 and 1/8 inch
# (0.64 times the true px/mm) or 1/2 and 1/4 inch (1.27 times).
_COARSE_PAIRS = _TickPairs(((5, 10),), (0.8, 1.15), True, True, "5 mm and cm ticks (mm ticks too fine to tell apart)")


@dataclass(frozen=True)
class TickRun:
    """Evenly spaced ticks along one strip: period and start/end in px, position across (strip centre, px)."""

    period: float
    start: float
    end: float
    across: float
    ticks: int
    residual: float  # RMS of tick positions about the fitted line, as a fraction of the period
    strength: float  # median line response at the ticks
    vertical: bool

    @property
    def period_error(self) -> float:
        """Standard error of the period (px), from the fit's residuals and span."""
        return self.residual * self.period * np.sqrt(12.0 / self.ticks) / max(self.ticks - 1, 1)


@dataclass(frozen=True)
class RulerScale:
    """What the ruler says: px_per_mm (None when no ruler was trusted), confidence 0..1, box and tick periods."""

    px_per_mm: float | None
    confidence: float
    box: tuple[int, int, int, int] | None = None  # x0, y0, x1, y1 in px
    orientation: str | None = None
    fine_period_px: float | None = None  # the mm (or 5 mm) ticks' period that confirms the coarse period
    fine_mm: int | None = None  # 1 or 5
    coarse_period_px: float | None = None  # the cm (or 5 mm) ticks' period the px/mm is measured on
    coarse_mm: int | None = None  # 10 or 5
    periods_px: list[float] = field(default_factory=list)
    reason: str = ""


def tick_responses(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strength of thin dark lines and of thin light lines across x at every pixel (second derivative along x)."""
    smooth = cv2.GaussianBlur(gray, (0, 0), sigmaX=0.7, sigmaY=0.0)
    curvature = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)
    return np.maximum(curvature, 0), np.maximum(-curvature, 0)


def _fit_run(positions: np.ndarray) -> tuple[float, float]:
    """Period (least squares over consecutive ticks) and RMS residual as a fraction of the period."""
    index = np.arange(len(positions))
    slope, intercept = np.polyfit(index, positions, 1)
    residual = positions - (intercept + slope * index)
    return float(slope), float(np.sqrt(np.mean(residual**2)) / slope)


def strip_runs(profile: np.ndarray, min_period: float, max_period: float) -> list[tuple]:
    """Runs of evenly spaced peaks in one strip's profile: (period, start, end, ticks, residual, strength)."""
    inner = profile[1:-1]
    noise = np.median(profile) + 4.0 * (np.median(np.abs(profile - np.median(profile))) + 1e-6)
    level = max(noise, 0.25 * float(np.percentile(profile, 99.5)))  # printed ticks are among a strip's strongest lines
    is_peak = (inner > profile[:-2]) & (inner >= profile[2:]) & (inner > level)
    peaks = np.flatnonzero(is_peak) + 1
    if len(peaks) < MIN_TICKS:
        return []
    left, centre, right = profile[peaks - 1], profile[peaks], profile[peaks + 1]
    curvature = left - 2 * centre + right
    positions = peaks + np.where(curvature < 0, 0.5 * (left - right) / np.where(curvature < 0, curvature, -1), 0.0)
    spacings = np.diff(positions)
    # Alike: within 12 %, or within 1.1 px where ticks are only 2 to 4 px apart and land on whole pixels.
    steady = np.abs(spacings[1:] - spacings[:-1]) < np.maximum(_SPACING_TOLERANCE * spacings[:-1], 1.1)
    runs = []
    # A run: consecutive spacings that stay alike; boundaries where they do not.
    breaks = np.flatnonzero(~steady) + 1
    for segment in np.split(np.arange(len(spacings)), breaks):
        if len(segment) + 1 < MIN_TICKS:
            continue
        ticks = positions[segment[0] : segment[-1] + 2]
        period, residual = _fit_run(ticks)
        if min_period <= period <= max_period and residual < (0.08 if period >= 4 else 0.2):
            strength = float(np.median(profile[peaks[segment[0] : segment[-1] + 2]]))
            runs.append((period, float(ticks[0]), float(ticks[-1]), len(ticks), residual, strength))
    return runs


def find_tick_runs(gray: np.ndarray, px_per_mm_guess: float) -> list[TickRun]:
    """Every run of evenly spaced ticks in strips about 1 mm high, in both orientations and polarities."""
    runs = []
    strip = max(2, round(px_per_mm_guess))
    min_period, max_period = MIN_PERIOD_PX, 12.0 * 2.0 * px_per_mm_guess
    for vertical in (False, True):
        image = np.ascontiguousarray(gray.T) if vertical else gray
        for response in tick_responses(image):
            rows = response.shape[0] // strip
            strips = cv2.resize(response[: rows * strip], (response.shape[1], rows), interpolation=cv2.INTER_AREA)
            for row, profile in enumerate(strips):
                for period, start, end, ticks, residual, strength in strip_runs(profile, min_period, max_period):
                    runs.append(TickRun(period, start, end, (row + 0.5) * strip, ticks, residual, strength, vertical))
    return runs


def group_rulers(runs: list[TickRun], px_per_mm_guess: float) -> list[list[TickRun]]:
    """Runs linked by lying side by side (within 40 mm across, at most 10 mm apart along): one candidate ruler each."""
    if not runs:
        return []
    across = np.array([run.across for run in runs])
    start, end = np.array([run.start for run in runs]), np.array([run.end for run in runs])
    vertical = np.array([run.vertical for run in runs])
    linked = (
        (vertical[:, None] == vertical[None, :])
        & (np.abs(across[:, None] - across[None, :]) <= 40 * px_per_mm_guess)
        & (np.minimum(end[:, None], end[None, :]) - np.maximum(start[:, None], start[None, :]) > -10 * px_per_mm_guess)
    )
    count, labels = connected_components(csr_matrix(linked), directed=False)
    return [[run for run, label in zip(runs, labels, strict=True) if label == group] for group in range(count)]


def _cluster_periods(runs: list[TickRun]) -> list[tuple[float, float, int]]:
    """Distinct periods of a ruler's runs: (period, standard error, ticks), weighted by their precision."""
    clusters: list[list[TickRun]] = []
    for run in sorted(runs, key=lambda r: r.period):
        if clusters and run.period / clusters[-1][0].period - 1 < 0.03:
            clusters[-1].append(run)
        else:
            clusters.append([run])
    result = []
    for members in clusters:
        errors = np.array([max(run.period_error, 1e-4 * run.period) for run in members])
        weights = 1 / errors**2
        period = float(np.sum(weights * [run.period for run in members]) / weights.sum())
        result.append((period, float(1 / np.sqrt(weights.sum())), int(sum(run.ticks for run in members))))
    return result


def _confirms(
    fine: TickRun, coarse: TickRun, pair: tuple[int, int], mode: _TickPairs, px_per_mm_guess: float
) -> float | None:
    """How well a fine run confirms a coarse run as ticks `pair` mm apart (mm and cm, mm and 5 mm, 5 mm and cm).

    Returns the relative mismatch of the periods, or None when they are not one
    ruler's: periods off by more than the tolerance, a fine period that cannot be the
    fine unit (0.6 to 1.3 times the guess; 0.8 to 1.15 for 5 mm ticks), fine ticks
    spanning under 70 % of a coarse period, fine and coarse ticks that mostly miss each
    other along the ruler (under 80 % of the shorter run shared) or lie more than 12 mm
    apart across it, fine ticks much fainter than the coarse ones (paper texture), or
    fine ticks out of step with the coarse ones (every cm tick is also a mm tick).
    """
    fine_mm, coarse_mm = pair
    mismatch = coarse.period * fine_mm / (coarse_mm * fine.period) - 1
    low, high = (fine_mm * bound * px_per_mm_guess for bound in mode.guess_range)
    if abs(mismatch) > mode.tolerance(fine.period) or not low <= fine.period <= high:
        return None
    if fine.end - fine.start < 0.7 * coarse.period:
        return None
    overlap = min(fine.end, coarse.end + fine.period) - max(fine.start, coarse.start - fine.period)
    shorter = min(fine.end - fine.start, coarse.end - coarse.start)
    if overlap < 0.8 * shorter or abs(fine.across - coarse.across) > 12 * px_per_mm_guess:
        return None
    if fine.strength < 0.3 * coarse.strength:
        return None
    nearest = coarse.start + round((fine.start - coarse.start) / coarse.period) * coarse.period
    steps = (nearest - fine.start) / fine.period
    if abs(steps - round(steps)) > 0.2:
        return None
    return mismatch


def _halves_on(runs: list[TickRun], coarse: TickRun) -> bool:
    """Whether ticks at twice or a quarter of the coarse period lie along it: with the pair at half of it, a chain
    of halvings that only an inch scale shows (1, 1/2, 1/4, 1/8 inch); a coarse sheet's metric ruler shows cm and
    5 mm ticks only (its mm ticks cannot be told apart)."""
    return any(
        min(abs(run.period / (ratio * coarse.period) - 1) for ratio in (2, 0.25)) < _AGREEMENT
        and min(run.end, coarse.end) - max(run.start, coarse.start) > coarse.period
        and abs(run.across - coarse.across) <= 1.2 * coarse.period
        and run.strength >= 0.3 * coarse.strength
        for run in runs
    )


def _combined(estimates: tuple[tuple[float, float, int], ...]) -> float:
    """px per mm from tick periods (period px, its standard error px, mm per period), weighted by their precision."""
    values = np.array([period / mm for period, _, mm in estimates])
    weights = np.array([(mm / max(error, 1e-6 * period)) ** 2 for period, error, mm in estimates])
    return float(np.sum(weights * values) / weights.sum())


def ruler_scale(runs: list[TickRun], px_per_mm_guess: float, mode: _TickPairs = _MM_PAIRS) -> RulerScale:
    """The scale one candidate ruler's runs support: a fine run that confirms a coarse run as one of `mode`'s pairs.

    The px/mm is the coarse period over its mm, from all runs of that period (the
    longer span); where the fine ticks are mm ticks, their period (the most ticks on
    the ruler) measures it too, the two weighted by their precision. A 5 mm period only
    confirms the cm one: on coarse sheets it is too blurred to trust its fit. With 5 mm and cm ticks (ratio 2,
    as inch scales have too), a ruler whose confirmed pairs disagree gives none.
    """
    periods = _cluster_periods(runs)
    found = []
    for coarse in runs:
        if mode.inch_guard and _halves_on(runs, coarse):
            continue
        for pair in mode.pairs:
            confirming = [
                (fine, _confirms(fine, coarse, pair, mode, px_per_mm_guess)) for fine in runs if fine is not coarse
            ]
            confirming = [(abs(mismatch), fine.period) for fine, mismatch in confirming if mismatch is not None]
            if not confirming:
                continue
            mismatch, fine_period = min(confirming)
            period, error, ticks = next(cluster for cluster in periods if abs(cluster[0] / coarse.period - 1) < 0.03)
            confidence = float(np.clip(1 - mismatch / mode.tolerance(fine_period), 0, 1) * min(1.0, ticks / 20))
            px_per_mm = period / pair[1]
            if pair[0] == 1:  # resolved mm ticks, the most on the ruler, measure it too
                fine_cluster = next(cluster for cluster in periods if abs(cluster[0] / fine_period - 1) < 0.03)
                px_per_mm = _combined(((period, error, pair[1]), (fine_cluster[0], fine_cluster[1], 1)))
            found.append((confidence, px_per_mm, fine_period, pair[0], period, pair[1]))
    tick_periods = [p for p, _, _ in periods]
    if not found:
        return RulerScale(None, 0.0, periods_px=tick_periods, reason="no two tick periods agree")
    best = max(found)
    if mode.inch_guard and any(abs(other[1] / best[1] - 1) > _AGREEMENT for other in found):
        return RulerScale(None, 0.0, periods_px=tick_periods, reason="5 mm and cm pairs on the ruler disagree")
    confidence, px_per_mm, fine, fine_mm, coarse, coarse_mm = best
    vertical = runs[0].vertical
    along = (min(r.start for r in runs), max(r.end for r in runs))
    across = (min(r.across for r in runs), max(r.across for r in runs))
    x0, x1, y0, y1 = (*across, *along) if vertical else (*along, *across)
    return RulerScale(
        px_per_mm,
        confidence,
        (round(x0), round(y0), round(x1), round(y1)),
        "vertical" if vertical else "horizontal",
        fine,
        fine_mm,
        coarse,
        coarse_mm,
        tick_periods,
    )


def _scaled(scale: RulerScale, factor: int) -> RulerScale:
    """A scale measured on an image shrunk by `factor`, in the original image's px."""
    if factor == 1 or scale.px_per_mm is None:
        return scale
    return RulerScale(
        scale.px_per_mm * factor,
        scale.confidence,
        tuple(value * factor for value in scale.box),
        scale.orientation,
        scale.fine_period_px * factor,
        scale.fine_mm,
        scale.coarse_period_px * factor,
        scale.coarse_mm,
        [period * factor for period in scale.periods_px],
    )


def detect_ruler_scale(image: np.ndarray, paper_long_side_mm: float = PAPER_LONG_SIDE_MM) -> RulerScale:
    """px per mm from the most confident ruler on an RGB sheet; px_per_mm None (with the reason) when none agrees.

    Two rulers that disagree by more than 2 % give none: a wrong scale is worse than no scale.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    guess = max(gray.shape) / paper_long_side_mm
    mode = _MM_PAIRS if guess >= MIN_PERIOD_PX else _COARSE_PAIRS
    if 5 * guess < MIN_COARSE_PERIOD_PX:
        return RulerScale(
            None, 0.0, reason=f"5 mm ticks would be under {MIN_COARSE_PERIOD_PX} px apart at this resolution"
        )
    # Fine scans are searched at a lower resolution (mm ticks still 3 px apart or more), then scaled back.
    shrink = max(1, int(guess // 3.0))
    if shrink > 1:
        gray = cv2.resize(gray, (gray.shape[1] // shrink, gray.shape[0] // shrink), interpolation=cv2.INTER_AREA)
    gray = gray.astype(np.float32)
    found = [
        ruler_scale(group, guess / shrink, mode)
        for group in group_rulers(find_tick_runs(gray, guess / shrink), guess / shrink)
    ]
    found = [_scaled(scale, shrink) for scale in found]
    found = sorted((scale for scale in found if scale.px_per_mm), key=lambda s: -s.confidence)
    if not found:
        return RulerScale(None, 0.0, reason=f"no ruler with agreeing {mode.ticks}")
    if any(abs(other.px_per_mm / found[0].px_per_mm - 1) > _AGREEMENT for other in found[1:]):
        return RulerScale(None, 0.0, reason="rulers on the sheet disagree")
    return found[0]


@dataclass(frozen=True)
class PaperScale:
    """What the paper's extent says: px_per_mm (None when it cannot be measured, with the reason) and its long side."""

    px_per_mm: float | None
    long_side_px: float | None = None
    reason: str = ""


def detect_paper_scale(image: np.ndarray, paper_long_side_mm: float) -> PaperScale:
    """px per mm from the paper's long side against a darker background, for a sheet `paper_long_side_mm` long.

    The paper is the rows and columns more than half bright (Otsu's threshold), so a plant
    or label on it does not matter. It is measured only when the background shows beyond
    both ends of its long side: paper that reaches the image's edge may go on beyond it.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    _, bright = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    rows, cols = np.flatnonzero(bright.mean(axis=1) > 0.5), np.flatnonzero(bright.mean(axis=0) > 0.5)
    if len(rows) == 0 or len(cols) == 0:
        return PaperScale(None, reason="no bright paper across half the image")
    (y0, y1), (x0, x1) = (rows[0], rows[-1] + 1), (cols[0], cols[-1] + 1)
    vertical = y1 - y0 >= x1 - x0
    start, end, image_side = (y0, y1, gray.shape[0]) if vertical else (x0, x1, gray.shape[1])
    if start == 0 or end == image_side:
        return PaperScale(None, reason="the paper reaches the image's edge along its long side")
    return PaperScale(float(end - start) / paper_long_side_mm, float(end - start))


def detect_scales(
    image: np.ndarray, detect_ruler: bool, paper_long_side_mm: float | None
) -> tuple[RulerScale | None, PaperScale | None]:
    """What the sheet itself says of its scale: the ruler (when `detect_ruler`) and the paper (when its length is
    known), each None when not looked for; the image goes to grey once for both."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    ruler = detect_ruler_scale(gray) if detect_ruler else None
    paper = detect_paper_scale(gray, paper_long_side_mm) if paper_long_side_mm else None
    return ruler, paper


SCALE_SOURCES = ("given", "ruler", "paper", "config", "none")


def resolve_scale(
    given: float | None, ruler: RulerScale | None, default: float | None, paper: PaperScale | None = None
) -> dict:
    """A sheet's scale record: the first that applies of a given value, the ruler, the paper's extent, the config
    default, none.

    Returns px_per_mm (None for none), source (SCALE_SOURCES), confidence (1 for given,
    paper and config values) and what the ruler and paper detections found, whichever
    value was used.
    """
    detected = None
    if ruler is not None:
        detected = {
            "px_per_mm": ruler.px_per_mm,
            "confidence": ruler.confidence,
            "box": list(ruler.box) if ruler.box else None,
            "orientation": ruler.orientation,
            "fine_period_px": ruler.fine_period_px,
            "fine_mm": ruler.fine_mm,
            "coarse_period_px": ruler.coarse_period_px,
            "coarse_mm": ruler.coarse_mm,
            "tick_periods_px": ruler.periods_px,
            "reason": ruler.reason,
        }
    found = {"ruler": detected}
    if paper is not None:
        found["paper"] = {"px_per_mm": paper.px_per_mm, "long_side_px": paper.long_side_px, "reason": paper.reason}
    if given is not None and np.isfinite(given) and given > 0:
        return {"px_per_mm": float(given), "source": "given", "confidence": 1.0, **found}
    if ruler is not None and ruler.px_per_mm:
        return {"px_per_mm": ruler.px_per_mm, "source": "ruler", "confidence": ruler.confidence, **found}
    if paper is not None and paper.px_per_mm:
        return {"px_per_mm": paper.px_per_mm, "source": "paper", "confidence": 1.0, **found}
    if default:
        return {"px_per_mm": float(default), "source": "config", "confidence": 1.0, **found}
    return {"px_per_mm": None, "source": "none", "confidence": 0.0, **found}
