"""Score models on the validation split under each shift of `shifts.STRESS`, side by side.

    python training/stress.py --data ../shared/data/chest_xray --list model/val_files.txt \
        model/1.0.0/model.json model/model.json [--markdown model/STRESS.md]

Each card's ONNX runs in onnxruntime on the validation images (listed relative to
train/), each image transformed by one shift at a time; the figures are at each card's
own threshold. The same function scores the shifts inside train.py, where the
threshold rule uses them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import LABELS, load_grey  # noqa: E402
from shifts import STRESS  # noqa: E402


def shifted_logits(session: ort.InferenceSession, mean: float, std: float, images: list[np.ndarray]) -> dict:
    """{shift name: logits of every image under that shift} (float64 arrays)."""
    out = {}
    for name, shift in STRESS:
        logits = []
        for i, image in enumerate(images):
            x = ((shift(image, i) - mean) / std).astype(np.float32)[None, None]
            logits.append(float(session.run(["logit"], {"image": x})[0][0, 0]))
        out[name] = np.array(logits, dtype=np.float64)
    return out


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def summary(labels: np.ndarray, probs: np.ndarray, threshold: float, band=None) -> dict:
    called = probs >= threshold
    pos, neg = labels == 1, labels == 0
    out = {
        "sensitivity": float((called & pos).sum() / max(pos.sum(), 1)),
        "specificity": float((~called & neg).sum() / max(neg.sum(), 1)),
        "accuracy": float((called == pos).mean()),
        "auc": float(roc_auc_score(labels, probs)),
        "ece": ece(labels, probs),
    }
    if band is not None:
        out["borderline"] = float(((probs >= band[0]) & (probs <= band[1])).mean())
    return out


def ece(labels: np.ndarray, probs: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |mean probability - fraction positive| per equal-width
    bin, weighted by the bin's share of images."""
    index = np.minimum((probs * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = index == b
        if inside.any():
            total += inside.mean() * abs(probs[inside].mean() - labels[inside].mean())
    return float(total)


def load_list(data: Path, list_file: Path):
    rels = [line.strip() for line in list_file.read_text().splitlines() if line.strip()]
    labels = np.array([LABELS.index(rel.split("/")[0]) for rel in rels])
    images = [load_grey(data / "train" / rel) for rel in rels]
    return images, labels


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--list", type=Path, required=True)
    p.add_argument("--markdown", type=Path, help="also write the table here")
    p.add_argument("cards", type=Path, nargs="+")
    args = p.parse_args()
    images, labels = load_list(args.data, args.list)
    results = {}
    for card_path in args.cards:
        card = json.loads(card_path.read_text())
        session = ort.InferenceSession(str(card_path.parent / card["onnx"]["file"]), providers=["CPUExecutionProvider"])
        pre = card["preprocess"]
        band = card.get("borderline")
        band = (band["low"], band["high"]) if band else None
        logits = shifted_logits(session, pre["mean"], pre["std"], images)
        results[card["version"]] = {
            name: summary(labels, sigmoid(v), card["threshold"]["probability"], band) for name, v in logits.items()
        }
        print(f"{card_path}: done", flush=True)
    versions = list(results)
    head = "| shift | " + " | ".join(f"{v} sens | {v} spec | {v} AUC | {v} ECE" for v in versions) + " |"
    lines = [
        f"Validation split ({len(labels)} images: {int((labels == 0).sum())} NORMAL, {int((labels == 1).sum())} "
        "PNEUMONIA, patient-grouped, never trained on), each card at its own threshold. Command: "
        "`python training/stress.py --data ../shared/data/chest_xray --list model/val_files.txt "
        + " ".join(str(c) for c in args.cards)
        + "`",
        "",
        head,
        "|" + " --- |" * (1 + 4 * len(versions)),
    ]
    for name, _ in STRESS:
        cells = []
        for v in versions:
            r = results[v][name]
            cells += [f"{r['sensitivity']:.3f}", f"{r['specificity']:.3f}", f"{r['auc']:.4f}", f"{r['ece']:.3f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    worst = []
    for v in versions:
        rs = results[v].values()
        worst += [f"{min(r['sensitivity'] for r in rs):.3f}", f"{min(r['specificity'] for r in rs):.3f}",
                  f"{min(r['auc'] for r in rs):.4f}", f"{max(r['ece'] for r in rs):.3f}"]
    lines.append("| **worst** | " + " | ".join(worst) + " |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
