//! The HTTP server under abuse, over real HTTP on loopback, bounded in count and time
//! (seconds): concurrent uploads of good, bad, hostile and oversize files; a client that
//! sends its body byte by byte; one that stops mid-body; one that hangs up mid-body.
//! Nothing gets a 5xx but 503 back-pressure (with `Retry-After`), memory stays bounded,
//! and the server still answers `/healthz` and classifies afterwards.
#![cfg(feature = "native")]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::corpus::{self, Expect};
use image::{DynamicImage, ImageFormat};
use pneumoscan::server::{Limits, app};
use reqwest::multipart::{Form, Part};

/// The tests here measure this process's memory and the server's latency: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A server on an ephemeral loopback port, running until the runtime is dropped.
fn start(limits: &Limits) -> (tokio::runtime::Runtime, SocketAddr) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let addr = listener.local_addr().expect("address");
    let router = app(Arc::new(common::classifier()), limits);
    runtime.spawn(async move { axum::serve(listener, router).await });
    (runtime, addr)
}

/// This process's resident memory now and at its peak, in bytes (`/proc/self/status`),
/// after handing the allocator's free memory back to the system (so that what is left
/// is memory in use, not glibc's caches of freed blocks in its per-thread arenas).
fn rss() -> (u64, u64) {
    // SAFETY: malloc_trim only releases free heap memory; it is always safe to call.
    unsafe {
        libc::malloc_trim(0);
    }
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A good upload: the corpus's source X-ray (or synthetic picture) as a JPEG.
fn good_jpeg() -> Vec<u8> {
    let (grey, _) = corpus::source();
    corpus::encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Jpeg)
}

/// Uploads like a polite client: on 503 it waits as `Retry-After` says (1 s) and tries
/// again, up to `tries` times. Returns (status, whether any answer was a 503 with
/// `Retry-After`, body).
async fn post_retrying(
    client: &reqwest::Client,
    addr: SocketAddr,
    name: &str,
    bytes: Vec<u8>,
    tries: usize,
) -> (u16, usize, String) {
    let mut busy = 0;
    loop {
        let (status, retry_after, body) = post(client, addr, name, bytes.clone()).await;
        if status != 503 || busy + 1 >= tries {
            return (status, busy, body);
        }
        assert!(retry_after, "{name}: 503 without Retry-After");
        busy += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn post(
    client: &reqwest::Client,
    addr: SocketAddr,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, bool, String) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    match client
        .post(format!("http://{addr}/predict"))
        .multipart(form)
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response.headers().contains_key("retry-after");
            (
                status,
                retry_after,
                response.text().await.unwrap_or_default(),
            )
        }
        // The server may close the connection of an oversize upload before reading it all.
        Err(e) => (0, false, e.to_string()),
    }
}

/// After the abuse: alive, and still classifying.
fn still_serves(runtime: &tokio::runtime::Runtime, addr: SocketAddr) {
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let health = client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .expect("healthz answers");
        assert_eq!(health.status(), 200);
        let (status, _, body) = post(&client, addr, "xray.jpeg", good_jpeg()).await;
        assert!(
            matches!(status, 200 | 422),
            "a good file afterwards: {status} {body}"
        );
    });
}

#[test]
fn concurrent_mixed_uploads_get_their_answers_or_503_and_memory_stays_bounded() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let limits = Limits {
        max_body_bytes: 8 << 20,
        max_concurrent: 2,
        request_timeout: Duration::from_secs(20),
    };
    let (runtime, addr) = start(&limits);
    let corpus = corpus::corpus();
    let pick = |name: &str| {
        corpus
            .cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} in the corpus"))
            .clone()
    };
    // (name, bytes, statuses allowed besides 503)
    let mut uploads: Vec<(String, Vec<u8>, Vec<u16>)> = Vec::new();
    for round in 0..3 {
        uploads.push((format!("good-{round}.jpeg"), good_jpeg(), vec![200, 422]));
        let names = [
            "notes.txt",
            "truncated-start.jpeg",
            "truncated-end.jpeg",
            "bomb-60000.png",
            "bomb-60000.tiff",
            "tiny-1x1.gif",
            "random.bin",
            "cmyk.jpeg",
        ];
        for name in names {
            let case = pick(name);
            let http = match case.expect {
                Expect::Error { http, .. } => vec![http],
                _ => vec![200, 422],
            };
            uploads.push((format!("{round}-{name}"), case.bytes, http));
        }
        // A zero bomb that inflates to 128 MiB (the corpus's 512 MiB one takes seconds
        // in a debug build; tests/bad_input.rs runs it through the server alone).
        uploads.push((
            format!("bomb-4096x4096-rgba16-{round}.png"),
            corpus::png_zeros(4096, 4096, 16, 6),
            vec![200, 422],
        ));
        uploads.push((
            format!("oversize-{round}.jpeg"),
            corpus::random_bytes(9 << 20, round),
            vec![413, 0],
        ));
    }
    // The same storm twice: the first fills the allocator's caches, the second must
    // not take more (no leak), and neither may exceed two classifications' worth.
    let mut rss_after_storm = Vec::new();
    for storm in 1..=2 {
        let started = Instant::now();
        let answers = runtime.block_on(async {
            let client = reqwest::Client::new();
            let tasks: Vec<_> = uploads
                .iter()
                .map(|(name, bytes, _)| {
                    let (client, name, bytes) = (client.clone(), name.clone(), bytes.clone());
                    tokio::spawn(
                        async move { post_retrying(&client, addr, &name, bytes, 40).await },
                    )
                })
                .collect();
            let mut answers = Vec::new();
            for task in tasks {
                answers.push(task.await.expect("upload task"));
            }
            answers
        });
        let elapsed = started.elapsed();
        let (rss_now, peak) = rss();
        let mut busy = 0;
        for ((name, _, allowed), (status, retried, body)) in uploads.iter().zip(&answers) {
            busy += retried;
            assert!(
                allowed.contains(status),
                "{name}: HTTP {status}, expected one of {allowed:?}: {body}"
            );
        }
        eprintln!(
            "storm {storm}: {} uploads in {elapsed:?}, {busy} answers 503 (then retried); RSS {} MiB, peak {} MiB",
            uploads.len(),
            rss_now >> 20,
            peak >> 20
        );
        assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
        // Two classifications at a time, each under 1 GiB (see tests/bad_input.rs), plus
        // the test's own copies of the uploads.
        assert!(peak < 3 << 30, "peak RSS {} MiB", peak >> 20);
        rss_after_storm.push(rss_now);
    }
    assert!(
        rss_after_storm[1] < rss_after_storm[0] + (64 << 20),
        "RSS grew from {} MiB after the first storm to {} MiB after the second",
        rss_after_storm[0] >> 20,
        rss_after_storm[1] >> 20
    );
    still_serves(&runtime, addr);
}

/// A multipart upload of `bytes` as raw HTTP/1.1: (head, body).
fn raw_upload(addr: SocketAddr, bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let boundary = "pneumoscan-abuse-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.txt\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let head = format!(
        "POST /predict HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    (head, body)
}

/// Reads the HTTP status line's code, or `None` if the connection ends without one.
fn read_status(stream: &mut TcpStream) -> Option<u16> {
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    if std::env::var_os("ABUSE_DEBUG").is_some() {
        eprintln!("answer: {text}");
    }
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// The time `GET /healthz` takes, which must stay short while slow clients hang on.
fn healthz_latency(addr: SocketAddr) -> Duration {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .expect("sends");
    assert_eq!(read_status(&mut stream), Some(200));
    start.elapsed()
}

#[test]
fn slow_and_stalled_clients_neither_block_the_server_nor_get_a_5xx() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let limits = Limits {
        max_concurrent: 2,
        request_timeout: Duration::from_secs(5),
        ..Limits::default()
    };
    let (runtime, addr) = start(&limits);
    let (rss_before, _) = rss();

    // 1. A body sent one byte every 4 ms (about a second): answered as if sent at once.
    let slow = std::thread::spawn(move || {
        let (head, body) = raw_upload(addr, b"not an image, sent very slowly\n");
        let mut stream = TcpStream::connect(addr).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        stream.write_all(&head).expect("sends the head");
        for (i, byte) in body.iter().enumerate() {
            // The server may answer as soon as it has the file, before the closing
            // boundary, and close the connection.
            if stream.write_all(&[*byte]).is_err() {
                assert!(i > body.len() - 64, "the server hung up after {i} bytes");
                break;
            }
            std::thread::sleep(Duration::from_millis(4));
        }
        read_status(&mut stream)
    });

    // 2. Clients that send half the body, then nothing: the timeout answers 408.
    let stalled: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                let (head, body) = raw_upload(addr, &vec![0x42; 64 * 1024]);
                let mut stream = TcpStream::connect(addr).expect("connects");
                stream
                    .set_read_timeout(Some(Duration::from_secs(15)))
                    .expect("timeout");
                stream.write_all(&head).expect("sends the head");
                stream
                    .write_all(&body[..body.len() / 2])
                    .expect("sends half");
                let started = Instant::now();
                (read_status(&mut stream), started.elapsed())
            })
        })
        .collect();

    // 3. Clients that hang up mid-body.
    for _ in 0..8 {
        let (head, body) = raw_upload(addr, &vec![0x42; 64 * 1024]);
        let mut stream = TcpStream::connect(addr).expect("connects");
        stream.write_all(&head).expect("sends the head");
        stream
            .write_all(&body[..body.len() / 3])
            .expect("sends a third");
        drop(stream);
    }

    // Meanwhile the server answers others at once.
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..5 {
        let latency = healthz_latency(addr);
        assert!(
            latency < Duration::from_secs(1),
            "/healthz took {latency:?}"
        );
    }
    runtime.block_on(async {
        let (status, _, body) = post(&reqwest::Client::new(), addr, "xray.jpeg", good_jpeg()).await;
        assert!(
            matches!(status, 200 | 422),
            "a good file meanwhile: {status} {body}"
        );
    });

    assert_eq!(
        slow.join().expect("slow client"),
        Some(415),
        "the slow upload is a text file"
    );
    for client in stalled {
        let (status, waited) = client.join().expect("stalled client");
        assert_eq!(status, Some(408), "a stalled upload times out");
        assert!(waited < Duration::from_secs(9), "answered after {waited:?}");
    }
    let (rss_after, _) = rss();
    assert!(
        rss_after < rss_before + (128 << 20),
        "RSS grew from {} MiB to {} MiB",
        rss_before >> 20,
        rss_after >> 20
    );
    still_serves(&runtime, addr);
}
