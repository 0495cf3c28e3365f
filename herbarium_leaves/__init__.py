"""Leaf segmentation and trait measurement on herbarium sheets."""

import os

# albumentations otherwise asks the internet for updates at import.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
