//! The agency record's registers over HTTP (`/api/...`, device token required): each route
//! parses its request and calls `service::registers`, which checks the caller's role and the
//! input and stores the change; and the board of what is overdue or breached.

use crate::db::{registry as reg, DeviceAuth};
use crate::http::server::AppState;
use crate::http::{blocking, ApiQuery};
use crate::service::registers as svc;
use crate::service::registry::FacilityInput;
use crate::service::{ServiceError, ServiceResult};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::sync::Arc;

mod evaluators;
mod facilities;
mod listings;
mod residue_events;

use facilities::*;
use listings::*;
use residue_events::*;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/facilities", get(list_facilities).post(add_facility))
        .route("/facilities/{id}", get(facility))
        .route("/facilities/{id}/listing", post(move_to_listing))
        .route("/facilities/{id}/pounds", post(set_pounds))
        .route("/facilities/{id}/appendix-p", post(set_appendix_p))
        .route("/permits/{id}/status", post(permit_status))
        .route("/laboratories", get(list_laboratories).post(add_laboratory))
        .route("/residue-events", get(list_residue).post(add_residue))
        .route("/residue-events/{id}", get(residue_event))
        .route("/residue-events/{id}/steps", post(residue_step))
        .route("/listings", get(list_listings).post(add_listing))
        .route("/listings/{id}/events", post(listing_event))
        .route("/board", get(board))
        .route("/evaluators/{id}", get(evaluators::evaluator))
        .route("/samplers/notice", get(evaluators::samplers_notice))
        .route(
            "/evaluators/{id}/sso-certificate",
            post(evaluators::sso_certificate),
        )
        .route("/evaluators/{id}/comparisons", post(evaluators::comparison))
}

fn body<T: DeserializeOwned>(bytes: &Bytes, what: &str) -> ServiceResult<T> {
    serde_json::from_slice(bytes).map_err(|e| ServiceError::bad_request(format!("{what}: {e}")))
}

#[derive(Deserialize)]
struct BoardQuery {
    #[serde(default, deserialize_with = "milkshed_shared::calendar::de_opt_date")]
    today: Option<NaiveDate>,
}

/// `GET /api/board[?today=]`: everything overdue or breached in the agency (the review pages
/// show the same board).
async fn board(
    State(state): State<Arc<AppState>>,
    Extension(device): Extension<DeviceAuth>,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> ServiceResult<Json<Value>> {
    blocking(move || {
        let conn = state.db.read()?;
        let today = match q.today {
            Some(d) => d,
            None => reg::agency_today(&conn, &device.agency_id)?,
        };
        let b = crate::service::board::board(&conn, &device.agency_id, today, None)?;
        Ok(Json(
            serde_json::to_value(b).map_err(ServiceError::internal)?,
        ))
    })
    .await
}
