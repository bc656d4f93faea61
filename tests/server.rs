//! The HTTP server over real HTTP on loopback: good, refused and bad uploads, limits,
//! back-pressure, metrics, the web app with its headers, and the `serve` command (help,
//! JSON logs, the default dist/, graceful shutdown).
#![cfg(feature = "native")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use pneumoscan::server::{
    CACHE_IMMUTABLE, CONTENT_SECURITY_POLICY, DistError, Limits, app, app_with_web, find_dist,
    is_hashed,
};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// A server on an ephemeral loopback port, running until the runtime is dropped.
fn start(limits: Limits) -> (tokio::runtime::Runtime, String) {
    start_with_web(limits, None)
}

/// As [`start`], also serving the web bundle in `dist` when given.
fn start_with_web(limits: Limits, dist: Option<&Path>) -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let classifier = Arc::new(common::classifier());
    let router = match dist {
        Some(dist) => app_with_web(classifier, &limits, Some(dist)),
        None => app(classifier, &limits),
    };
    runtime.spawn(async move { axum::serve(listener, router).await });
    (runtime, base)
}

/// `GET base+path` with extra headers: (status, headers, body).
fn get(
    runtime: &tokio::runtime::Runtime,
    base: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    runtime.block_on(async {
        let mut request = reqwest::Client::new().get(format!("{base}{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("body").to_vec();
        (status, headers, body)
    })
}

/// A header as text, "" when absent.
fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map_or("", |v| v.to_str().expect("ASCII header"))
}

/// A vivid colour picture: decodes fine, and the gate refuses it (not a chest X-ray).
fn colour_png() -> Vec<u8> {
    let picture = RgbImage::from_fn(128, 128, |x, y| Rgb([(x * 2) as u8, (y * 2) as u8, 200]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(picture)
        .write_to(&mut bytes, ImageFormat::Png)
        .expect("encode PNG");
    bytes.into_inner()
}

/// The value of the sample line `name` (with its labels) in an OpenMetrics text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map(|value| value.trim().parse().expect("number"))
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
    let refusal = common::classifier()
        .classify(&std::fs::read(data.join("ood/non_xray/skimage_astronaut.png")).expect("read"))
        .expect("decodes")
        .refusal
        .expect("refused");
    assert_eq!(body["code"], refusal.code());
    assert_eq!(body["params"], refusal.params());
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
    assert_eq!(body["code"], "unsupported_format");
    assert_eq!(body["params"]["detail"], "this is a text file");
    assert_eq!(body["filename"], "notes.jpg");

    let (status, body) = upload(&runtime, &base, "image", "x.png", b"whatever".to_vec());
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().expect("error").contains("\"file\""));
    assert_eq!(body["code"], "missing_file_field");

    let (status, body) = upload(
        &runtime,
        &base,
        "file",
        "big.jpg",
        vec![0xFF; 2 * 1024 * 1024],
    );
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].is_string());
    assert_eq!(body["code"], "upload_too_large");
    assert_eq!(body["params"]["max_mib"], 1.0);

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
        assert_eq!(body["code"], "not_multipart");
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
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["code"], "server_busy");
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

#[test]
fn metrics_count_requests_and_classifications() {
    let (runtime, base) = start(Limits::default());
    let (status, _, _) = get(&runtime, &base, "/healthz", &[]);
    assert_eq!(status, 200);
    let (status, body) = upload(&runtime, &base, "file", "colour.png", colour_png());
    assert_eq!(status, 422, "{body}");
    let (status, body) = upload(&runtime, &base, "file", "notes.jpg", b"just text".to_vec());
    assert_eq!(status, 415, "{body}");
    let classified = common::data_dir("metrics_count_requests_and_classifications").map(|data| {
        let bytes = std::fs::read(data.join("originals/PNEUMONIA/person1177_bacteria_3125.jpeg"))
            .expect("read");
        let (status, body) = upload(&runtime, &base, "file", "person1177.jpeg", bytes);
        assert_eq!(status, 200, "{body}");
    });
    let ok = if classified.is_some() { 1.0 } else { 0.0 };

    let (status, headers, body) = get(&runtime, &base, "/metrics", &[]);
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("application/openmetrics-text"));
    assert_eq!(header(&headers, "cache-control"), "no-store");
    let text = String::from_utf8(body).expect("UTF-8");
    let count = |name: &str| sample(&text, name).unwrap_or_else(|| panic!("{name} in\n{text}"));
    assert_eq!(
        count(r#"pneumoscan_http_requests_total{route="/healthz",status="200"}"#),
        1.0
    );
    assert_eq!(
        count(r#"pneumoscan_http_requests_total{route="/predict",status="422"}"#),
        1.0
    );
    assert_eq!(
        count(r#"pneumoscan_http_requests_total{route="/predict",status="415"}"#),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            r#"pneumoscan_http_requests_total{route="/predict",status="200"}"#
        )
        .unwrap_or(0.0),
        ok
    );
    assert_eq!(
        count(r#"pneumoscan_classifications_total{outcome="refused"}"#),
        1.0
    );
    assert_eq!(
        count(r#"pneumoscan_classifications_total{outcome="error"}"#),
        1.0
    );
    assert_eq!(
        count(r#"pneumoscan_classifications_total{outcome="ok"}"#),
        ok
    );
    assert_eq!(count("pneumoscan_predict_duration_seconds_count"), 2.0 + ok);
    assert!(count(r#"pneumoscan_predict_duration_seconds_bucket{le="+Inf"}"#) >= 2.0);
    // The scrape itself is the one request in flight.
    assert_eq!(count("pneumoscan_http_requests_in_flight"), 1.0);
    assert!(text.trim_end().ends_with("# EOF"), "{text}");

    // The scrape is counted once it is answered.
    let (_, _, body) = get(&runtime, &base, "/metrics", &[]);
    let text = String::from_utf8(body).expect("UTF-8");
    assert_eq!(
        sample(
            &text,
            r#"pneumoscan_http_requests_total{route="/metrics",status="200"}"#
        ),
        Some(1.0)
    );
}

/// A fake web bundle in the contract's layout, with a `.gz` beside some files.
fn fake_dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let files: [(&str, &[u8]); 5] = [
        ("index.html", b"<!doctype html><title>Pneumoscan</title>\n"),
        ("app.0a1b2c3d.js", b"export const app = 1;\n"),
        (
            "embed.js",
            b"customElements.define(\"pneumo-scan\", class {});\n",
        ),
        ("pneumoscan_bg.0a1b2c3d.wasm", b"\0asm\x01\0\0\0"),
        ("manifest.webmanifest", b"{\"name\":\"Pneumoscan\"}\n"),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    // Not real gzip: what matters is that the .gz file is what gets sent.
    std::fs::write(dir.path().join("app.0a1b2c3d.js.gz"), b"gzipped app").expect("write");
    dir
}

#[test]
fn serves_the_web_app_with_security_and_cache_headers() {
    let dist = fake_dist();
    let (runtime, base) = start_with_web(Limits::default(), Some(dist.path()));

    let (status, headers, body) = get(&runtime, &base, "/", &[]);
    assert_eq!(status, 200);
    assert_eq!(body, b"<!doctype html><title>Pneumoscan</title>\n");
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(
        header(&headers, "content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert!(header(&headers, "permissions-policy").contains("camera=()"));
    assert_eq!(header(&headers, "access-control-allow-origin"), "");
    assert_eq!(
        header(&headers, "cross-origin-resource-policy"),
        "same-origin"
    );

    let (status, headers, _) = get(&runtime, &base, "/index.html", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(
        header(&headers, "content-security-policy"),
        CONTENT_SECURITY_POLICY
    );

    let (status, headers, body) = get(
        &runtime,
        &base,
        "/app.0a1b2c3d.js",
        &[("accept-encoding", "gzip")],
    );
    assert_eq!(status, 200);
    assert_eq!(body, b"gzipped app");
    assert_eq!(header(&headers, "content-encoding"), "gzip");
    assert!(header(&headers, "content-type").contains("javascript"));
    assert_eq!(header(&headers, "cache-control"), CACHE_IMMUTABLE);
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");
    assert_eq!(
        header(&headers, "cross-origin-resource-policy"),
        "cross-origin"
    );

    let (_, headers, body) = get(&runtime, &base, "/app.0a1b2c3d.js", &[]);
    assert_eq!(body, b"export const app = 1;\n");
    assert_eq!(header(&headers, "content-encoding"), "");

    let (status, headers, _) = get(&runtime, &base, "/pneumoscan_bg.0a1b2c3d.wasm", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/wasm");
    assert_eq!(header(&headers, "cache-control"), CACHE_IMMUTABLE);

    let (status, headers, _) = get(&runtime, &base, "/embed.js", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "cache-control"), "no-cache");
    assert_eq!(header(&headers, "access-control-allow-origin"), "*");

    let (status, headers, _) = get(&runtime, &base, "/manifest.webmanifest", &[]);
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        "application/manifest+json"
    );
    assert_eq!(header(&headers, "cache-control"), "no-cache");

    for missing in ["/missing.0a1b2c3d.js", "/some/app/route"] {
        let (status, headers, _) = get(&runtime, &base, missing, &[]);
        assert_eq!(status, 404, "{missing}");
        assert_eq!(header(&headers, "cache-control"), "no-store", "{missing}");
        assert_eq!(
            header(&headers, "content-security-policy"),
            CONTENT_SECURITY_POLICY
        );
    }

    // The API is still there, with its own cache rule and no CORS.
    let (status, headers, _) = get(&runtime, &base, "/readyz", &[]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "cache-control"), "no-store");
    assert_eq!(header(&headers, "access-control-allow-origin"), "");

    let (_, _, body) = get(&runtime, &base, "/metrics", &[]);
    let text = String::from_utf8(body).expect("UTF-8");
    assert_eq!(
        sample(
            &text,
            r#"pneumoscan_http_requests_total{route="static",status="404"}"#
        ),
        Some(2.0)
    );
}

#[test]
fn without_a_web_app_the_root_says_how_to_build_it() {
    let (runtime, base) = start(Limits::default());
    let (status, headers, body) = get(&runtime, &base, "/", &[]);
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/plain"));
    assert_eq!(
        header(&headers, "content-security-policy"),
        CONTENT_SECURITY_POLICY
    );
    let text = String::from_utf8(body).expect("UTF-8");
    assert!(text.contains("cargo xtask dist"), "{text}");
    let (status, _, _) = get(&runtime, &base, "/index.html", &[]);
    assert_eq!(status, 404);
}

#[test]
fn hashed_names_follow_the_contract_regex() {
    for hashed in [
        "/worker.1a2b3c4d.js",
        "/style.0a1b2c3d.css",
        "/pneumoscan_bg.0a1b2c3d.wasm",
        "/pneumonia.77aa00ff.onnx",
        "/model.5e6f7a8b.json",
        "/icon.00000000.svg",
    ] {
        assert!(is_hashed(hashed), "{hashed}");
    }
    for plain in [
        "/",
        "/index.html",
        "/embed.js",
        "/sw.js",
        "/worker.1A2B3C4D.js",
        "/worker.1a2b3c4.js",
        "/worker.1a2b3c4d5.js",
        "/page.1a2b3c4d.html",
        "/worker.1a2b3c4d.js.gz",
        "/1a2b3c4d.js",
    ] {
        assert!(!is_hashed(plain), "{plain}");
    }
}

#[test]
fn find_dist_checks_an_explicit_folder() {
    let dist = fake_dist();
    assert_eq!(
        find_dist(Some(dist.path())).expect("a built bundle"),
        Some(dist.path().to_path_buf())
    );
    let missing = dist.path().join("nope");
    assert!(matches!(
        find_dist(Some(&missing)),
        Err(DistError::NotADirectory(_))
    ));
    let empty = tempfile::tempdir().expect("temp dir");
    assert!(matches!(
        find_dist(Some(empty.path())),
        Err(DistError::NoIndex(_))
    ));
}

#[test]
fn serve_help_lists_every_option() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(["serve", "--help"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("UTF-8");
    for option in [
        "--host",
        "--port",
        "--max-upload-mb",
        "--max-concurrent",
        "--timeout-s",
        "--dist",
        "PNEUMOSCAN_DIST",
        "--log-format",
        "PNEUMOSCAN_LOG_FORMAT",
        "json",
        "/metrics",
    ] {
        assert!(help.contains(option), "{option} missing from\n{help}");
    }
}

#[test]
fn serve_refuses_a_missing_dist_folder() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args([
            "serve",
            "--port",
            "0",
            "--dist",
            "/nonexistent/pneumoscan-dist",
        ])
        .env_remove("PNEUMOSCAN_MODEL")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a directory"), "{stderr}");
    assert!(stderr.contains("cargo xtask dist"), "{stderr}");
}

#[test]
fn serve_logs_json_and_finds_dist_in_the_current_folder() {
    let folder = tempfile::tempdir().expect("temp dir");
    let dist = fake_dist();
    std::fs::create_dir(folder.path().join("dist")).expect("mkdir");
    std::fs::copy(
        dist.path().join("index.html"),
        folder.path().join("dist/index.html"),
    )
    .expect("copy");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(["serve", "--port", "0", "--log-format", "json"])
        .current_dir(folder.path())
        .env_remove("PNEUMOSCAN_MODEL")
        .env_remove("PNEUMOSCAN_DIST")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts serve");
    let stderr = child.stderr.take().expect("stderr");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    // Every line is a JSON object; wait for the one with the address.
    let mut logs = Vec::new();
    let address = loop {
        let Ok(line) = received.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!("serve printed no address; its logs: {logs:#?}");
        };
        let entry: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        logs.push(entry.clone());
        if entry["message"] == "pneumoscan serving" {
            break entry["address"].as_str().expect("address").to_string();
        }
    };
    assert!(
        logs.iter()
            .any(|e| e["message"] == "serving the web app" && e["dist"] == "dist"),
        "{logs:#?}"
    );
    assert!(logs.iter().all(|e| e["level"].is_string()), "{logs:#?}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (status, headers, body) = get(&runtime, &format!("http://{address}"), "/", &[]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200);
    assert_eq!(body, b"<!doctype html><title>Pneumoscan</title>\n");
    assert_eq!(header(&headers, "cache-control"), "no-cache");
}
