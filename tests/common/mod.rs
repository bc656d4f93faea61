//! Helpers shared by the integration tests: the shipped model and the data folder.

#![allow(dead_code)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use pneumoscan::Classifier;

pub mod corpus;

/// The shipped model, from `model/`.
pub fn classifier() -> Classifier {
    Classifier::new(
        include_str!("../../model/model.json"),
        include_bytes!("../../model/pneumonia.onnx"),
    )
    .expect("the shipped model loads")
}

/// `../shared/data`, or `$PNEUMOSCAN_DATA`; `None` (after saying so loudly) when absent.
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PNEUMOSCAN_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join("chest_xray").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n*** SKIPPED {test}: data set not found at {} (set PNEUMOSCAN_DATA) ***\n",
            dir.display()
        );
        if std::env::var_os("CI").is_some() {
            panic!("{test}: CI must have the data set at {}", dir.display());
        }
        None
    }
}

/// Every file in a folder, sorted.
pub fn files_in(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// `VmHWM` (peak resident memory) of process `pid` in bytes, or `None` once it has
/// exited.
pub fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// Runs the real binary with `args` and returns (exit code, stdout, stderr, peak RSS in
/// bytes).
///
/// The peak is the kernel's `ru_maxrss` for the reaped child (`wait4`), except that a
/// child inherits its parent's high-water mark when it is spawned (the kernel records
/// the old memory map's at `exec`), so while this test process itself has used more
/// than the child, the child's own `VmHWM`, polled every millisecond until it exits,
/// is used instead.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which std's Child does not know of"
)]
pub fn run_measured(args: &[&std::ffi::OsStr]) -> (i32, Vec<u8>, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pneumoscan"))
        .args(args)
        .env_remove("PNEUMOSCAN_MODEL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts pneumoscan");
    let id = child.id();
    // Polls until the child is a zombie (no VmHWM): it is reaped only after that.
    let poller = std::thread::spawn(move || {
        let mut peak = 0;
        while let Some(hwm) = vm_hwm(id) {
            peak = peak.max(hwm);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        peak
    });
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut stdout)
        .expect("reads stdout");
    let stderr = reader.join().expect("stderr reader");
    let polled = poller.join().expect("poller");
    let pid = libc::pid_t::try_from(id).expect("pid");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it in for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet reaped (std's Child never waited on it).
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    // ru_maxrss is in KiB on Linux.
    let maxrss = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    let inherited = vm_hwm(std::process::id()).unwrap_or(u64::MAX);
    let peak = if maxrss > inherited { maxrss } else { polled };
    (code, stdout, stderr, peak)
}

/// The real server (`pneumoscan::server::app` with the shipped model and default limits)
/// on a loopback port, in a runtime of its own: the runtime, to drive a client with, and
/// the base URL.
#[cfg(feature = "native")]
pub fn serve() -> (tokio::runtime::Runtime, String) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let router = pneumoscan::server::app(
        std::sync::Arc::new(classifier()),
        &pneumoscan::server::Limits::default(),
    );
    runtime.spawn(async move { axum::serve(listener, router).await });
    (runtime, base)
}
