"""The shifts a new hospital or scanner brings, as image transforms on grey images in [0, 1].

Used twice, with the same code:
  * `random_shift` draws them at random during training (augmentation matched to the
    shifts, train.py);
  * `STRESS` applies each at one fixed, moderate strength to the validation images, so
    that every model is scored under each shift separately (stress.py, and the threshold
    rule in train.py, which must hold under all of them).

Images are numpy float32 arrays of shape (H, W); every function returns the same shape.
"""

from __future__ import annotations

import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont


def _to_pil(x: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")


def _from_pil(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / np.float32(255.0)


def exposure(x: np.ndarray, delta: float) -> np.ndarray:
    """Brighter (delta > 0) or darker film: a constant added."""
    return np.clip(x + delta, 0, 1)


def contrast(x: np.ndarray, factor: float) -> np.ndarray:
    """Contrast stretched (factor > 1) or flattened about the image's mean."""
    m = x.mean()
    return np.clip((x - m) * factor + m, 0, 1)


def gamma(x: np.ndarray, g: float) -> np.ndarray:
    """A different characteristic curve (detector or export LUT)."""
    return np.clip(x, 0, 1) ** g


def noise(x: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Quantum noise of a low-dose exposure, as additive Gaussian noise."""
    return np.clip(x + rng.normal(0, sigma, x.shape).astype(np.float32), 0, 1)


def blur(x: np.ndarray, radius: float) -> np.ndarray:
    """A softer detector or a resampled export: Gaussian blur of `radius` pixels."""
    return _from_pil(_to_pil(x).filter(ImageFilter.GaussianBlur(radius)))


def sharpen(x: np.ndarray, amount: float) -> np.ndarray:
    """Vendor edge enhancement: unsharp masking, `amount` times the detail added."""
    soft = blur(x, 2.0)
    return np.clip(x + amount * (x - soft), 0, 1)


def jpeg(x: np.ndarray, quality: int) -> np.ndarray:
    """Re-compressed by a PACS export or a messaging app."""
    buffer = io.BytesIO()
    _to_pil(x).save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as image:
        return _from_pil(image.convert("L"))


def resolution(x: np.ndarray, factor: float) -> np.ndarray:
    """A low-resolution source: down by `factor`, back up (bilinear)."""
    h, w = x.shape
    small = _to_pil(x).resize((max(8, round(w / factor)), max(8, round(h / factor))), Image.BILINEAR)
    return _from_pil(small.resize((w, h), Image.BILINEAR))


def affine(x: np.ndarray, degrees: float = 0.0, zoom: float = 1.0, shift=(0.0, 0.0)) -> np.ndarray:
    """Rotated by `degrees`, magnified by `zoom` (> 1 crops the edges), shifted by a fraction."""
    h, w = x.shape
    image = Image.fromarray(x.astype(np.float32), mode="F")
    a = math.radians(degrees)
    cos, sin = math.cos(a) / zoom, math.sin(a) / zoom
    cx, cy = w / 2 + shift[0] * w, h / 2 + shift[1] * h
    # Output pixel (u, v) samples input (cos*(u-w/2) + sin*(v-h/2) + cx, -sin*(u-w/2) + cos*(v-h/2) + cy).
    coeffs = (cos, sin, cx - cos * w / 2 - sin * h / 2, -sin, cos, cy + sin * w / 2 - cos * h / 2)
    out = image.transform((w, h), Image.AFFINE, coeffs, resample=Image.BILINEAR, fillcolor=float(np.median(x[0])))
    return np.clip(np.asarray(out, dtype=np.float32), 0, 1)


def border(x: np.ndarray, fraction: float, value: float) -> np.ndarray:
    """The radiograph shrunk into a frame of `value` (collimation, a scanned film's edge)."""
    h, w = x.shape
    ih, iw = max(8, round(h * (1 - 2 * fraction))), max(8, round(w * (1 - 2 * fraction)))
    inner = _from_pil(_to_pil(x).resize((iw, ih), Image.BILINEAR))
    out = np.full_like(x, value)
    top, left = (h - ih) // 2, (w - iw) // 2
    out[top : top + ih, left : left + iw] = inner
    return out


_FONT = ImageFont.load_default()
_TEXTS = ("L", "R", "AP", "PA", "SUPINE", "PORTABLE", "12/03/2026", "ID 0042", "kV 70", "mAs 2", "ERECT", "+")


def text(x: np.ndarray, rng: random.Random, count: int = 4) -> np.ndarray:
    """Burned-in annotations: side markers, dates, exposure values, in white or black."""
    image = _to_pil(x)
    draw = ImageDraw.Draw(image)
    h, w = x.shape
    for _ in range(count):
        label = rng.choice(_TEXTS)
        fill = 255 if rng.random() < 0.8 else 0
        left, top = rng.randrange(0, max(1, w - 50)), rng.randrange(0, max(1, h - 12))
        if rng.random() < 0.25:
            # A lead side marker: a solid square with the letter cut out.
            draw.rectangle((left, top, left + 14, top + 14), fill=fill)
            draw.text((left + 4, top + 1), rng.choice("LR"), fill=255 - fill, font=_FONT)
        else:
            draw.text((left, top), label, fill=fill, font=_FONT)
    return _from_pil(image)


# Each stress condition: name, and the function of (image, index) that applies it at one
# fixed strength (index seeds what is random in it, so every run sees the same pixels).
STRESS = (
    ("none", lambda x, i: x),
    ("darker", lambda x, i: exposure(x, -0.10)),
    ("brighter", lambda x, i: exposure(x, 0.10)),
    ("low contrast", lambda x, i: contrast(x, 0.7)),
    ("high contrast", lambda x, i: contrast(x, 1.4)),
    ("gamma 0.67", lambda x, i: gamma(x, 0.67)),
    ("gamma 1.5", lambda x, i: gamma(x, 1.5)),
    ("noise 0.04", lambda x, i: noise(x, 0.04, np.random.default_rng(i))),
    ("blur 1.5 px", lambda x, i: blur(x, 1.5)),
    ("sharpen", lambda x, i: sharpen(x, 1.0)),
    ("jpeg q25", lambda x, i: jpeg(x, 25)),
    ("resolution 1/3", lambda x, i: resolution(x, 3.0)),
    ("rotate +7", lambda x, i: affine(x, degrees=7)),
    ("rotate -7", lambda x, i: affine(x, degrees=-7)),
    ("crop 15%", lambda x, i: affine(x, zoom=1.15)),
    ("black border 10%", lambda x, i: border(x, 0.10, 0.0)),
    ("white border 6%", lambda x, i: border(x, 0.06, 1.0)),
    ("burned-in text", lambda x, i: text(x, random.Random(i), 6)),
)


def random_shift(x: np.ndarray, rng: random.Random) -> np.ndarray:
    """Training augmentation for the shifts above that train.py's tensor augmentation
    (affine, gamma, contrast, brightness, noise) does not cover: each applied with
    some probability, at a random strength up to somewhat beyond the stress level."""
    if rng.random() < 0.25:
        x = blur(x, rng.uniform(0.5, 2.0)) if rng.random() < 0.6 else sharpen(x, rng.uniform(0.3, 1.5))
    if rng.random() < 0.2:
        x = resolution(x, rng.uniform(1.5, 4.0))
    if rng.random() < 0.2:
        x = jpeg(x, rng.randrange(15, 80))
    if rng.random() < 0.15:
        x = border(x, rng.uniform(0.02, 0.14), 0.0 if rng.random() < 0.7 else 1.0)
    if rng.random() < 0.3:
        x = text(x, rng, rng.randrange(1, 7))
    return x
