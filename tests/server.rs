//! The HTTP server over real HTTP on loopback: good, refused and bad uploads, limits,
//! back-pressure, and the `serve` command's graceful shutdown.
#![cfg(feature = "native")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use pneumoscan::server::{Limits, app};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// A server on an ephemeral loopback port, running until the runtime is dropped.
fn start(limits: Limits) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = app(Arc::new(common::classifier()), &limits);
    runtime.spawn(async move { axum::serve(listener, router).await });
    (runtime, base)
}

/// `POST /predict` with `bytes` as the multipart field `field`, file name `name`.
async fn post_file(base: &str, field: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part(
        field.to_string(),
        Part::bytes(bytes).file_name(name.to_string()),
    );
    reqwest::Client::new()
        .post(format!("{base}/predict"))
        .multipart(form)
        .send()
        .await
        .expect("request")
}

fn upload(
    runtime: &tokio::runtime::Runtime,
    base: &str,
    field: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    runtime.block_on(async {
        let response = post_file(base, field, name, bytes).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    })
}

#[test]
fn health_and_readiness() {
    let (runtime, base) = start(Limits::default());
    runtime.block_on(async {
        for (path, status) in [("/healthz", "alive"), ("/readyz", "ready")] {
            let response = reqwest::get(format!("{base}{path}"))
                .await
                .expect("request");
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["status"], status);
        }
    });
}

#[test]
fn predict_answers_like_the_library() {
    let Some(data) = common::data_dir("predict_answers_like_the_library") else {
        return;
    };
    let (runtime, base) = start(Limits::default());
    let bytes = std::fs::read(data.join("originals/PNEUMONIA/person1177_bacteria_3125.jpeg"))
        .expect("read");
    let (status, body) = upload(&runtime, &base, "file", "person1177.jpeg", bytes.clone());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["filename"], "person1177.jpeg");
    assert_eq!(body["status"], "ok");
    let library = common::classifier().classify(&bytes).expect("classifies");
    assert_eq!(body["prediction"], library.label.as_str());
    let p = body["probability"].as_f64().expect("probability");
    assert!((p - library.probability).abs() < 1e-12);
    assert_eq!(body["threshold"].as_f64(), Some(library.threshold));
    assert_eq!(
        body["heatmap"]["logits"].as_array().map(Vec::len),
        Some(14 * 14)
    );

    let photo = std::fs::read(data.join("ood/non_xray/skimage_astronaut.png")).expect("read");
    let (status, body) = upload(&runtime, &base, "file", "astronaut.png", photo);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["status"], "refused");
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("not a chest X-ray")
    );
}

#[test]
fn bad_uploads_get_json_4xx() {
    let (runtime, base) = start(Limits {
        max_body_bytes: 1024 * 1024,
        ..Limits::default()
    });
    let (status, body) = upload(&runtime, &base, "file", "notes.jpg", b"just text".to_vec());
    assert_eq!(status, 415, "{body}");
    assert!(body["error"].as_str().expect("error").contains("text file"));

    let (status, body) = upload(&runtime, &base, "image", "x.png", b"whatever".to_vec());
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().expect("error").contains("\"file\""));

    let (status, body) = upload(
        &runtime,
        &base,
        "file",
        "big.jpg",
        vec![0xFF; 2 * 1024 * 1024],
    );
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].is_string());

    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{base}/predict"))
            .json(&serde_json::json!({ "file": "nope" }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 415);
        let body: Value = response.json().await.expect("json");
        assert!(body["error"].as_str().expect("error").contains("multipart"));
    });
}

#[test]
fn saturated_server_answers_503_with_retry_after() {
    let (runtime, base) = start(Limits {
        max_concurrent: 0,
        ..Limits::default()
    });
    runtime.block_on(async {
        let response = post_file(&base, "file", "x.png", vec![1, 2, 3]).await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
    });
}

#[test]
fn serve_command_stops_cleanly_on_sigterm() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(["serve", "--port", &port.to_string()])
        .env_remove("PNEUMOSCAN_MODEL")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts serve");
    let base = format!("http://127.0.0.1:{port}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let ready = runtime.block_on(async {
        for _ in 0..100 {
            if let Ok(response) = reqwest::get(format!("{base}/readyz")).await {
                return response.status() == 200;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("serve exits");
    assert!(ready, "serve did not become ready on port {port}");
    assert!(killed.success());
    assert!(status.success(), "serve exited with {status}");
}
