"""The comparison server of bench/run.sh: a minimal FastAPI + onnxruntime /predict.

Same model, same multipart contract as `pneumoscan serve` (field `file`; 200 with
probability, label, gate scores and heatmap; 422 when the gate refuses; 415 when Pillow
cannot read it), with the preprocessing a Python developer would write, which is the
training code's (training/data.py): Pillow decode, grey by BT.601 luma, squash to 224
with Pillow's bilinear (a triangle filter when shrinking), (grey - mean) / std.

    uvicorn --app-dir bench fastapi_server:app --workers 2 --port 8000

One onnxruntime thread per worker process (BENCH_ORT_THREADS), one worker per core.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI, File, UploadFile
from fastapi.responses import JSONResponse
from PIL import Image, UnidentifiedImageError

ROOT = Path(__file__).resolve().parent.parent
CARD = json.loads((ROOT / "model" / "model.json").read_text())
PRE = CARD["preprocess"]
SIZE = PRE["resize"]["width"], PRE["resize"]["height"]
LUMA = np.array(PRE["grey_weights"], dtype=np.float32)
MEAN, STD = np.float32(PRE["mean"]), np.float32(PRE["std"])
THRESHOLD = CARD["threshold"]["probability"]
GATE = CARD["gate"]


def session(threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(
        str(ROOT / "model" / CARD["onnx"]["file"]), options, providers=["CPUExecutionProvider"]
    )


def preprocess(data: bytes) -> tuple[np.ndarray, float, float]:
    """File bytes → (1x1x224x224 float32 input, colourfulness, grey std)."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        colour = 0.0
        if image.mode in ("L", "I;16", "I"):
            scale = 255.0 if image.mode == "L" else 65535.0
            grey = np.asarray(image, dtype=np.float32) / np.float32(scale)
        else:
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / np.float32(255.0)
            r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
            colour = float((np.abs(r - g) + np.abs(g - b) + np.abs(r - b)).mean() / 3.0)
            grey = r * LUMA[0] + g * LUMA[1] + b * LUMA[2]
    if grey.shape != (SIZE[1], SIZE[0]):
        grey = np.asarray(Image.fromarray(grey, mode="F").resize(SIZE, Image.BILINEAR), dtype=np.float32)
    std = float(grey.std())
    return ((grey - MEAN) / STD)[None, None], colour, std


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def predict_bytes(sess: ort.InferenceSession, data: bytes, filename: str) -> tuple[int, dict]:
    x, colour, grey_std = preprocess(data)
    logit, cam, features, layout = sess.run(None, {PRE["input_name"]: x})
    logit, features, layout = float(logit.ravel()[0]), float(features.ravel()[0]), float(layout.ravel()[0])
    gate = {"colourfulness": colour, "grey_std": grey_std, "features_score": features, "layout_score": layout}
    refusal = None
    if colour > GATE["max_colourfulness"]:
        refusal = "not a chest X-ray: this is a colour image"
    elif grey_std < GATE["min_grey_std"]:
        refusal = "not a chest X-ray: the image is nearly blank"
    elif features > GATE["max_features_score"]:
        refusal = "not a chest X-ray: its content is unlike the training X-rays"
    elif layout > GATE["max_layout_score"]:
        refusal = "not a chest X-ray: its layout is unlike a frontal chest X-ray"
    if refusal:
        return 422, {"status": "refused", "filename": filename, "message": refusal}
    probability = sigmoid(logit)
    label = CARD["labels"][1] if probability >= THRESHOLD else CARD["labels"][0]
    logits = cam.ravel().astype(float).tolist()
    return 200, {
        "filename": filename,
        "status": "ok",
        "prediction": label,
        "label": label,
        "probability": probability,
        "threshold": THRESHOLD,
        "logit": logit,
        "heatmap": {
            "width": cam.shape[-1],
            "height": cam.shape[-2],
            "logits": logits,
            "intensity": [sigmoid(v) for v in logits],
        },
        "gate": gate,
        "refusal": None,
    }


app = FastAPI()
SESSION = session(int(os.environ.get("BENCH_ORT_THREADS", "1")))


@app.get("/readyz")
def readyz() -> dict:
    return {"status": "ready"}


@app.post("/predict")
def predict(file: UploadFile = File(...)) -> JSONResponse:  # noqa: B008 (FastAPI's idiom)
    data = file.file.read()
    try:
        status, body = predict_bytes(SESSION, data, file.filename or "upload")
    except (UnidentifiedImageError, OSError) as e:
        status, body = 415, {"error": f"not an image ({e})", "filename": file.filename}
    return JSONResponse(body, status_code=status)
