//! The HTTP front end (`pneumoscan serve`): `POST /predict` on the same core as the
//! browser and the CLI, plus health checks. Bad input always gets a 4xx with a JSON
//! body; a saturated server answers 503 with `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;
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
}

/// The router: `POST /predict`, `GET /healthz`, `GET /readyz`.
pub fn app(classifier: Arc<Classifier>, limits: &Limits) -> Router {
    let state = AppState {
        classifier,
        permits: Arc::new(Semaphore::new(limits.max_concurrent)),
    };
    Router::new()
        .route("/predict", post(predict))
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "alive" })) }),
        )
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

async fn predict(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let mut multipart = match multipart {
        Ok(m) => m,
        Err(e) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("send the image as multipart/form-data in a field named \"file\" ({e})"),
            );
        }
    };
    let (filename, bytes) = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => {
                let filename = field.file_name().unwrap_or("upload").to_string();
                match field.bytes().await {
                    Ok(bytes) => break (filename, bytes),
                    Err(e) => return error(e.status(), e.body_text()),
                }
            }
            Ok(Some(_)) => continue,
            Ok(None) => return error(StatusCode::BAD_REQUEST, "missing multipart field \"file\""),
            Err(e) => return error(e.status(), e.body_text()),
        }
    };
    let Ok(permit) = state.permits.clone().try_acquire_owned() else {
        let mut response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is busy; try again shortly",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    let classifier = Arc::clone(&state.classifier);
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        classifier.classify(&bytes)
    })
    .await;
    match result {
        Ok(Ok(prediction)) => match &prediction.refusal {
            Some(refusal) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "status": "refused", "filename": filename, "message": refusal.to_string() })),
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
        Ok(Err(e)) => {
            let status = match e {
                Error::Empty | Error::UnsupportedFormat(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Error::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                Error::TooSmall { .. } | Error::Corrupt { .. } => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, Json(json!({ "error": e.to_string(), "filename": filename }))).into_response()
        }
        Err(join) => {
            tracing::error!(%join, "classification task failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// Serves `app` on `addr` until SIGINT or SIGTERM, then finishes requests in flight.
pub async fn run(
    classifier: Arc<Classifier>,
    addr: std::net::SocketAddr,
    limits: &Limits,
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(address = %listener.local_addr()?, "pneumoscan serving");
    axum::serve(listener, app(classifier, limits))
        .with_graceful_shutdown(shutdown_signal())
        .await
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
