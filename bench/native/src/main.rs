//! Native timings for `bench/run.sh` (single thread, like the browser):
//!
//! - `model RUNS`: the model alone (tract, optimised plan) on one real preprocessed X-ray;
//! - `files REPS FILE...`: `Classifier::classify` per file (decode, gate, preprocess,
//!   inference, heatmap), with the pipeline's own stage timings;
//! - `profile RUNS`: time per tract op kind, summed over the plan's nodes.
//!
//! Every command prints one JSON object on stdout.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use pneumoscan::{Classifier, ModelCard, input, preprocess};
use serde_json::json;
use tract_onnx::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped model, or the card named by `PNEUMOSCAN_MODEL` (as the CLI's `--model`),
/// so that models can be profiled side by side (`model/1.0.0/model.json`).
fn load() -> (String, Vec<u8>) {
    let card_path = std::env::var_os("PNEUMOSCAN_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("model/model.json"));
    let card = std::fs::read_to_string(&card_path).expect("model card");
    let parsed = ModelCard::from_json(&card).expect("valid card");
    let onnx_path = card_path
        .parent()
        .expect("the card's folder")
        .join(&parsed.onnx.file);
    let onnx = std::fs::read(onnx_path).expect("model");
    (card, onnx)
}

/// The model input of a real X-ray, preprocessed exactly as `classify` does.
fn real_input(card: &ModelCard, file: &str) -> Vec<f32> {
    let bytes = std::fs::read(file).expect("input image");
    let decoded = input::decode(&bytes).expect("decodes");
    let grey = preprocess::to_grey(&decoded.image, card.preprocess.grey_weights);
    preprocess::to_model_input(&grey.image, &card.preprocess).values
}

fn ms(start: Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (card_json, onnx) = load();
    let t0 = Instant::now();
    let classifier = Classifier::new(&card_json, &onnx).expect("model loads");
    let load_ms = ms(t0);
    let card = classifier.card().clone();
    match args.first().map(String::as_str) {
        Some("model") => {
            let runs: usize = args[1].parse().expect("RUNS");
            let values = real_input(&card, &args[2]);
            for _ in 0..10 {
                classifier.model().run(values.clone()).expect("runs");
            }
            let mut times = Vec::with_capacity(runs);
            let mut logit = 0.0;
            for _ in 0..runs {
                let v = values.clone();
                let start = Instant::now();
                logit = classifier.model().run(v).expect("runs").logit;
                times.push(ms(start));
            }
            println!(
                "{}",
                json!({"load_ms": load_ms, "logit": logit, "ms": times})
            );
        }
        Some("files") => {
            let reps: usize = args[1].parse().expect("REPS");
            let files = &args[2..];
            let data: Vec<Vec<u8>> = files
                .iter()
                .map(|f| std::fs::read(f).expect("file"))
                .collect();
            // Warm-up: one pass.
            for bytes in &data {
                let _ = classifier.classify(bytes);
            }
            let mut rows = Vec::new();
            for rep in 0..reps {
                for (file, bytes) in files.iter().zip(&data) {
                    let start = Instant::now();
                    let p = classifier.classify(bytes).expect("classifies");
                    let total = ms(start);
                    rows.push(json!({
                        "rep": rep, "file": file, "ms": total,
                        "probability": p.probability,
                        "decode_ms": p.timings.decode_ms,
                        "preprocess_ms": p.timings.preprocess_ms,
                        "inference_ms": p.timings.inference_ms,
                        "width": p.image.width, "height": p.image.height,
                    }));
                }
            }
            println!("{}", json!({"rows": rows}));
        }
        Some("profile") => {
            let runs: usize = args[1].parse().expect("RUNS");
            let values = real_input(&card, &args[2]);
            let plan = tract_onnx::onnx()
                .model_for_read(&mut std::io::Cursor::new(&onnx))
                .and_then(|m| m.with_input_fact(0, f32::fact(card.preprocess.input_shape).into()))
                .and_then(|m| m.into_optimized())
                .and_then(|m| m.into_runnable())
                .expect("plan");
            let shape = card.preprocess.input_shape;
            let mut by_op: BTreeMap<String, (f64, usize)> = BTreeMap::new();
            let mut by_node: BTreeMap<String, f64> = BTreeMap::new();
            let mut total = 0.0;
            for run in 0..runs + 5 {
                let mut state =
                    tract_onnx::tract_core::plan::SimpleState::new(&plan).expect("state");
                let input = Tensor::from_shape(&shape, &values).expect("tensor");
                let start = Instant::now();
                state
                    .run_plan_with_eval(tvec!(input.into()), |session, op_state, node, inputs| {
                        let t = Instant::now();
                        let r = tract_onnx::tract_core::plan::eval(session, op_state, node, inputs);
                        if run >= 5 {
                            let e = ms(t);
                            let entry = by_op.entry(node.op().name().to_string()).or_default();
                            entry.0 += e;
                            entry.1 += 1;
                            *by_node
                                .entry(format!("{} ({})", node.name, node.op().name()))
                                .or_default() += e;
                        }
                        r
                    })
                    .expect("runs");
                if run >= 5 {
                    total += ms(start);
                }
            }
            let n = runs as f64;
            let ops: BTreeMap<_, _> = by_op
                .into_iter()
                .map(|(k, (t, c))| (k, json!({"ms": t / n, "nodes": c / runs})))
                .collect();
            let mut nodes: Vec<_> = by_node.into_iter().map(|(k, t)| (k, t / n)).collect();
            nodes.sort_by(|a, b| b.1.total_cmp(&a.1));
            nodes.truncate(15);
            println!(
                "{}",
                json!({"total_ms": total / n, "by_op": ops, "top_nodes": nodes})
            );
        }
        Some("resize") => {
            // A/B of the squash: image's generic resize vs ours, interleaved, per file.
            let reps: usize = args[1].parse().expect("REPS");
            let mut rows = Vec::new();
            for file in &args[2..] {
                let bytes = std::fs::read(file).expect("file");
                let decoded = input::decode(&bytes).expect("decodes");
                let grey = preprocess::to_grey(&decoded.image, card.preprocess.grey_weights).image;
                let (mut image_ms, mut ours_ms) = (Vec::new(), Vec::new());
                let mut max_diff = 0.0f32;
                for rep in 0..reps {
                    for which in if rep % 2 == 0 { [0, 1] } else { [1, 0] } {
                        let start = Instant::now();
                        if which == 0 {
                            let a = image::imageops::resize(
                                &grey,
                                224,
                                224,
                                image::imageops::FilterType::Triangle,
                            );
                            image_ms.push(ms(start));
                            let b = preprocess::resize_triangle(&grey, 224, 224);
                            for (x, y) in a.as_raw().iter().zip(b.as_raw()) {
                                max_diff = max_diff.max((x - y).abs());
                            }
                        } else {
                            let _ = preprocess::resize_triangle(&grey, 224, 224);
                            ours_ms.push(ms(start));
                        }
                    }
                }
                let med = |v: &mut Vec<f64>| {
                    v.sort_by(f64::total_cmp);
                    v[v.len() / 2]
                };
                rows.push(json!({"file": file, "width": grey.width(), "height": grey.height(),
                    "image_ms": med(&mut image_ms), "ours_ms": med(&mut ours_ms), "max_abs_diff": max_diff}));
            }
            println!("{}", json!({"rows": rows}));
        }
        _ => {
            eprintln!(
                "usage: pneumoscan-bench model RUNS IMAGE | files REPS FILE... | profile RUNS IMAGE"
            );
            std::process::exit(2);
        }
    }
}
