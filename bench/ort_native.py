"""Native onnxruntime timings for bench/run.sh, printed as one JSON object.

    python ort_native.py model RUNS THREADS IMAGE   # the model alone, on IMAGE's input
    python ort_native.py files REPS THREADS FILE... # Pillow preprocessing + model per file
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fastapi_server import PRE, predict_bytes, preprocess, session  # noqa: E402


def main() -> None:
    command, count, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    t0 = time.perf_counter()
    sess = session(threads)
    load_ms = (time.perf_counter() - t0) * 1000
    if command == "model":
        x, _, _ = preprocess(Path(sys.argv[4]).read_bytes())
        feed = {PRE["input_name"]: x}
        for _ in range(10):
            sess.run(None, feed)
        times = []
        for _ in range(count):
            start = time.perf_counter()
            logit = sess.run(None, feed)[0]
            times.append((time.perf_counter() - start) * 1000)
        print(json.dumps({"load_ms": load_ms, "logit": float(logit.ravel()[0]), "ms": times}))
    elif command == "files":
        files = sys.argv[4:]
        data = [Path(f).read_bytes() for f in files]
        for d, f in zip(data, files):
            predict_bytes(sess, d, f)
        rows = []
        for rep in range(count):
            for d, f in zip(data, files):
                start = time.perf_counter()
                _, body = predict_bytes(sess, d, f)
                rows.append({"rep": rep, "file": f, "ms": (time.perf_counter() - start) * 1000,
                             "probability": body.get("probability")})
        print(json.dumps({"rows": rows}))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
