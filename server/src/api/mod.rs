//! The HTTP API: one module per resource, assembled into one OpenAPI service.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod body;
pub mod charts;
pub mod coefficients;
pub mod compression;
pub mod credentials;
pub mod document;
pub mod error;
pub mod exports;
pub mod facts;
pub mod groups;
pub mod health;
pub mod indicators;
pub mod middleware;
pub mod model;
pub mod params;
pub mod plans;
pub mod progress;
pub mod regions;
pub mod reports;
pub mod review;
pub mod security;
pub mod server_info;
pub mod sums;
pub mod surveys;
pub mod targets;
pub mod users;
pub mod values;

use std::sync::Arc;

use poem_openapi::{OpenApiService, Tags};

use self::document::Documented;
use self::params::WithParams;

use crate::state::AppState;

/// Groups of operations in the API documentation.
#[derive(Tags)]
pub enum ApiTags {
    /// Farm-level surveys: submit, sync, list, correct.
    Surveys,
    /// Review decisions on surveys.
    Review,
    /// Photos attached to surveys.
    Attachments,
    /// The administrative regions surveys are filed under.
    Regions,
    /// Recovery and utilization rates against targets.
    Indicators,
    /// Sign-in, users, device tokens, API keys, audit log.
    Accounts,
    /// Survey records as CSV, XLSX, GeoJSON or NDJSON files.
    Exports,
}

/// Every API, combined.
pub type Apis = (
    surveys::SurveysApi,
    review::ReviewApi,
    attachments::AttachmentsApi,
    // Nested: poem-openapi combines tuples of at most 16 APIs.
    (
        regions::RegionsApi,
        server_info::ServerInfoApi,
        groups::GroupsApi,
        plans::PlansApi,
    ),
    (WithParams<indicators::IndicatorsApi>, progress::ProgressApi),
    charts::ChartsApi,
    targets::TargetsApi,
    coefficients::CoefficientsApi,
    reports::ReportsApi,
    auth::AuthApi,
    users::UsersApi,
    credentials::CredentialsApi,
    audit::AuditApi,
    WithParams<exports::ExportsApi>,
    WithParams<exports::IndicatorExportsApi>,
    (facts::FactsApi, sums::SumsApi),
);

/// Builds the OpenAPI service, to be mounted at `/api` (operations live under `/api/v1`).
pub fn service(state: Arc<AppState>, server_url: &str) -> OpenApiService<Documented<Apis>, ()> {
    let apis = (
        surveys::SurveysApi {
            state: state.clone(),
        },
        review::ReviewApi {
            state: state.clone(),
        },
        attachments::AttachmentsApi {
            state: state.clone(),
        },
        (
            regions::RegionsApi {
                state: state.clone(),
            },
            server_info::ServerInfoApi {
                state: state.clone(),
            },
            groups::GroupsApi {
                state: state.clone(),
            },
            plans::PlansApi {
                state: state.clone(),
            },
        ),
        (
            WithParams(indicators::IndicatorsApi {
                state: state.clone(),
            }),
            progress::ProgressApi {
                state: state.clone(),
            },
        ),
        charts::ChartsApi {
            state: state.clone(),
        },
        targets::TargetsApi {
            state: state.clone(),
        },
        coefficients::CoefficientsApi {
            state: state.clone(),
        },
        reports::ReportsApi {
            state: state.clone(),
        },
        auth::AuthApi {
            state: state.clone(),
        },
        users::UsersApi {
            state: state.clone(),
        },
        credentials::CredentialsApi {
            state: state.clone(),
        },
        audit::AuditApi {
            state: state.clone(),
        },
        WithParams(exports::ExportsApi {
            state: state.clone(),
        }),
        WithParams(exports::IndicatorExportsApi {
            state: state.clone(),
        }),
        (
            facts::FactsApi {
                state: state.clone(),
            },
            sums::SumsApi { state },
        ),
    );
    OpenApiService::new(Documented(apis), "agriwaste", env!("CARGO_PKG_VERSION"))
        .description(
            "Agricultural-waste field surveys for the zero-waste city (无废城市) programmes of \
             Qinghai and Ali: mulch film, pesticide packaging, crop straw and yak dung. \
             Every error response has one JSON shape: `code`, `message_zh`, `message_en`, \
             and for validation failures `errors` with each field's `path`.",
        )
        .server(server_url.to_owned())
}
