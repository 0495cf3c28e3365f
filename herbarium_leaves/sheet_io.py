"""Safe reading of sheet images and masks, and atomic writing of outputs.

Every problem with an input raises InputError with one line: the file, then the problem.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from PIL import Image, ImageOps, UnidentifiedImageError

# EXIF orientation tag value -> the transpose that shows the image upright.
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112
_SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
_UMASK = os.umask(0)
os.umask(_UMASK)


class InputError(ValueError):
    """An input file is missing, unreadable or inconsistent with its partner."""

    def __init__(self, path: str | Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


@contextlib.contextmanager
def _own_size_check() -> Iterator[None]:
    """Hand the size check to open_checked, which refuses from the header, before any decoding."""
    previous = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def open_checked(path: str | Path, max_pixels: int, at_least: tuple[int, int] | None = None) -> Image.Image:
    """Open and fully decode an image file, refusing oversized images from their header.

    With `at_least` (upright height, width), a JPEG is decoded reduced by 2, 4 or 8 where it
    stays at least that large (Pillow's draft: the decoder's own scaling, a fraction of the time).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty (0 bytes)")
    with _own_size_check():
        try:
            image = Image.open(path)
        except (UnidentifiedImageError, OSError) as error:
            raise InputError(path, f"not a readable image ({type(error).__name__})") from None
        width, height = image.size
        if width * height > max_pixels:
            raise InputError(
                path,
                f"image is {width} x {height} px, over the limit of {max_pixels} px (data.max_image_pixels): "
                "too large to decode safely",
            )
        if at_least is not None:
            upright = at_least if exif_orientation(image) < 5 else at_least[::-1]  # 5 to 8 turn by 90 degrees
            image.draft(None, (upright[1], upright[0]))
        try:
            image.load()
        except (OSError, SyntaxError, ValueError) as error:
            raise InputError(path, f"truncated or corrupt image data ({error})") from None
    return image


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation tag of an opened image (1 = upright)."""
    return int(image.getexif().get(_EXIF_ORIENTATION, 1))


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    return image.transpose(transpose) if transpose is not None else image


def orient_labels(labels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation to uint16 labels, exactly as to the image."""
    return np.asarray(_apply_orientation(Image.fromarray(labels), orientation), dtype=np.uint16)


def to_rgb8(image: Image.Image, path: str | Path) -> np.ndarray:
    """Convert any grayscale, palette, RGBA, CMYK or 16-bit image to 8-bit RGB (H, W, 3)."""
    if image.mode in _SIXTEEN_BIT_MODES:
        values = np.asarray(image, dtype=np.int64)
        if values.max(initial=0) > 65535 or values.min(initial=0) < 0:
            raise InputError(path, f"pixel values outside 0..65535 in mode {image.mode}")
        gray = (values >> 8).astype(np.uint8) if values.max(initial=0) > 255 else values.astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=2)
    if image.mode == "F":
        raise InputError(path, "floating-point images are not supported; export 8- or 16-bit")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image.convert("RGBA"))
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"), dtype=np.uint8)


def read_sheet_image(
    path: str | Path, max_pixels: int, at_least: tuple[int, int] | None = None
) -> tuple[np.ndarray, int, tuple[int, int]]:
    """Read a sheet as upright 8-bit RGB, a JPEG possibly reduced to `at_least` (open_checked).

    Returns (image, EXIF orientation, stored (height, width) as decoded, before orientation).
    """
    image = open_checked(path, max_pixels, at_least)
    orientation = exif_orientation(image)
    stored = (image.height, image.width)
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
    return to_rgb8(image, path), orientation, stored


def read_mask(
    path: str | Path,
    stored_shape: tuple[int, int],
    image_path: str | Path,
    mask_type: str,
    orientation: int,
    max_pixels: int,
) -> np.ndarray:
    """Read a mask as uint16 leaf instance labels, oriented like its image.

    The mask must have its image's stored size. A mask with an EXIF orientation of
    its own uses it; otherwise it is taken in the image's stored pixel order and gets
    the image's orientation. Binary masks (0 and one of 1 or 255) become 8-connected
    components; instance masks keep their ids.
    """
    mask = open_checked(path, max_pixels)
    if (mask.height, mask.width) != stored_shape:
        raise InputError(
            path,
            f"mask is {mask.width} x {mask.height} px but its image {image_path} is "
            f"{stored_shape[1]} x {stored_shape[0]} px",
        )
    own = exif_orientation(mask)
    values = _single_channel(_apply_orientation(mask, own if own != 1 else orientation), path)
    present = np.unique(values)
    if mask_type == "binary":
        bad = [int(v) for v in present if v not in (0, 1, 255)]
        if bad or (1 in present and 255 in present):
            shown = bad or [1, 255]
            raise InputError(path, f"binary mask has values {shown[:5]}; only 0 and one of 1 or 255 are allowed")
        count, labels = cv2.connectedComponents((values > 0).astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)
        if count - 1 > 65535:
            raise InputError(path, f"binary mask has {count - 1} components, more than 65535 leaves")
        return labels.astype(np.uint16)
    if present.max(initial=0) > 65535 or present.min(initial=0) < 0:
        raise InputError(path, f"instance mask has ids outside 0..65535 (min {present.min()}, max {present.max()})")
    return values.astype(np.uint16)


def _single_channel(mask: Image.Image, path: str | Path) -> np.ndarray:
    if mask.mode in ("L", "1", "P") or mask.mode in _SIXTEEN_BIT_MODES:
        return np.asarray(mask.convert("L") if mask.mode in ("1",) else mask).astype(np.int64)
    if mask.mode in ("RGB", "RGBA", "LA"):
        channels = np.asarray(mask.convert("RGB")).astype(np.int64)
        if (channels == channels[..., :1]).all():
            return channels[..., 0]
        raise InputError(path, f"mask has colour values (mode {mask.mode}); expected a single-channel label image")
    raise InputError(path, f"mask mode {mask.mode} is not supported; expected 8- or 16-bit grayscale")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it to `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):  # left by a job killed mid-write
        stale.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; results are for the team to read
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_png(path: str | Path, array: np.ndarray) -> None:
    """Write an RGB uint8 (H, W, 3) or single-channel uint8/uint16 (H, W) array as PNG, atomically."""
    pixels = cv2.cvtColor(array, cv2.COLOR_RGB2BGR) if array.ndim == 3 else array
    ok, encoded = cv2.imencode(".png", pixels)
    if not ok:
        raise OSError(f"{path}: PNG encoding failed")
    with atomic_path(path) as temporary:
        temporary.write_bytes(encoded.tobytes())


def read_png(path: str | Path) -> np.ndarray:
    """Read a PNG written by this pipeline: RGB (H, W, 3) or labels (H, W) with their dtype."""
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise InputError(path, "not a readable PNG")
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB) if pixels.ndim == 3 else pixels


def write_csv(path: str | Path, table: pd.DataFrame) -> None:
    """Write a table as CSV without its index, atomically."""
    with atomic_path(path) as temporary:
        table.to_csv(temporary, index=False)


def write_json(path: str | Path, data: object) -> None:
    """Write JSON (indented, keys in order given), atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(data, indent=1, default=str) + "\n", encoding="utf-8")
