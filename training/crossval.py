"""Patient-grouped k-fold cross-validation of the training recipe in train.py.

    python training/crossval.py --data ../shared/data/chest_xray --folds 3 --epochs 20

Every patient of train/ lands in exactly one fold's validation side (folds are drawn per
class, as patient_split draws its hold-out); for each fold a network is trained from
scratch with train.py's recipe (same augmentation, schedule and seed), calibrated on that
fold, and scored on it under every shift of shifts.STRESS at a threshold chosen by the
card's rule on the same fold. The spread across folds says how much one validation
split's figures can be trusted; nothing here is shipped.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train as recipe  # noqa: E402
from data import LABELS, list_split, patient_id  # noqa: E402
from net import PneumoNet  # noqa: E402
from stress import ece, summary  # noqa: E402


def folds_of(items, folds: int, seed: int):
    by_patient: dict[str, list] = {}
    for item in items:
        by_patient.setdefault(patient_id(Path(item[0]).name), []).append(item)
    rng = random.Random(seed)
    fold_of = {}
    for label_index in range(len(LABELS)):
        patients = sorted(p for p, its in by_patient.items() if its[0][1] == label_index)
        rng.shuffle(patients)
        for k, p in enumerate(patients):
            fold_of[p] = k % folds
    for k in range(folds):
        train = [it for p, its in sorted(by_patient.items()) if fold_of[p] != k for it in its]
        val = [it for p, its in sorted(by_patient.items()) if fold_of[p] == k for it in its]
        yield train, val


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--low-res-epochs", type=int, default=6)
    p.add_argument("--out", type=Path, default=Path("training/crossval.json"))
    args = p.parse_args()
    started = time.time()
    base = argparse.Namespace(
        epochs=args.epochs, low_res_epochs=args.low_res_epochs, low_res=176, batch=64, lr=3e-3,
        seed=20261123, min_sensitivity=0.975, borderline_error=0.01, zoom_range=0.12,
    )
    torch.set_num_threads(2)
    items = list_split(args.data, "train")
    results = []
    for k, (train_items, val_items) in enumerate(folds_of(items, args.folds, base.seed)):
        recipe.seed_everything(base.seed)
        train_x = recipe.load_images(args.data, train_items)
        val_x = recipe.load_images(args.data, val_items)
        train_y = torch.tensor([y for _, y in train_items], dtype=torch.float32)
        val_y = np.array([y for _, y in val_items])
        norm = (float(train_x.mean()), float(train_x.std()))
        net = PneumoNet()
        recipe.train(base, net, norm, train_x, train_y, val_x, val_y)
        raw = recipe.torch_shifted_logits(net.eval(), val_x, norm)
        logits = raw["none"]
        a, b = recipe.fit_platt_pooled(raw, val_y)
        groups = [patient_id(Path(rel).name) for rel, _ in val_items]
        shifted = {name: a * v + b for name, v in raw.items()}
        threshold, _ = recipe.choose_threshold_under_shift(val_y, shifted, base.min_sensitivity)
        per_shift = {name: summary(val_y, 1 / (1 + np.exp(-v)), threshold) for name, v in shifted.items()}
        fold = {
            "fold": k,
            "train_images": len(train_items),
            "val_images": len(val_items),
            "threshold": threshold,
            "val_ece_uncalibrated": ece(val_y, 1 / (1 + np.exp(-logits))),
            "val_ece_cross_fitted": recipe.cross_fitted_ece(raw, val_y, groups, base.seed),
            "none": per_shift["none"],
            "worst_sensitivity": min(r["sensitivity"] for r in per_shift.values()),
            "worst_specificity": min(r["specificity"] for r in per_shift.values()),
            "worst_auc": min(r["auc"] for r in per_shift.values()),
        }
        print(json.dumps(fold), flush=True)
        results.append(fold)
    keys = ("auc", "sensitivity", "specificity", "accuracy")
    summary_ = {
        key: {"mean": float(np.mean([f["none"][key] for f in results])), "sd": float(np.std([f["none"][key] for f in results]))}
        for key in keys
    }
    out = {
        "command": "python training/crossval.py " + " ".join(sys.argv[1:]),
        "minutes": round((time.time() - started) / 60, 1),
        "folds": results,
        "summary": summary_,
    }
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(summary_, indent=1))


if __name__ == "__main__":
    main()
