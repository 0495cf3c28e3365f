"""Seeded generator of synthetic herbarium sheets with leaf instance ground truth.

A sheet shows cream mounting paper (textured, unevenly lit, sometimes inside a
black scanner border) with one pressed plant: a woody or green stem, leaves on
petioles in brown, olive or dull green with midrib and veins, in several shapes
and sizes. Leaves overlap, are folded, torn, insect-eaten or cut off by the
image edge; paper strips and tape hold the plant down. Labels with printed and
handwritten text, a ruler with cm/mm ticks, a barcode, a colour chart with a
green patch, ink stamps and sometimes a paper capsule complete the sheet.

Only leaf blades are labelled; stems, petioles, strips and sheet furniture are
background. The same (seed, index) always gives the same sheet, bit for bit.

The package's modules, one concern each: `sheet` (paper, scanner and the whole sheet),
`plants` and `leaves` (plant layouts, leaf shapes and colours), `damage`, `rulers` (rulers
and colour charts), `labels` (labels, packets, strips and tape), `canvas` (drawing
primitives) and `truth` (sheet indices, the sheet record, the demo's sheet list).
"""

from herbarium_leaves.synthetic.canvas import rasterize_polygon
from herbarium_leaves.synthetic.leaves import LEAF_SHAPES, leaf_outline
from herbarium_leaves.synthetic.rulers import RULER_STYLES
from herbarium_leaves.synthetic.sheet import PAPER_HEIGHT_MM, generate_sheet
from herbarium_leaves.synthetic.truth import (
    PRETRAIN_INDEX_OFFSET,
    SVM_INDEX_OFFSET,
    TEST_INDEX_OFFSET,
    SyntheticSheet,
    demo_sheets,
)

__all__ = [
    "LEAF_SHAPES",
    "PAPER_HEIGHT_MM",
    "PRETRAIN_INDEX_OFFSET",
    "RULER_STYLES",
    "SVM_INDEX_OFFSET",
    "TEST_INDEX_OFFSET",
    "SyntheticSheet",
    "demo_sheets",
    "generate_sheet",
    "leaf_outline",
    "rasterize_polygon",
]
