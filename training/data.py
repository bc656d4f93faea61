"""Data set reading, the patient-grouped validation split, and preprocessing.

Preprocessing here must equal the Rust crate's (`src/preprocess.rs`) exactly; both
follow the `preprocess` section of `model/model.json`:
  1. decode to RGB (or grey), values scaled to [0, 1] as float32;
  2. grey = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma, as PIL's "L" mode);
  3. squash (no crop) to the model's square input size with a triangle filter;
  4. (grey - mean) / std.
The Kermany copy we train on is already 224x224, so step 3 is the identity here.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
from PIL import Image

LABELS = ("NORMAL", "PNEUMONIA")
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

_PATIENT_PATTERNS = (
    re.compile(r"^(person\d+)_"),  # person123_bacteria_456.jpeg
    re.compile(r"^(NORMAL2-IM-\d+)-"),  # NORMAL2-IM-0458-0001.jpeg
    re.compile(r"^(IM-\d+)-"),  # IM-0115-0001.jpeg
)


def patient_id(filename: str) -> str:
    """The patient a Kermany file name belongs to (files of one patient share it)."""
    for pattern in _PATIENT_PATTERNS:
        match = pattern.match(filename)
        if match:
            return match.group(1)
    raise ValueError(f"no patient id in file name {filename!r}")


def list_split(root: Path, split: str = "train") -> list[tuple[str, int]]:
    """(relative path, label index) for every image of `root/split/{NORMAL,PNEUMONIA}`."""
    items = []
    for label_index, label in enumerate(LABELS):
        folder = root / split / label
        if not folder.is_dir():
            raise FileNotFoundError(f"missing folder {folder}")
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in {".jpeg", ".jpg", ".png"}:
                items.append((f"{label}/{path.name}", label_index))
    return items


def patient_split(items, val_fraction: float, seed: int):
    """Split items into (train, val) so that no patient is on both sides.

    Patients are shuffled with a fixed seed within each class of their first image,
    so both classes keep roughly `val_fraction` of their patients in validation.
    """
    by_patient: dict[str, list] = {}
    for item in items:
        by_patient.setdefault(patient_id(Path(item[0]).name), []).append(item)
    rng = random.Random(seed)
    val_patients = set()
    for label_index in range(len(LABELS)):
        patients = sorted(p for p, its in by_patient.items() if its[0][1] == label_index)
        rng.shuffle(patients)
        val_patients.update(patients[: round(len(patients) * val_fraction)])
    train = [it for p, its in sorted(by_patient.items()) if p not in val_patients for it in its]
    val = [it for p, its in sorted(by_patient.items()) if p in val_patients for it in its]
    return train, val


def load_grey(path: Path) -> np.ndarray:
    """Decode an image file to a float32 grey image in [0, 1] (steps 1-2 above)."""
    with Image.open(path) as image:
        if image.mode in ("L", "I;16", "I"):
            scale = 255.0 if image.mode == "L" else 65535.0
            return np.asarray(image, dtype=np.float32) / np.float32(scale)
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / np.float32(255.0)
    return (rgb[..., 0] * LUMA[0] + rgb[..., 1] * LUMA[1] + rgb[..., 2] * LUMA[2]).astype(np.float32)


def load_resized(path: Path, size: int) -> np.ndarray:
    """Grey image squashed to size x size (PIL bilinear with antialiasing, for gate calibration only)."""
    grey = load_grey(path)
    if grey.shape == (size, size):
        return grey
    image = Image.fromarray(grey, mode="F").resize((size, size), Image.BILINEAR)
    return np.asarray(image, dtype=np.float32)


def colourfulness(path: Path) -> float:
    """Mean absolute difference between colour channels, in [0, 1] units (0 for grey images)."""
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / np.float32(255.0)
    return float(
        (np.abs(rgb[..., 0] - rgb[..., 1]) + np.abs(rgb[..., 1] - rgb[..., 2]) + np.abs(rgb[..., 0] - rgb[..., 2])).mean()
        / 3.0
    )


def synthetic_pattern(name: str, size: int = 224) -> np.ndarray:
    """Integer-defined grey test pictures, drawn identically by tests/parity.rs, so that
    Rust and Python see bit-identical pixels (no JPEG decoder in between)."""
    y, x = np.mgrid[0:size, 0:size].astype(np.int64)
    if name == "diagonal":
        v = (x + y) * 255 // (2 * (size - 1))
    elif name == "rings":
        v = ((x - size // 2) ** 2 + (y - size // 2) ** 2) // 50 % 256
    elif name == "lungs":
        left = (x - 70) ** 2 * 4900 + (y - 110) ** 2 * 1600 <= 1600 * 4900
        right = (x - 154) ** 2 * 4900 + (y - 110) ** 2 * 1600 <= 1600 * 4900
        v = np.where(left | right, 60 + (y % 16), 190 + (x % 32))
    else:
        raise ValueError(name)
    return v.astype(np.uint8)


SYNTHETIC_PATTERNS = ("diagonal", "rings", "lungs")
