//! The `pneumoscan` command line: classify files, evaluate a labelled folder.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pneumoscan::{Classifier, Prediction, Refusal, bundled, metrics, server};
use serde::Serialize;
use serde_json::{Value, json};

/// Pneumonia classifier for chest X-rays. Not for clinical use.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Model card (model.json) to use instead of the built-in model; the ONNX file it
    /// names is read from beside it.
    #[arg(long, global = true, env = "PNEUMOSCAN_MODEL", value_name = "PATH")]
    model: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Classify image files: a prediction and probability, a refusal, or an error for each.
    Classify {
        /// Print a JSON array, one object per file, in input order.
        #[arg(long)]
        json: bool,
        /// Image files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Evaluate the model on a folder holding NORMAL/ and PNEUMONIA/.
    Eval {
        /// Folder with NORMAL/ and PNEUMONIA/ sub-folders.
        dir: PathBuf,
        /// Only the files listed in this text file, one `LABEL/name` per line.
        #[arg(long, value_name = "FILE")]
        list: Option<PathBuf>,
        /// Print the metrics as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List the stable codes that results and errors carry beside their English message
    /// (the CLI's JSON, the server's answers, the browser's results), with an example each.
    Codes {
        /// Print a JSON array of {code, kind, from, params, message}.
        #[arg(long)]
        json: bool,
    },
    /// Write the model in tract's NNEF form into DIR, beside its card naming it
    /// (`model.json`, `pneumonia.nnef.tar`): what the browser loads, which `cargo xtask
    /// dist` puts in the web bundle. Fails unless both forms give the same outputs.
    Nnef {
        /// Folder to write `model.json` and `pneumonia.nnef.tar` into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Serve the web app and `POST /predict` (multipart field `file`), `/healthz`, `/readyz`
    /// and `/metrics` (Prometheus) over HTTP.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PNEUMOSCAN_HOST", default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port to listen on.
        #[arg(long, env = "PORT", default_value_t = 8080)]
        port: u16,
        /// Largest upload accepted, in MiB (413 above).
        #[arg(long, env = "PNEUMOSCAN_MAX_UPLOAD_MB", default_value_t = 20)]
        max_upload_mb: usize,
        /// Images classified at once; more requests are answered 503 with Retry-After
        /// [default: twice the number of cores].
        #[arg(long, env = "PNEUMOSCAN_MAX_CONCURRENT")]
        max_concurrent: Option<usize>,
        /// Seconds before a request is answered 408.
        #[arg(long, env = "PNEUMOSCAN_TIMEOUT_S", default_value_t = 30)]
        timeout_s: u64,
        /// The built web app (`cargo xtask dist`) to serve at `/` [default: ./dist when it
        /// holds an index.html; otherwise `/` only says that the web app was not built].
        #[arg(long, env = "PNEUMOSCAN_DIST", value_name = "DIR")]
        dist: Option<PathBuf>,
        /// Log format on stderr: `text` (human-readable) or `json` (one object a line).
        /// `RUST_LOG` filters either.
        #[arg(long, env = "PNEUMOSCAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
}

/// How `serve` writes its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("pneumoscan: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let model = cli.model;
    let load = || bundled::load(model.as_deref()).map_err(|e| e.to_string());
    match cli.command {
        Command::Codes { json } => Ok(codes(json)),
        Command::Classify { json, files } => Ok(classify(&load()?, &files, json)),
        Command::Nnef { out } => nnef(model.as_deref(), &out),
        Command::Eval { dir, list, json } => eval(&load()?, &dir, list.as_deref(), json),
        Command::Serve {
            host,
            port,
            max_upload_mb,
            max_concurrent,
            timeout_s,
            dist,
            log_format,
        } => {
            let classifier = load()?;
            let defaults = server::Limits::default();
            let limits = server::Limits {
                max_body_bytes: max_upload_mb * 1024 * 1024,
                max_concurrent: max_concurrent.unwrap_or(defaults.max_concurrent),
                request_timeout: std::time::Duration::from_secs(timeout_s),
            };
            let dist = server::find_dist(dist.as_deref()).map_err(|e| e.to_string())?;
            init_logs(log_format);
            serve(
                classifier,
                std::net::SocketAddr::new(host, port),
                &limits,
                dist.as_deref(),
            )
        }
    }
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`), as text or JSON lines.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

fn serve(
    classifier: Classifier,
    addr: std::net::SocketAddr,
    limits: &server::Limits,
    dist: Option<&Path>,
) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(server::run(
            std::sync::Arc::new(classifier),
            addr,
            limits,
            dist,
        ))
        .map_err(|e| format!("cannot serve on {addr}: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Why one file has no result: it could not be read from disk, or the core could not
/// classify it.
#[derive(Debug)]
enum FileError {
    /// Reading the file failed.
    Read { path: String, detail: String },
    /// The core's error.
    Core(pneumoscan::Error),
}

impl FileError {
    fn code(&self) -> &'static str {
        match self {
            FileError::Read { .. } => "file_unreadable",
            FileError::Core(e) => e.code(),
        }
    }

    fn params(&self) -> Value {
        match self {
            FileError::Read { path, detail } => json!({ "path": path, "detail": detail }),
            FileError::Core(e) => e.params(),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Read { path, detail } => write!(f, "cannot read {path}: {detail}"),
            FileError::Core(e) => e.fmt(f),
        }
    }
}

/// `pneumoscan nnef --out DIR`: the browser's form of the model and its card.
fn nnef(model: Option<&Path>, out: &Path) -> Result<ExitCode, String> {
    let (card, onnx) = bundled::read(model).map_err(|e| e.to_string())?;
    let (card, nnef, largest) =
        pneumoscan::model::browser_form(&card, &onnx).map_err(|e| e.to_string())?;
    let write = |name: &str, bytes: &[u8]| {
        let path = out.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    write(pneumoscan::model::NNEF_FILE, &nnef)?;
    write("model.json", card.as_bytes())?;
    println!(
        "{}: {} bytes (ONNX {}); outputs agree within {largest:e}",
        out.join(pneumoscan::model::NNEF_FILE).display(),
        nnef.len(),
        onnx.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `pneumoscan codes`: every code a result or an error can carry, with an example of
/// its params and English message.
fn codes(json: bool) -> ExitCode {
    let mut list = Vec::new();
    let mut add = |code: &str, kind: &str, from: &str, params: Value, message: String| {
        list.push(json!({
            "code": code, "kind": kind, "from": from, "params": params, "message": message,
        }));
    };
    for refusal in Refusal::examples() {
        let message = refusal.to_string();
        add(refusal.code(), "refusal", "core", refusal.params(), message);
    }
    for error in pneumoscan::Error::examples() {
        add(
            error.code(),
            "error",
            "core",
            error.params(),
            error.to_string(),
        );
    }
    let unreadable = FileError::Read {
        path: "scan.png".into(),
        detail: "No such file or directory (os error 2)".into(),
    };
    add(
        unreadable.code(),
        "error",
        "cli",
        unreadable.params(),
        unreadable.to_string(),
    );
    for error in server::ApiError::examples() {
        add(
            error.code(),
            "error",
            "server",
            error.params(),
            error.message(),
        );
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&list).expect("codes serialise")
        );
    } else {
        for entry in &list {
            println!(
                "{:<24} {:<8} {:<7} {}",
                entry["code"].as_str().unwrap_or_default(),
                entry["kind"].as_str().unwrap_or_default(),
                entry["from"].as_str().unwrap_or_default(),
                entry["message"].as_str().unwrap_or_default(),
            );
        }
    }
    ExitCode::SUCCESS
}

/// One line of `classify --json`.
#[derive(Debug, Serialize)]
struct FileReport {
    file: String,
    status: &'static str,
    prediction: Option<&'static str>,
    /// Inside the model card's borderline band: the label needs a reader.
    borderline: Option<bool>,
    probability: Option<f64>,
    threshold: Option<f64>,
    message: Option<String>,
    /// The stable code of a refusal or an error (`pneumoscan codes`); `null` when ok.
    code: Option<&'static str>,
    /// The values `message` is made of, keyed by name; `null` when ok.
    params: Option<Value>,
    /// What the user should know about a classified or refused file (e.g. "the file
    /// looks truncated"); empty for errors.
    warnings: Vec<String>,
    /// For the human line only: "DICOM CR, view PA" for a DICOM file.
    #[serde(skip)]
    dicom: Option<String>,
}

impl FileReport {
    fn new(file: &Path, result: &Result<Prediction, FileError>) -> Self {
        let file = file.display().to_string();
        match result {
            Ok(p) => match &p.refusal {
                None => FileReport {
                    file,
                    status: "ok",
                    prediction: Some(p.label.as_str()),
                    borderline: Some(p.borderline),
                    probability: Some(p.probability),
                    threshold: Some(p.threshold),
                    message: None,
                    code: None,
                    params: None,
                    warnings: p.warnings.clone(),
                    dicom: dicom_note(p),
                },
                Some(refusal) => FileReport {
                    file,
                    status: "refused",
                    prediction: None,
                    borderline: None,
                    probability: None,
                    threshold: None,
                    message: Some(refusal.to_string()),
                    code: Some(refusal.code()),
                    params: Some(refusal.params()),
                    warnings: p.warnings.clone(),
                    dicom: dicom_note(p),
                },
            },
            Err(e) => FileReport {
                file,
                status: "error",
                prediction: None,
                borderline: None,
                probability: None,
                threshold: None,
                message: Some(e.to_string()),
                code: Some(e.code()),
                params: Some(e.params()),
                warnings: Vec::new(),
                dicom: None,
            },
        }
    }

    fn human(&self) -> String {
        let line = match (
            self.prediction,
            self.probability,
            self.threshold,
            &self.message,
        ) {
            (Some(label), Some(p), Some(t), _) => {
                let dicom = self
                    .dicom
                    .as_ref()
                    .map_or(String::new(), |d| format!(" [{d}]"));
                let verdict = if self.borderline == Some(true) {
                    format!("borderline — needs a reader (leans {label})")
                } else {
                    label.to_string()
                };
                format!(
                    "{}: {verdict} (probability of pneumonia {p:.3}, threshold {t:.3}){dicom}",
                    self.file
                )
            }
            (_, _, _, Some(message)) => format!("{}: {} — {message}", self.file, self.status),
            _ => format!("{}: {}", self.file, self.status),
        };
        self.warnings
            .iter()
            .fold(line, |line, warning| format!("{line}\n  note: {warning}"))
    }
}

/// "DICOM CR, view PA" (what is known of modality and view) for a DICOM file.
fn dicom_note(p: &Prediction) -> Option<String> {
    let d = p.dicom.as_ref()?;
    let mut note = String::from("DICOM");
    if let Some(modality) = &d.modality {
        note = format!("{note} {modality}");
    }
    if let Some(view) = &d.view_position {
        note = format!("{note}, view {view}");
    }
    Some(note)
}

fn classify(classifier: &Classifier, files: &[PathBuf], json: bool) -> ExitCode {
    let results = classify_all(classifier, files);
    let reports: Vec<FileReport> = files
        .iter()
        .zip(&results)
        .map(|(f, r)| FileReport::new(f, r))
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).expect("reports serialise")
        );
    } else {
        for report in &reports {
            println!("{}", report.human());
        }
        println!("{}", classifier.card().not_for_clinical_use);
    }
    if reports.iter().any(|r| r.status == "error") {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Reads and classifies every file on all cores, keeping input order, with a progress
/// bar on stderr when it is a terminal.
fn classify_all(classifier: &Classifier, files: &[PathBuf]) -> Vec<Result<Prediction, FileError>> {
    let bar = progress_bar(files.len());
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<Prediction, FileError>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = files.get(i) else { break };
                    let result = std::fs::read(path)
                        .map_err(|e| FileError::Read {
                            path: path.display().to_string(),
                            detail: e.to_string(),
                        })
                        .and_then(|bytes| {
                            classifier.classify_guarded(&bytes).map_err(FileError::Core)
                        });
                    *results[i].lock().expect("no worker panics") = Some(result);
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    results
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .expect("no worker panics")
                .expect("every file visited")
        })
        .collect()
}

fn progress_bar(len: usize) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len as u64), target);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} files {elapsed} (eta {eta})")
    {
        bar.set_style(style);
    }
    bar
}

/// `eval --json`: the metrics plus how many images the gate refuses.
#[derive(Debug, Serialize)]
struct EvalReport {
    #[serde(flatten)]
    metrics: metrics::Metrics,
    refused: usize,
    /// Images inside the card's borderline band (their labels still count in `metrics`).
    borderline: usize,
    /// The metrics of the images outside the band alone: what a user who sends every
    /// borderline result to a reader gets from the rest.
    outside_band: Option<metrics::Metrics>,
    errors: usize,
    threshold: f64,
}

fn eval(
    classifier: &Classifier,
    dir: &Path,
    list: Option<&Path>,
    json: bool,
) -> Result<ExitCode, String> {
    let items = eval_items(dir, list)?;
    let files: Vec<PathBuf> = items.iter().map(|(path, _)| path.clone()).collect();
    let results = classify_all(classifier, &files);
    let mut samples = Vec::new();
    let mut decided = Vec::new();
    let (mut refused, mut errors, mut borderline) = (0, 0, 0);
    for ((path, positive), result) in items.iter().zip(&results) {
        match result {
            Ok(p) => {
                samples.push((*positive, p.probability));
                if p.borderline {
                    borderline += 1;
                } else {
                    decided.push((*positive, p.probability));
                }
                refused += usize::from(p.refusal.is_some());
            }
            Err(e) => {
                errors += 1;
                eprintln!("{}: error — {e}", path.display());
            }
        }
    }
    let threshold = classifier.card().threshold.probability;
    let report = EvalReport {
        metrics: metrics::compute(&samples, threshold),
        refused,
        borderline,
        outside_band: classifier
            .card()
            .borderline
            .map(|_| metrics::compute(&decided, threshold)),
        errors,
        threshold,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else {
        let m = &report.metrics;
        println!(
            "images       {} ({} errors, {} refused by the gate)",
            m.n, errors, refused
        );
        println!("threshold    {threshold:.4}");
        println!("accuracy     {:.4}", m.accuracy);
        println!("sensitivity  {:.4}", m.sensitivity);
        println!("specificity  {:.4}", m.specificity);
        println!("precision    {:.4}", m.precision);
        println!("F1           {:.4}", m.f1);
        println!("AUC          {:.4}", m.auc);
        if let Some(outside) = &report.outside_band {
            println!(
                "borderline   {borderline} of {} in the band; outside it: sensitivity {:.4}, specificity {:.4}",
                m.n, outside.sensitivity, outside.specificity
            );
        }
        println!(
            "confusion    true PNEUMONIA: {} called PNEUMONIA, {} called NORMAL",
            m.tp, m.fn_
        );
        println!(
            "             true NORMAL:    {} called PNEUMONIA, {} called NORMAL",
            m.fp, m.tn
        );
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// (path, is PNEUMONIA) for the files to evaluate, in a stable order.
fn eval_items(dir: &Path, list: Option<&Path>) -> Result<Vec<(PathBuf, bool)>, String> {
    let labels = ["NORMAL", "PNEUMONIA"];
    let mut items = Vec::new();
    if let Some(list) = list {
        let text = std::fs::read_to_string(list)
            .map_err(|e| format!("cannot read --list {}: {e}", list.display()))?;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let label = line.split('/').next().unwrap_or_default();
            if !labels.contains(&label) {
                return Err(format!(
                    "--list {}: line {line:?} must start with NORMAL/ or PNEUMONIA/",
                    list.display()
                ));
            }
            items.push((dir.join(line), label == "PNEUMONIA"));
        }
    } else {
        for label in labels {
            let folder = dir.join(label);
            let entries = std::fs::read_dir(&folder)
                .map_err(|e| format!("cannot read folder {}: {e}", folder.display()))?;
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            paths.sort();
            items.extend(paths.into_iter().map(|p| (p, label == "PNEUMONIA")));
        }
    }
    if items.is_empty() {
        return Err(format!("no images found under {}", dir.display()));
    }
    Ok(items)
}
