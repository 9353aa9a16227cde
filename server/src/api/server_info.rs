//! `/api/v1/server`: what a client needs to know about the server itself, starting with
//! the address phones reach it at, which the admin page puts into device-token links.

use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use crate::state::AppState;

/// The server-information endpoint.
pub struct ServerInfoApi {
    pub(crate) state: Arc<AppState>,
}

/// The server as its operator configured it.
#[derive(Debug, Object)]
pub struct ServerInfoBody {
    /// The address phones and browsers reach the server at (`--public-url`,
    /// `AGRIWASTE_PUBLIC_URL` or `public_url` in the settings file), without a trailing
    /// slash; absent when the operator has not set it, in which case a client can only
    /// guess from the address it used itself.
    #[oai(skip_serializing_if_is_none)]
    pub public_url: Option<String>,
}

#[derive(ApiResponse)]
enum ServerInfoResponse {
    /// The server's information.
    #[oai(status = 200)]
    Ok(Json<ServerInfoBody>),
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Accounts")]
impl ServerInfoApi {
    /// About this server
    ///
    /// Public, like the region list: the public address is no secret (whoever asks has
    /// already reached the server), and a phone may ask before anyone signs in.
    #[oai(path = "/server", method = "get", operation_id = "getServerInfo")]
    async fn get(&self) -> ServerInfoResponse {
        ServerInfoResponse::Ok(Json(ServerInfoBody {
            public_url: self
                .state
                .settings
                .public_url
                .as_ref()
                .map(|url| url.as_str().to_owned()),
        }))
    }
}
