//! `/healthz` (the process answers) and `/readyz` (and can reach its database), for load
//! balancers and orchestrators. Plain handlers outside `/api`, where such probes expect
//! them.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{IntoResponse, Response, handler};
use serde_json::json;

use crate::state::AppState;

/// Liveness: 200 whenever the process can answer.
#[handler]
pub fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// Readiness: 200 when the database answers, 503 otherwise.
#[handler]
pub async fn readyz(state: Data<&Arc<AppState>>) -> Response {
    match state.storage.ping().await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Json(json!({ "status": "unavailable", "detail": "database unreachable" }))
                .with_status(StatusCode::SERVICE_UNAVAILABLE)
                .into_response()
        }
    }
}
