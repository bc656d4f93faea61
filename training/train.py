"""Train the Pneumoscan CNN and write model/pneumonia.onnx and model/model.json.

    python training/train.py --data ../shared/data/chest_xray --out model

Reads train/{NORMAL,PNEUMONIA} under --data, holds out a patient-grouped validation
split (seeded; its file list is written to <out>/val_files.txt), trains from scratch on
CPU, chooses the decision threshold on the validation split, calibrates the
out-of-distribution gate, exports ONNX, checks it against PyTorch with onnxruntime,
and writes the model card and the parity fixture the Rust tests use.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn.functional as F
from sklearn.covariance import LedoitWolf
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import LABELS, LUMA, SYNTHETIC_PATTERNS, colourfulness, list_split, load_grey, patient_split, synthetic_pattern  # noqa: E402
from net import Exported, Gaussian, PneumoNet, count_macs  # noqa: E402

INPUT_SIZE = 224
# Gate limits as multiples of the validation X-rays' 99.9th percentile (features, layout):
# generous, so that X-rays framed or exposed unlike the pediatric set still pass.
GATE_MARGIN = (1.3, 1.5)
# Principal components kept by each gate's Gaussian (None: all), to keep the ONNX small.
GATE_COMPONENTS = (32, None)
MODEL_VERSION = "1.0.0"


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="chest_xray root holding train/NORMAL and train/PNEUMONIA")
    p.add_argument("--out", type=Path, default=Path("model"), help="output folder for the onnx and the model card")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--low-res-epochs", type=int, default=12, help="first epochs trained at --low-res for speed")
    p.add_argument("--low-res", type=int, default=176)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--val-fraction", type=float, default=0.15)
    p.add_argument("--min-sensitivity", type=float, default=0.95)
    p.add_argument("--seed", type=int, default=20261123)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--limit", type=int, default=0, help="use only this many training images (smoke tests)")
    p.add_argument("--checkpoint", type=Path, default=Path("training/checkpoint.pt"), help="trained weights (not committed)")
    p.add_argument("--export-only", action="store_true", help="skip training: load --checkpoint, redo gate, export, card")
    return p.parse_args()


def seed_everything(seed: int):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_images(root: Path, items) -> torch.Tensor:
    arrays = [load_grey(root / "train" / rel) for rel, _ in items]
    for (rel, _), a in zip(items, arrays):
        if a.shape != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"{rel}: expected {INPUT_SIZE}x{INPUT_SIZE}, got {a.shape}")
    return torch.from_numpy(np.stack(arrays)).unsqueeze(1)


def augment(x: torch.Tensor, size: int) -> torch.Tensor:
    """Random affine (rotation, zoom, aspect, shift), gamma, contrast, brightness, noise."""
    n = x.shape[0]

    def uniform(scale):
        return (torch.rand(n) * 2 - 1) * scale

    angle = uniform(math.radians(10))
    zoom = 1 + uniform(0.12)
    aspect = torch.exp(uniform(0.12))
    sx, sy = zoom * aspect, zoom / aspect
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [
            torch.stack([cos / sx, -sin / sx, uniform(0.08)], 1),
            torch.stack([sin / sy, cos / sy, uniform(0.08)], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, (n, 1, size, size), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False).clamp(0, 1)
    gamma = torch.exp(torch.randn(n) * 0.25).view(n, 1, 1, 1)
    x = x.clamp_min(1e-6) ** gamma
    mean = x.mean((1, 2, 3), keepdim=True)
    contrast = torch.exp(torch.randn(n) * 0.15).view(n, 1, 1, 1)
    brightness = (torch.randn(n) * 0.05).view(n, 1, 1, 1)
    x = (x - mean) * contrast + mean + brightness
    x = x + torch.randn_like(x) * (torch.rand(n) * 0.02).view(n, 1, 1, 1)
    return x.clamp(0, 1)


def batches(n: int, batch: int, shuffle: bool):
    order = torch.randperm(n) if shuffle else torch.arange(n)
    for start in range(0, n, batch):
        yield order[start : start + batch]


@torch.no_grad()
def run_eval(net: PneumoNet, images: torch.Tensor, norm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits, block channel means and layouts for un-augmented images."""
    net.eval()
    outs = [[], [], []]
    for idx in batches(len(images), 128, shuffle=False):
        for out, value in zip(outs, net.gate_features((images[idx] - norm[0]) / norm[1])):
            out.append(value)
    return tuple(torch.cat(o).numpy() for o in outs)


def fit_gaussian(samples: np.ndarray, components: int | None) -> Gaussian:
    """Probabilistic PCA of the Ledoit-Wolf-shrunk covariance: the top `components`
    directions with their own variances, the mean of the other variances for the rest.
    `None` keeps every direction (a full Mahalanobis distance). Variances are floored at
    1% of their mean so the distance stays well conditioned in float32."""
    lw = LedoitWolf().fit(samples)
    eigenvalues, eigenvectors = np.linalg.eigh(lw.covariance_)  # ascending
    eigenvalues = np.maximum(eigenvalues, 0.01 * eigenvalues.mean())
    k = len(eigenvalues) if components is None else components
    inv_residual = 0.0 if k == len(eigenvalues) else float(1.0 / eigenvalues[:-k].mean())
    return Gaussian(
        torch.from_numpy(lw.location_.astype(np.float32)),
        torch.from_numpy(eigenvectors[:, -k:].astype(np.float32)),
        torch.from_numpy((1.0 / eigenvalues[-k:]).astype(np.float32)),
        inv_residual,
    )


def metrics(labels: np.ndarray, probs: np.ndarray, threshold: float) -> dict:
    pred = probs >= threshold
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp = int(((pred == 1) & (labels == 0)).sum())
    tn = int(((pred == 0) & (labels == 0)).sum())
    fn = int(((pred == 0) & (labels == 1)).sum())
    sens = tp / max(tp + fn, 1)
    spec = tn / max(tn + fp, 1)
    prec = tp / max(tp + fp, 1)
    return {
        "n": int(len(labels)),
        "accuracy": (tp + tn) / len(labels),
        "sensitivity": sens,
        "specificity": spec,
        "precision": prec,
        "f1": 2 * prec * sens / max(prec + sens, 1e-12),
        "auc": float(roc_auc_score(labels, probs)),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
    }


def choose_threshold(labels: np.ndarray, probs: np.ndarray, min_sensitivity: float) -> float:
    """Best balanced accuracy among thresholds keeping sensitivity >= min_sensitivity.

    Candidate thresholds are midpoints between consecutive distinct probabilities, so no
    validation image sits exactly on the threshold.
    """
    values = np.unique(probs)
    candidates = (values[:-1] + values[1:]) / 2
    called = probs[None, :] >= candidates[:, None]  # one row per candidate
    sensitivity = (called & (labels == 1)).sum(1) / max((labels == 1).sum(), 1)
    specificity = (~called & (labels == 0)).sum(1) / max((labels == 0).sum(), 1)
    score = np.where(sensitivity >= min_sensitivity, sensitivity + specificity, -1.0)
    return float(candidates[int(np.argmax(score))])


def export_onnx(exported: Exported, path: Path):
    dummy = torch.zeros(1, 1, INPUT_SIZE, INPUT_SIZE)
    torch.onnx.export(
        exported,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=["logit", "cam", "ood_features", "ood_layout"],
        opset_version=13,
        do_constant_folding=True,
        dynamo=False,
    )


def main():
    args = parse_args()
    started = time.time()
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)

    items = list_split(args.data, "train")
    train_items, val_items = patient_split(items, args.val_fraction, args.seed)
    if args.limit:
        train_items = random.Random(args.seed).sample(train_items, args.limit)
        val_items = val_items[:: max(1, len(val_items) // 100)]
    (args.out / "val_files.txt").write_text("".join(f"{rel}\n" for rel, _ in val_items))
    print(f"train {len(train_items)} images, val {len(val_items)} images", flush=True)

    train_x = load_images(args.data, train_items)
    val_x = load_images(args.data, val_items)
    train_y = torch.tensor([y for _, y in train_items], dtype=torch.float32)
    val_y = np.array([y for _, y in val_items])
    norm = (float(train_x.mean()), float(train_x.std()))
    print(f"loaded in {time.time() - started:.0f}s; pixel mean {norm[0]:.4f} std {norm[1]:.4f}", flush=True)

    net = PneumoNet()
    if args.export_only:
        checkpoint = torch.load(args.checkpoint)
        net.load_state_dict(checkpoint["state_dict"])
        train_minutes = checkpoint["minutes"]
    else:
        train(args, net, norm, train_x, train_y, val_x, val_y)
        train_minutes = (time.time() - started) / 60
        torch.save({"state_dict": net.state_dict(), "minutes": train_minutes}, args.checkpoint)
    export(args, net, norm, train_items, val_items, val_x, val_y, train_x, train_minutes, started)


def train(args, net, norm, train_x, train_y, val_x, val_y):
    n_pos = float(train_y.sum())
    pos_weight = torch.tensor((len(train_y) - n_pos) / n_pos)
    optimiser = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    steps = args.epochs * math.ceil(len(train_x) / args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=steps, pct_start=0.2)

    for epoch in range(args.epochs):
        size = args.low_res if epoch < args.low_res_epochs else INPUT_SIZE
        net.train()
        t0, total = time.time(), 0.0
        for idx in batches(len(train_x), args.batch, shuffle=True):
            x = (augment(train_x[idx], size) - norm[0]) / norm[1]
            y = train_y[idx] * 0.95 + 0.025  # label smoothing
            loss = F.binary_cross_entropy_with_logits(net(x), y, pos_weight=pos_weight)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(idx)
        logits = run_eval(net, val_x, norm)[0]
        auc = roc_auc_score(val_y, logits)
        print(
            f"epoch {epoch + 1}/{args.epochs} size {size} loss {total / len(train_x):.4f} "
            f"val auc {auc:.4f} ({time.time() - t0:.0f}s)",
            flush=True,
        )


def export(args, net, norm, train_items, val_items, val_x, val_y, train_x, train_minutes, started):
    """Calibrate the gate, export and check the ONNX, write the model card and parity list."""
    # Out-of-distribution gate: Gaussian models of the training X-rays' block channel
    # means and 14x14 layouts; distances are exported as two extra ONNX outputs.
    _, train_means, train_layouts = run_eval(net, train_x, norm)
    gates = fit_gaussian(train_means, GATE_COMPONENTS[0]), fit_gaussian(train_layouts, GATE_COMPONENTS[1])
    exported = Exported(net.eval(), *gates).eval()

    onnx_path = args.out / "pneumonia.onnx"
    export_onnx(exported, onnx_path)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ort_logits, ort_ood, max_diff, max_ood_rel = [], [], 0.0, 0.0
    with torch.no_grad():
        for i in range(len(val_x)):
            x = (val_x[i : i + 1] - norm[0]) / norm[1]
            t_out = [o.numpy() for o in exported(x)]
            o_out = session.run(None, {"image": x.numpy()})
            diffs = [float(np.abs(a - b).max()) for a, b in zip(t_out, o_out)]
            max_diff = max(max_diff, diffs[0], diffs[1])
            for k in (2, 3):
                max_ood_rel = max(max_ood_rel, diffs[k] / max(1.0, float(np.abs(t_out[k]).max())))
            ort_logits.append(float(o_out[0][0, 0]))
            ort_ood.append((float(o_out[2][0, 0]), float(o_out[3][0, 0])))
    print(f"onnxruntime vs PyTorch: logit/CAM max abs difference {max_diff:.2e}, "
          f"gate score max relative difference {max_ood_rel:.2e}", flush=True)
    if max_diff >= 1e-4 or max_ood_rel >= 1e-3:
        raise SystemExit(f"ONNX export differs from PyTorch: {max_diff}, {max_ood_rel}")

    probs = 1 / (1 + np.exp(-np.array(ort_logits, dtype=np.float64)))
    threshold = choose_threshold(val_y, probs, args.min_sensitivity)
    val_metrics = metrics(val_y, probs, threshold)
    print("validation:", json.dumps(val_metrics), flush=True)

    ood_val = np.array(ort_ood)
    features_limit = float(np.quantile(ood_val[:, 0], 0.999) * GATE_MARGIN[0])
    layout_limit = float(np.quantile(ood_val[:, 1], 0.999) * GATE_MARGIN[1])
    val_accepted = float(np.mean((ood_val[:, 0] <= features_limit) & (ood_val[:, 1] <= layout_limit)))
    sample = random.Random(args.seed).sample(train_items, min(500, len(train_items)))
    colour = np.array([colourfulness(args.data / "train" / rel) for rel, _ in sample])
    grey_std = np.array([float(load_grey(args.data / "train" / rel).std()) for rel, _ in sample])

    parity = []
    for label in range(len(LABELS)):
        chosen = [i for i, (_, y) in enumerate(val_items) if y == label][:8]
        for i in chosen:
            parity.append(
                {
                    "file": f"train/{val_items[i][0]}",
                    "logit": ort_logits[i],
                    "probability": float(probs[i]),
                    "ood_features": ort_ood[i][0],
                    "ood_layout": ort_ood[i][1],
                }
            )
    synthetic = []
    for name in SYNTHETIC_PATTERNS:
        grey = synthetic_pattern(name).astype(np.float32) / np.float32(255.0)  # as load_grey on an 8-bit PNG
        x = ((grey - norm[0]) / norm[1]).astype(np.float32)[None, None]
        logit = float(session.run(None, {"image": x})[0][0, 0])
        synthetic.append({"pattern": name, "logit": logit, "probability": float(1 / (1 + np.exp(-logit)))})
    (args.out / "parity.json").write_text(
        json.dumps(
            {
                "about": "probabilities from onnxruntime for pixels decoded by Pillow; tests/parity.rs checks "
                "that the Rust path reproduces them. Synthetic patterns: bit-identical pixels, tolerance 1e-4. "
                "JPEG files: Pillow (libjpeg-turbo) and image (zune-jpeg) differ by one grey level on about 0.5% "
                "of pixels, hence jpeg_tolerance.",
                "tolerance": 1e-4,
                "jpeg_tolerance": 2e-3,
                "synthetic": synthetic,
                "files": parity,
            },
            indent=1,
        )
        + "\n"
    )

    onnx_bytes = onnx_path.read_bytes()
    macs = count_macs(net, INPUT_SIZE)
    card = {
        "name": "pneumoscan-pneumonia",
        "version": MODEL_VERSION,
        "onnx": {"file": onnx_path.name, "sha256": hashlib.sha256(onnx_bytes).hexdigest(), "bytes": len(onnx_bytes)},
        "architecture": {
            "description": "8 conv3x3+BN+ReLU blocks (strides 2,2,1,2,1,2,1,1; 16-128 channels), "
            "global average pool, linear; trained from scratch",
            "parameters": sum(p.numel() for p in net.parameters()),
            "mflops": round(2 * macs / 1e6, 1),
            "outputs": {
                "logit": "pneumonia logit, shape [1,1]; probability = sigmoid(logit)",
                "cam": "class activation map in logit units, shape [1,1,14,14]; its mean equals the logit",
                "ood_features": "squared Mahalanobis distance of every block's channel means from the "
                "training images', shape [1,1]",
                "ood_layout": "squared Mahalanobis distance of the 14x14 input thumbnail from the "
                "training images', shape [1,1]",
            },
        },
        "preprocess": {
            "input_name": "image",
            "input_shape": [1, 1, INPUT_SIZE, INPUT_SIZE],
            "channels": "grey",
            "grey_weights": [float(w) for w in LUMA],
            "value_scale": "8-bit values / 255, 16-bit values / 65535; alpha ignored",
            "resize": {"mode": "squash", "width": INPUT_SIZE, "height": INPUT_SIZE, "filter": "triangle"},
            "mean": norm[0],
            "std": norm[1],
        },
        "labels": list(LABELS),
        "threshold": {
            "probability": threshold,
            "rule": f"highest sensitivity+specificity on the validation split among thresholds "
            f"with sensitivity >= {args.min_sensitivity}",
        },
        "validation": {
            "split": "patient-grouped hold-out of the Kermany train split "
            f"({args.val_fraction:.0%} of patients, seed {args.seed}); file list in val_files.txt",
            **val_metrics,
            "threshold": threshold,
        },
        "gate": {
            "max_colourfulness": float(max(0.05, colour.max() * 3)),
            "min_grey_std": float(min(0.05, grey_std.min() / 2)),
            "max_features_score": features_limit,
            "max_layout_score": layout_limit,
            "rule": f"score limits are {GATE_MARGIN[0]}x and {GATE_MARGIN[1]}x the 99.9th percentile of the "
            "validation X-rays' scores; colour limit 3x the largest in 500 training images (at least 0.05); "
            "contrast limit half the smallest (at most 0.05). Tuned on X-rays only, never on non-X-rays.",
            "calibration": {
                "train_colourfulness_max": float(colour.max()),
                "train_grey_std_min": float(grey_std.min()),
                "val_features_median": float(np.median(ood_val[:, 0])),
                "val_features_p999": float(np.quantile(ood_val[:, 0], 0.999)),
                "val_layout_median": float(np.median(ood_val[:, 1])),
                "val_layout_p999": float(np.quantile(ood_val[:, 1], 0.999)),
                "val_accepted": val_accepted,
            },
        },
        "training": {
            "command": " ".join(["python", "training/train.py", *(a for a in sys.argv[1:] if a != "--export-only")]),
            "seed": args.seed,
            "epochs": args.epochs,
            "train_images": len(train_items),
            "minutes": round(train_minutes, 1),
            "onnx_vs_pytorch_max_abs_diff": max_diff,
            "onnx_vs_pytorch_gate_max_rel_diff": max_ood_rel,
            "torch": torch.__version__,
            "onnxruntime": ort.__version__,
        },
        "data": {
            "citation": "Kermany, D. S., Goldbaum, M., et al. (2018). Identifying Medical Diagnoses and "
            "Treatable Diseases by Image-Based Deep Learning. Cell 172(5):1122-1131. "
            "Data: Mendeley Data v2, doi:10.17632/rscbjbr9sj.2",
            "licence": "CC BY 4.0",
            "population": "pediatric patients aged 1-5, Guangzhou Women and Children's Medical Center, "
            "anterior-posterior chest radiographs",
        },
        "intended_use": "Education and research: a second look at frontal pediatric chest X-rays for "
        "signs of pneumonia. Not a diagnosis.",
        "not_for_clinical_use": "Not for clinical use. This model has not been validated for diagnosis "
        "and must not guide the care of any patient.",
    }
    (args.out / "model.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {onnx_path} ({len(onnx_bytes)} bytes) and model.json in {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
