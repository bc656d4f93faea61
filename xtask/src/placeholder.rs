//! The page `cargo xtask serve` answers with from its first second, while the server and
//! the web app are still being compiled.
//!
//! A newcomer's first `cargo xtask serve` compiles the server for minutes (cold, on 2
//! cores: 7 min 26 s, `bench/RESULTS.md`) before the real server can listen. This
//! answers every request on the server's address in the meantime with a page that says
//! what is being built and reloads itself, and stops the moment the real server is
//! about to start. It is a few lines on `std::net` on purpose: axum and tokio would have
//! to be compiled before the first answer, which is the wait it exists to avoid. It
//! answers 503 with `Retry-After`, so nothing mistakes it for the product.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running placeholder; [`Placeholder::stop`] frees the address.
pub struct Placeholder {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Placeholder {
    /// Listens on `address` and answers with [`page`] saying `stage`.
    pub fn start(address: SocketAddr, stage: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(address)?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let body = page(stage);
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        // A client that goes away mid-answer is no concern of ours.
                        Ok((stream, _)) => drop(answer(stream, &body)),
                        Err(_) => std::thread::sleep(Duration::from_millis(50)),
                    }
                }
            })
        };
        Ok(Placeholder { stop, thread })
    }

    /// Stops answering and closes the listening socket.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// Reads the request head (what the client sends before it waits for an answer), then
/// writes the page as a 503 and closes the connection.
fn answer(mut stream: TcpStream, body: &str) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    write!(
        stream,
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 5\r\nCache-Control: no-store\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// The page while the product is being built: `stage` says what and how long.
pub fn page(stage: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>Pneumoscan: building</title>
</head>
<body>
<main>
<h1>Pneumoscan</h1>
<p role="status">{stage}</p>
<p>This page reloads itself every 5 seconds until the web app is ready; the terminal
that runs <code>cargo xtask serve</code> shows the progress.</p>
<p>Not for clinical use.</p>
</main>
</body>
</html>
"#
    )
}

/// The address `pneumoscan serve` will listen on, from the arguments `cargo xtask serve`
/// forwards to it and the environment, as its own options read them (`--host`,
/// `--port`, `PNEUMOSCAN_HOST`, `PORT`; 127.0.0.1:8080 by default).
pub fn address(args: &[&String]) -> Option<SocketAddr> {
    let option = |name: &str, env: &str, default: &str| -> String {
        let mut found = std::env::var(env).ok();
        for (i, arg) in args.iter().enumerate() {
            if *arg == name {
                found = args.get(i + 1).map(|v| v.to_string());
            } else if let Some(value) = arg.strip_prefix(&format!("{name}=")) {
                found = Some(value.to_string());
            }
        }
        found.unwrap_or_else(|| default.to_string())
    };
    let host: std::net::IpAddr = option("--host", "PNEUMOSCAN_HOST", "127.0.0.1")
        .parse()
        .ok()?;
    let port: u16 = option("--port", "PORT", "8080").parse().ok()?;
    Some(SocketAddr::new(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_follows_the_server_options() {
        let args: Vec<String> = ["--port", "9123", "--host=0.0.0.0"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let refs: Vec<&String> = args.iter().collect();
        assert_eq!(
            address(&refs),
            Some("0.0.0.0:9123".parse().expect("address"))
        );
    }

    /// A real request on loopback gets the page of the current stage as a 503, and the
    /// address is free again once it stops.
    #[test]
    fn it_answers_with_the_stage_then_frees_the_address() {
        let address: SocketAddr = {
            let probe = TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().expect("address")
        };
        let placeholder = Placeholder::start(address, "building the web app").expect("starts");
        let mut stream = TcpStream::connect(address).expect("connects");
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .expect("sends");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("reads");
        assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
        assert!(
            text.contains("<p role=\"status\">building the web app</p>"),
            "{text}"
        );
        placeholder.stop();
        TcpListener::bind(address).expect("the address is free again");
    }
}
