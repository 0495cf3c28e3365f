"""Looks of the synthetic herbarium: which papers, charts, labels, plants and scanner a generated sheet draws from.

A style is a set of distributions, not a picture: `classic` is the demo's original
look (cream paper, one broad-leaved plant; its sheets stay bit for bit as they
were), `varied` is closer to real collections and is the default pretraining set,
and `shifted` is a domain held out from `varied` (other papers, a chart layout,
plant types and scanner look that pretraining never sees), on which the gain of
pretraining is measured (benchmarks/bench_pretrain.py).
"""

from __future__ import annotations

from dataclasses import dataclass

# ColorChecker Classic 24 in sRGB (X-Rite's published values, rounded): six rows of greys
# and the saturated patches (foliage, green, yellow-green, red) that false leaves come from.
COLORCHECKER_24 = (
    (115, 82, 68),
    (194, 150, 130),
    (98, 122, 157),
    (87, 108, 67),
    (133, 128, 177),
    (103, 189, 170),
    (214, 126, 44),
    (80, 91, 166),
    (193, 90, 99),
    (94, 60, 108),
    (157, 188, 64),
    (224, 163, 46),
    (56, 61, 150),
    (70, 148, 73),
    (175, 54, 60),
    (231, 199, 31),
    (187, 86, 149),
    (8, 133, 161),
    (243, 243, 242),
    (200, 200, 200),
    (160, 160, 160),
    (122, 122, 121),
    (85, 85, 85),
    (52, 52, 52),
)
# Saturated patches of the colour-control strips mounted beside plants (greens, reds and yellows
# among them), and their grey scales.
CONTROL_STRIP = (
    (40, 70, 150),
    (50, 130, 190),
    (40, 140, 80),
    (20, 110, 50),
    (130, 170, 50),
    (235, 215, 40),
    (240, 150, 30),
    (215, 60, 40),
    (180, 30, 50),
    (200, 60, 140),
    (120, 50, 130),
    (90, 60, 40),
)
GREY_SCALE = tuple((v, v, v) for v in (250, 225, 200, 175, 150, 125, 100, 75, 50, 25))

PLANT_TYPES = ("broadleaf", "compound", "dense", "grass", "needles", "pressed")
CHART_LAYOUTS = ("strip", "control", "checker")


@dataclass(frozen=True)
class SheetStyle:
    """Distributions a sheet is drawn from; a zero probability or an empty choice draws nothing at all."""

    name: str
    papers: tuple[tuple[int, int, int], ...]  # mounting paper tones (RGB), one chosen per sheet
    charts: tuple[str, ...]  # CHART_LAYOUTS a sheet's colour chart is drawn in
    plants: dict[str, float]  # PLANT_TYPES and their weights
    coloured_labels: float = 0.0  # chance of a coloured type label and of a coloured determination slip
    slip_papers: tuple[tuple[int, int, int], ...] = ()
    green_stamps: bool = False  # stamps in green ink as well as blue, red and purple
    packet: float = 0.0  # chance of a fragment packet or envelope (white or kraft)
    flowers: float = 0.0  # chance of flowers or an inflorescence, fruits, and roots (none is a leaf)
    fruits: float = 0.0
    roots: float = 0.0
    shadow: float = 0.0  # chance of a drop shadow under the plant and the sheet furniture
    light: float = 0.08  # strength of the scanner's uneven lighting: its linear gradient
    vignette: float = 0.12  # and its darkening towards the corners
    colour_cast: float = 0.0  # per-channel gain spread of the scanner's white balance
    blur: tuple[float, float] = (0.5, 0.5)  # optics blur sigma range, px
    jpeg: tuple[int, int] | None = None  # JPEG quality range; None: no compression


CLASSIC = SheetStyle(
    name="classic",
    papers=((236, 228, 208),),
    charts=("strip",),
    plants={"broadleaf": 0.7, "pressed": 0.3},
)
VARIED = SheetStyle(
    name="varied",
    papers=((250, 250, 247), (244, 242, 234), (240, 233, 214), (236, 228, 208), (230, 220, 196)),
    charts=("strip", "control"),
    plants={"broadleaf": 0.3, "compound": 0.2, "dense": 0.15, "grass": 0.15, "pressed": 0.2},
    coloured_labels=0.35,
    slip_papers=((250, 205, 205), (205, 235, 205), (205, 220, 245), (250, 240, 180)),
    green_stamps=True,
    packet=0.35,
    flowers=0.4,
    fruits=0.3,
    roots=0.3,
    shadow=0.5,
    light=0.12,
    vignette=0.18,
    colour_cast=0.03,
    blur=(0.4, 0.9),
    jpeg=(65, 95),
)
SHIFTED = SheetStyle(
    name="shifted",
    papers=((222, 222, 218), (212, 219, 226), (226, 212, 184)),
    charts=("checker",),
    plants={"broadleaf": 0.2, "compound": 0.3, "dense": 0.3, "needles": 0.2},
    coloured_labels=0.6,
    slip_papers=((255, 190, 150), (190, 240, 240), (230, 200, 240)),
    green_stamps=True,
    packet=0.5,
    flowers=0.5,
    fruits=0.5,
    roots=0.5,
    shadow=0.8,
    light=0.2,
    vignette=0.3,
    colour_cast=0.06,
    blur=(0.8, 1.3),
    jpeg=(40, 60),
)
STYLES = {style.name: style for style in (CLASSIC, VARIED, SHIFTED)}
