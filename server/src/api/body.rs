//! Request bodies decoded with serde into domain types, so a malformed body is answered
//! with the path of the field at fault (`film.used_kg`), not a generic parse error.

use std::marker::PhantomData;

use poem::{Request, RequestBody};
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::Type;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body decoded into `T` with serde; the OpenAPI document shows `Doc`'s schema.
pub struct DomainJson<T, Doc>(pub T, PhantomData<Doc>);

impl<T: Send, Doc: Type> Payload for DomainJson<T, Doc> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(mime)
            if mime.type_() == "application" && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")))
    }

    fn schema_ref() -> MetaSchemaRef {
        Doc::schema_ref()
    }

    fn register(registry: &mut Registry) {
        Doc::register(registry);
    }
}

impl<T: DeserializeOwned + Send, Doc: Type> ParsePayload for DomainJson<T, Doc> {
    const IS_REQUIRED: bool = true;

    async fn from_request(_request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        // The size limit is enforced by the body-limit middleware around every route.
        let bytes = body.take()?.into_bytes().await?;
        let value = decode::<T>(&bytes).map_err(|issue| ApiError::invalid(vec![issue]))?;
        Ok(DomainJson(value, PhantomData))
    }
}

poem_openapi::impl_apirequest_for_payload!(DomainJson<T, Doc>, T: DeserializeOwned + Send, Doc: Type);

/// Decodes JSON bytes into `T`, naming the field at fault on failure.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, agriwaste_analytics::Issue> {
    let text = std::str::from_utf8(bytes).map_err(|err| {
        agriwaste_analytics::Issue::error(
            "",
            agriwaste_analytics::IssueCode::InvalidJson,
            format!(
                "请求内容不是有效的 UTF-8 文本(第 {} 字节)",
                err.valid_up_to()
            ),
            format!(
                "the body is not valid UTF-8 (at byte {})",
                err.valid_up_to()
            ),
        )
    })?;
    agriwaste_analytics::survey::parse_json(text)
}
