//! The HTTP front end (`pneumoscan serve`): `POST /predict` on the same core as the
//! browser and the CLI, health checks, Prometheus metrics, and (when it was built) the
//! web app from `dist/`. Bad input always gets a 4xx with a JSON body; a saturated
//! server answers 503 with `Retry-After`. Every answer carries the same security and
//! cache headers as the nginx front (`nginx.conf`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::classify::{Classifier, Prediction};
use crate::error::Error;

/// Limits of the HTTP front end.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted, in bytes (413 above).
    pub max_body_bytes: usize,
    /// Images classified at once; further requests get 503 at once.
    pub max_concurrent: usize,
    /// Longest a request may take before it is answered 408.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 20 * 1024 * 1024,
            max_concurrent: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone)]
struct AppState {
    classifier: Arc<Classifier>,
    permits: Arc<Semaphore>,
    telemetry: Arc<Telemetry>,
    max_body_bytes: usize,
}

/// The API router without the web app: `POST /predict`, `GET /healthz`, `GET /readyz`,
/// `GET /metrics`, and at `/` a note that the web app was not built.
pub fn app(classifier: Arc<Classifier>, limits: &Limits) -> Router {
    app_with_web(classifier, limits, None)
}

/// The router: the API of [`app`], plus the web bundle in `dist` (as built by
/// `cargo xtask dist`) at `/` when it is given, with precompressed `NAME.gz` files sent
/// to clients that accept gzip. Without `dist`, `/` answers a short plain-text note.
pub fn app_with_web(classifier: Arc<Classifier>, limits: &Limits, dist: Option<&Path>) -> Router {
    let telemetry = Arc::new(Telemetry::new(if dist.is_some() {
        "static"
    } else {
        "unmatched"
    }));
    let state = AppState {
        classifier,
        permits: Arc::new(Semaphore::new(limits.max_concurrent)),
        telemetry: Arc::clone(&telemetry),
        max_body_bytes: limits.max_body_bytes,
    };
    let router = Router::new()
        .route("/predict", post(predict))
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "alive" })) }),
        )
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics));
    let router = match dist {
        // The `.br` and `.gz` files `cargo xtask dist` writes, by the request's
        // Accept-Encoding (Brotli first: about a fifth smaller on the wasm).
        Some(dist) => {
            router.fallback_service(ServeDir::new(dist).precompressed_br().precompressed_gzip())
        }
        None => router.route("/", get(web_app_not_built)),
    };
    router
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(response_headers))
        .layer(middleware::from_fn_with_state(telemetry, track))
        .with_state(state)
}

async fn web_app_not_built() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Pneumoscan API server. The web app is not served here: it was not built.\n\
         Build it with `cargo xtask dist`, then run `pneumoscan serve --dist dist` \
         (or start the server in the folder that holds dist/).\n\
         Endpoints: POST /predict (multipart field \"file\"), GET /healthz, GET /readyz, GET /metrics.\n\
         Not for clinical use.\n",
    )
}

async fn readyz(State(state): State<AppState>) -> Json<serde_json::Value> {
    let card = state.classifier.card();
    Json(json!({ "status": "ready", "model": card.name, "version": card.version }))
}

/// The 200 answer: the old `{filename, prediction, probability}` contract, plus the
/// whole [`Prediction`] (threshold, heatmap, gate scores, timings, …).
#[derive(Serialize)]
struct Classified<'a> {
    filename: &'a str,
    status: &'static str,
    prediction: &'static str,
    #[serde(flatten)]
    details: &'a Prediction,
}

/// Every answer of the API that is not a result: `{"error", "code", "params"}` (plus
/// `"filename"` for a file the core could not read), with a stable code beside the
/// English message, as the CLI's JSON has.
#[derive(Debug)]
pub enum ApiError {
    /// The core could not read the uploaded file.
    File {
        /// The upload's file name.
        filename: String,
        /// Why.
        error: Error,
    },
    /// The request is not `multipart/form-data` (415).
    NotMultipart(String),
    /// No multipart field named `file` (400).
    MissingFileField,
    /// The body is over the upload limit (413).
    UploadTooLarge {
        /// The limit, in bytes.
        max_bytes: usize,
    },
    /// The multipart body could not be read (400, or what axum says).
    BadMultipart {
        /// The status axum gives.
        status: StatusCode,
        /// What axum reported.
        detail: String,
    },
    /// Every inference slot is taken (503 with `Retry-After`).
    Busy,
    /// A bug in the server itself (500), logged where it happens.
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::File { error, .. } => match error {
                Error::Empty
                | Error::UnsupportedFormat(_)
                | Error::DicomTransferSyntax { .. }
                | Error::DicomNoPixelData
                | Error::DicomUnsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                Error::TooSmall { .. } | Error::Corrupt { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::NotMultipart(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::MissingFileField => StatusCode::BAD_REQUEST,
            ApiError::UploadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadMultipart { status, .. } => *status,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code: the core's ([`Error::code`]) for a file, else the server's own.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::File { error, .. } => error.code(),
            ApiError::NotMultipart(_) => "not_multipart",
            ApiError::MissingFileField => "missing_file_field",
            ApiError::UploadTooLarge { .. } => "upload_too_large",
            ApiError::BadMultipart { .. } => "bad_multipart",
            ApiError::Busy => "server_busy",
            ApiError::Internal => "server_internal_error",
        }
    }

    /// The values the message uses ([`Error::params`] for a file).
    pub fn params(&self) -> serde_json::Value {
        match self {
            ApiError::File { error, .. } => error.params(),
            ApiError::NotMultipart(detail) | ApiError::BadMultipart { detail, .. } => {
                json!({ "detail": detail })
            }
            ApiError::UploadTooLarge { max_bytes } => json!({
                "max_bytes": max_bytes,
                "max_mib": *max_bytes as f64 / (1024.0 * 1024.0),
            }),
            ApiError::MissingFileField | ApiError::Busy | ApiError::Internal => json!({}),
        }
    }

    /// The English message.
    pub fn message(&self) -> String {
        match self {
            ApiError::File { error, .. } => error.to_string(),
            ApiError::NotMultipart(detail) => format!(
                "send the image as multipart/form-data in a field named \"file\" ({detail})"
            ),
            ApiError::MissingFileField => "missing multipart field \"file\"".into(),
            ApiError::UploadTooLarge { max_bytes } => format!(
                "the upload is larger than this server accepts ({} MiB at most)",
                *max_bytes as f64 / (1024.0 * 1024.0)
            ),
            ApiError::BadMultipart { detail, .. } => {
                format!("the upload could not be read ({detail})")
            }
            ApiError::Busy => "the server is busy; try again shortly".into(),
            ApiError::Internal => "internal error".into(),
        }
    }

    /// One of each of the server's own errors (not [`ApiError::File`], whose codes are
    /// the core's): for the list of codes (`pneumoscan codes`).
    pub fn examples() -> Vec<ApiError> {
        vec![
            ApiError::NotMultipart("Invalid `boundary` for `multipart/form-data` request".into()),
            ApiError::MissingFileField,
            ApiError::UploadTooLarge {
                max_bytes: 20 * 1024 * 1024,
            },
            ApiError::BadMultipart {
                status: StatusCode::BAD_REQUEST,
                detail: "incomplete field data".into(),
            },
            ApiError::Busy,
            ApiError::Internal,
        ]
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "error": self.message(),
            "code": self.code(),
            "params": self.params(),
        });
        if let ApiError::File { filename, .. } = &self {
            body["filename"] = json!(filename);
        }
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, ApiError::Busy) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Most bytes of a refused upload read and dropped after its answer.
const DISCARD_MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Longest time spent reading a refused upload after its answer.
const DISCARD_MAX_TIME: Duration = Duration::from_secs(10);

/// Reads and drops the body of a request already answered (a 413 sent before the
/// upload was read), as nginx's `lingering_close` does. A server that closes the
/// connection with the client's bytes unread makes the kernel reset it, and a client
/// still sending then loses the answer (a broken pipe instead of the 413). Bounded: a
/// body announced over [`DISCARD_MAX_BYTES`] is not read at all, and reading stops after
/// [`DISCARD_MAX_TIME`].
async fn discard_unread(mut body: Body, announced: u64) {
    if announced > DISCARD_MAX_BYTES {
        return;
    }
    let _ = tokio::time::timeout(DISCARD_MAX_TIME, async {
        let mut read = 0u64;
        while let Some(Ok(frame)) = body.frame().await {
            read += frame.data_ref().map_or(0, |data| data.len() as u64);
            if read > DISCARD_MAX_BYTES {
                break;
            }
        }
    })
    .await;
}

/// Reading the multipart body failed: over the body limit (413), or otherwise malformed.
fn multipart_error(state: &AppState, error: &axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::UploadTooLarge {
            max_bytes: state.max_body_bytes,
        }
    } else {
        ApiError::BadMultipart {
            status: error.status(),
            detail: error.body_text(),
        }
    }
}

async fn predict(State(state): State<AppState>, request: Request) -> Response {
    // Over the limit by its own Content-Length: answered before reading, and the rest of
    // the body read and dropped after the answer, so that the client gets the 413.
    let length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if let Some(length) = length
        && length > state.max_body_bytes as u64
    {
        tokio::spawn(discard_unread(request.into_body(), length));
        return ApiError::UploadTooLarge {
            max_bytes: state.max_body_bytes,
        }
        .into_response();
    }
    let multipart: Result<Multipart, MultipartRejection> =
        Multipart::from_request(request, &state).await;
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => return ApiError::NotMultipart(e.to_string()).into_response(),
    };
    let (filename, bytes) = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let filename = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(bytes) => break (filename, bytes),
                    Err(e) => return multipart_error(&state, &e).into_response(),
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => return ApiError::MissingFileField.into_response(),
            Err(e) => return multipart_error(&state, &e).into_response(),
        }
    };
    let Ok(permit) = state.permits.clone().try_acquire_owned() else {
        return ApiError::Busy.into_response();
    };
    let classifier = Arc::clone(&state.classifier);
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        classifier.classify_guarded(&bytes)
    })
    .await;
    let outcome = match &result {
        Ok(Ok(prediction)) if prediction.refusal.is_none() => "ok",
        Ok(Ok(_)) => "refused",
        // A bug in a codec or the model: counted apart, so an alert can fire on it.
        Ok(Err(Error::Internal(_))) | Err(_) => "panic",
        Ok(Err(_)) => "error",
    };
    state.telemetry.classified(outcome);
    match result {
        Ok(Ok(prediction)) => match &prediction.refusal {
            Some(refusal) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({
                    "status": "refused",
                    "filename": filename,
                    "message": refusal.to_string(),
                    "code": refusal.code(),
                    "params": refusal.params(),
                })),
            )
                .into_response(),
            None => Json(Classified {
                filename: &filename,
                status: "ok",
                prediction: prediction.label.as_str(),
                details: &prediction,
            })
            .into_response(),
        },
        Ok(Err(error)) => {
            if let Error::Internal(message) = &error {
                tracing::error!(%filename, %message, "panic while classifying a file");
            }
            ApiError::File { filename, error }.into_response()
        }
        Err(join) => {
            tracing::error!(%join, "classification task failed");
            ApiError::Internal.into_response()
        }
    }
}

/// Serves [`app_with_web`] on `addr` until SIGINT or SIGTERM, then finishes requests in
/// flight.
pub async fn run(
    classifier: Arc<Classifier>,
    addr: std::net::SocketAddr,
    limits: &Limits,
    dist: Option<&Path>,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    match dist {
        Some(dist) => tracing::info!(dist = %dist.display(), "serving the web app"),
        None => tracing::warn!(
            "the web app is not served: no dist/ folder (build it with `cargo xtask dist`, or pass --dist DIR)"
        ),
    }
    tracing::info!(address = %listener.local_addr()?, "pneumoscan serving");
    axum::serve(listener, app_with_web(classifier, limits, dist))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Why the web bundle given to `serve --dist` cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// The folder does not exist, or is not a folder.
    #[error("web app folder {}: not a directory (build it with `cargo xtask dist`)", .0.display())]
    NotADirectory(PathBuf),
    /// The folder has no `index.html`, so it is not a built web bundle.
    #[error("web app folder {}: no index.html in it (build it with `cargo xtask dist`)", .0.display())]
    NoIndex(PathBuf),
}

/// The web bundle to serve: `explicit` (from `--dist` or `PNEUMOSCAN_DIST`), which must
/// be a built bundle; otherwise `dist` in the current folder when it is one; otherwise
/// none.
pub fn find_dist(explicit: Option<&Path>) -> Result<Option<PathBuf>, DistError> {
    let Some(dir) = explicit else {
        let default = Path::new("dist");
        return Ok(default
            .join("index.html")
            .is_file()
            .then(|| default.to_path_buf()));
    };
    if !dir.is_dir() {
        return Err(DistError::NotADirectory(dir.to_path_buf()));
    }
    if !dir.join("index.html").is_file() {
        return Err(DistError::NoIndex(dir.to_path_buf()));
    }
    Ok(Some(dir.to_path_buf()))
}

/// The Content-Security-Policy of every answer: the web bundle contract's, the same as
/// `nginx.conf` sends (`tests/nginx.sh` checks that the two are equal).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' blob: data:; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'; manifest-src 'self'";

/// The Permissions-Policy of every answer (powerful features off), as in `nginx.conf`.
pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), hid=(), midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), browsing-topics=()";

/// `Cache-Control` of content-hashed files (`stem.HASH8.ext`), which never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Whether `path` names a content-hashed bundle file: it ends in `.HASH8.ext` with eight
/// lower-case hex digits and ext one of js, css, wasm, onnx, tar, json, svg (the
/// contract's regex `\.[0-9a-f]{8}\.(js|css|wasm|onnx|tar|json|svg)$`; `tar` is the
/// model's NNEF form).
pub fn is_hashed(path: &str) -> bool {
    let Some((rest, ext)) = path.rsplit_once('.') else {
        return false;
    };
    let Some((_, hash)) = rest.rsplit_once('.') else {
        return false;
    };
    ["js", "css", "wasm", "onnx", "tar", "json", "svg"].contains(&ext)
        && hash.len() == 8
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Adds the headers `nginx.conf` adds, by the same rules: the security headers on every
/// answer; `Cache-Control` immutable for hashed files, `no-store` for the API and for
/// errors, `no-cache` otherwise; cross-origin access only for what embedding on another
/// site needs (`embed.js` and the hashed files).
async fn response_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let hashed = is_hashed(path);
    let embeddable = hashed || path == "/embed.js";
    let api = matches!(path, "/predict" | "/healthz" | "/readyz" | "/metrics");
    let mut response = next.run(request).await;
    let status = response.status();
    let cache = if !(status.is_success() || status.is_redirection()) || api {
        "no-store"
    } else if hashed {
        CACHE_IMMUTABLE
    } else {
        "no-cache"
    };
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        HeaderName::from_static("permissions-policy"),
        PERMISSIONS_POLICY,
    );
    set(header::CACHE_CONTROL, cache);
    let resource_policy = HeaderName::from_static("cross-origin-resource-policy");
    if embeddable {
        set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
        set(resource_policy, "cross-origin");
    } else {
        set(resource_policy, "same-origin");
    }
    response
}

/// The Prometheus metrics of one router (`GET /metrics`).
struct Telemetry {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    in_flight: Gauge,
    predict_seconds: Histogram,
    classifications: Family<OutcomeLabels, Counter>,
    /// The `route` label of requests no API route matched: the web app's files, or 404s.
    fallback_route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

impl Telemetry {
    fn new(fallback_route: &'static str) -> Self {
        let mut registry = Registry::with_prefix("pneumoscan");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route (\"static\": the web app's files; \"unmatched\": no route) and status",
            requests.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered now",
            in_flight.clone(),
        );
        let predict_seconds = Histogram::new([
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        ]);
        registry.register_with_unit(
            "predict_duration",
            "Time to answer POST /predict, whatever the answer",
            Unit::Seconds,
            predict_seconds.clone(),
        );
        let classifications = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "classifications",
            "Uploaded images put through the pipeline, by outcome (ok, refused: not a chest X-ray, error: unreadable image, panic: a bug caught while reading the file)",
            classifications.clone(),
        );
        for outcome in ["ok", "refused", "error", "panic"] {
            // Present (at 0) from the start, so that rates work from the first scrape.
            classifications
                .get_or_create(&OutcomeLabels { outcome })
                .inc_by(0);
        }
        Telemetry {
            registry,
            requests,
            in_flight,
            predict_seconds,
            classifications,
            fallback_route,
        }
    }

    fn classified(&self, outcome: &'static str) {
        self.classifications
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }
}

/// Lowers the in-flight gauge when the request is over, also when it is dropped.
struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Counts every request by route and status, and times `POST /predict`.
async fn track(
    State(telemetry): State<Arc<Telemetry>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let route = matched
        .as_ref()
        .map_or(telemetry.fallback_route, MatchedPath::as_str)
        .to_string();
    telemetry.in_flight.inc();
    let _in_flight = InFlight(telemetry.in_flight.clone());
    let start = Instant::now();
    let response = next.run(request).await;
    if route == "/predict" {
        telemetry
            .predict_seconds
            .observe(start.elapsed().as_secs_f64());
    }
    telemetry
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// `GET /metrics`: every metric in the OpenMetrics text format, which Prometheus scrapes.
async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &state.telemetry.registry) {
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(%e, "cannot encode the metrics");
            ApiError::Internal.into_response()
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, run until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
