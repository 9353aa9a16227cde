//! Request bodies decoded with serde into domain types, so a malformed body is answered
//! with the path of the field at fault (`film.used_kg`), not a generic parse error.

use std::marker::PhantomData;

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::error::ParseRequestPayloadError;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, ErrorCode};
use agriwaste_analytics::labels::Named;

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

/// A JSON body parsed like poem-openapi's `Json<T>`, but held to the JSON types its
/// schema declares first: poem-openapi reads `false` or `12` into a `String` field, so a
/// body the document says is invalid would be accepted. A value of the wrong type is a
/// 400 `invalid_body` naming the field, as any other unparsable body.
pub struct StrictJson<T>(pub T);

impl<T: Type> Payload for StrictJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <poem_openapi::payload::Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for StrictJson<T> {
    const IS_REQUIRED: bool = T::IS_REQUIRED;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = Vec::<u8>::from_request(request, body).await?;
        let value = if data.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&data).map_err(|err| ParseRequestPayloadError {
                reason: err.to_string(),
            })?
        };
        let mut registry = Registry::new();
        T::register(&mut registry);
        if let Err(WrongType { path, expected }) =
            check_types(&value, &T::schema_ref(), &registry, "")
        {
            let name = Named::of(&path);
            let (zh, en) = expected_words(expected);
            // The value itself is not echoed: it may be a password, or a megabyte.
            let error = ApiError::bad_request(
                ErrorCode::InvalidBody,
                format!("{}应填{zh}", name.zh()),
                format!("{} should be {en}", capitalized(&name.en())),
            );
            return Err(if path.is_empty() {
                error
            } else {
                error.at(path)
            }
            .into());
        }
        let value = T::parse_from_json(Some(value)).map_err(|err| ParseRequestPayloadError {
            reason: err.into_message(),
        })?;
        Ok(StrictJson(value))
    }
}

poem_openapi::impl_apirequest_for_payload!(StrictJson<T>, T: ParseFromJSON);

/// Where a body's value is not of its schema's JSON type, and which type it should be.
struct WrongType {
    /// The field, as `members[0]` or `film.used_kg`; empty for the body itself.
    path: String,
    /// The schema's JSON type.
    expected: &'static str,
}

/// What a JSON type holds, in words a person reads, Chinese and English.
fn expected_words(ty: &str) -> (&'static str, &'static str) {
    match ty {
        "boolean" => ("是或否", "yes or no"),
        "integer" => ("整数", "a whole number"),
        "number" => ("数字", "a number"),
        "array" => ("一组值", "a list of values"),
        "object" => ("一组填写项", "a group of entries"),
        _ => ("文字", "text"),
    }
}

/// `text` with its first letter capitalised, to begin a sentence.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Whether `value` has the JSON types `schema` declares, down through objects and
/// arrays; `null` stands for an absent value wherever poem-openapi reads it so (an
/// optional field) or the schema allows it.
fn check_types(
    value: &Value,
    schema: &MetaSchemaRef,
    registry: &Registry,
    path: &str,
) -> Result<(), WrongType> {
    let schema = match schema {
        MetaSchemaRef::Inline(schema) => schema.as_ref(),
        MetaSchemaRef::Reference(name) => match registry.schemas.get(name) {
            Some(schema) => schema,
            None => return Ok(()),
        },
    };
    if !schema.all_of.is_empty() {
        return schema
            .all_of
            .iter()
            .try_for_each(|part| check_types(value, part, registry, path));
    }
    if value.is_null() {
        return Ok(());
    }
    let fits = match schema.ty {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    };
    if !fits {
        return Err(WrongType {
            path: path.to_owned(),
            expected: schema.ty,
        });
    }
    match value {
        Value::Array(items) => {
            if let Some(item_schema) = &schema.items {
                for (index, item) in items.iter().enumerate() {
                    check_types(item, item_schema, registry, &format!("{path}[{index}]"))?;
                }
            }
        }
        Value::Object(map) => {
            for (name, property) in &schema.properties {
                if let Some(item) = map.get(*name) {
                    let path = if path.is_empty() {
                        (*name).to_owned()
                    } else {
                        format!("{path}.{name}")
                    };
                    check_types(item, property, registry, &path)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
