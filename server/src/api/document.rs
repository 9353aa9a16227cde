//! The OpenAPI document made exact, in one place: what poem-openapi derives from the
//! handlers, plus what it cannot say by itself.
//!
//! - [`Documented`] adds the 401 every protected operation can answer, and the 403 of
//!   every operation whose permission depends on the caller's role, to the operations'
//!   metadata (so handlers never declare them one by one).
//! - [`finish`] edits the generated JSON where poem-openapi has no way to express a
//!   fact: the region codes this server knows (they are rows of its database), request
//!   bodies that refuse unknown fields (`additionalProperties: false`), and the links
//!   from the operations that create a record to those that use its id.
//! - [`AllowTable`] is the methods of each path as the document lists them, for the
//!   `Allow` header of a 405.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use poem::endpoint::BoxEndpoint;
use poem::http::Method;
use poem_openapi::OpenApi;
use poem_openapi::registry::{MetaApi, MetaMediaType, MetaOperation, MetaResponse, Registry};
use poem_openapi::types::Type;
use serde_json::{Value, json};

use super::error::ErrorBody;
use super::values::{COUNTY_CODE_FORMAT, REGION_CODE_FORMAT, REGION_OR_NATIONAL_FORMAT};
use agriwaste_analytics::RegionTable;

/// The scheme people authenticate with; an operation that accepts only it is one whose
/// permission depends on the person's role (API keys read, they never act).
const PEOPLE_SCHEME: &str = "BearerAuth";

/// People-only operations that every signed-in person may call: no 403.
const NO_ROLE_CHECK: [&str; 1] = ["logout"];

/// An API whose protected operations document 401 and, where roles apply, 403.
pub struct Documented<A>(pub A);

fn error_response(status: u16, description: &'static str) -> MetaResponse {
    MetaResponse {
        description,
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: "application/json; charset=utf-8",
            schema: ErrorBody::schema_ref(),
        }],
        headers: vec![],
    }
}

/// Every operation of `apis`, to change what the document says of it.
pub(crate) fn operations_of(apis: &mut [MetaApi]) -> impl Iterator<Item = &mut MetaOperation> {
    apis.iter_mut()
        .flat_map(|api| api.paths.iter_mut())
        .flat_map(|path| path.operations.iter_mut())
}

impl<A: OpenApi> OpenApi for Documented<A> {
    fn meta() -> Vec<MetaApi> {
        let mut apis = A::meta();
        for operation in operations_of(&mut apis) {
            if operation.security.is_empty() {
                continue;
            }
            let responses = &mut operation.responses.responses;
            let has = |responses: &[MetaResponse], status| {
                responses.iter().any(|r| r.status == Some(status))
            };
            if !has(responses, 401) {
                responses.push(error_response(
                    401,
                    "No credential, or one that is wrong, revoked or expired, or a \
                     disabled account; for operations only people may call, an API key.",
                ));
            }
            let people_only = operation
                .security
                .iter()
                .all(|requirement| requirement.keys().all(|scheme| *scheme == PEOPLE_SCHEME));
            let role_free = operation
                .operation_id
                .is_some_and(|id| NO_ROLE_CHECK.contains(&id));
            if people_only && !role_free && !has(responses, 403) {
                responses.push(error_response(
                    403,
                    "The caller's role does not allow the operation (or, for a \
                     technician, the county is not one they are assigned to).",
                ));
            }
            responses.sort_by_key(|r| r.status);
        }
        apis
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
        A::register(registry);
    }

    fn add_routes(self, route_table: &mut HashMap<String, HashMap<Method, BoxEndpoint<'static>>>) {
        self.0.add_routes(route_table);
    }
}

/// Request bodies poem-openapi reads that refuse unknown fields (their types derive
/// `Object` with `deny_unknown_fields`, which poem-openapi does not write into the
/// schema). poem-openapi also reads `null` as an absent optional field, which the
/// schema does not say either.
fn closed_poem_schemas() -> Vec<String> {
    use super::{auth, coefficients, credentials, groups, review, targets, users};
    vec![
        auth::LoginRequest::name(),
        coefficients::CoefficientRequest::name(),
        credentials::NewDeviceTokenRequest::name(),
        credentials::NewApiKeyRequest::name(),
        groups::NewGroupRequest::name(),
        groups::GroupRequest::name(),
        review::ReviewRequest::name(),
        review::BulkReviewFilter::name(),
        review::BulkReviewRequest::name(),
        targets::TargetRequest::name(),
        users::NewUserRequest::name(),
        users::UserPatch::name(),
    ]
    .into_iter()
    .map(|name| name.into_owned())
    .collect()
}

/// The survey documents, decoded with serde (`body::DomainJson`) and as closed.
fn closed_survey_schemas() -> Vec<String> {
    use super::model;
    vec![
        model::SurveyDoc::name(),
        model::GeoPointDoc::name(),
        model::FilmDoc::name(),
        model::PesticidePackagingDoc::name(),
        model::StrawCropDoc::name(),
        model::StrawCountDoc::name(),
        model::YakDungDoc::name(),
        model::FieldCommentBody::name(),
        model::SurveyBatchDoc::name(),
        model::CorrectionDoc::name(),
    ]
    .into_iter()
    .map(|name| name.into_owned())
    .collect()
}

/// Operations whose multipart form refuses unknown parts (`deny_unknown_fields`); the
/// form's schema is inline, so it is named by its operation.
const CLOSED_FORMS: [&str; 1] = ["attachPhoto"];

/// The pattern of text without U+0000, which the server refuses anywhere in a path,
/// query or JSON body (`middleware::reject_nul`) and so never sends either.
const NO_NUL: &str = "^[^\\u0000]*$";

/// One OpenAPI link: the operation it leads to and where its parameters come from.
struct Link {
    /// The operation whose response holds the id.
    from: &'static str,
    /// Its status that holds the id.
    status: &'static str,
    /// The operation the link leads to.
    to: &'static str,
    /// Parameter of `to` ← runtime expression on the response.
    parameters: &'static [(&'static str, &'static str)],
}

/// Each create operation leads to the operations that use the id it returns, so that
/// a client (and schemathesis's stateful phase) can chain them.
const LINKS: &[Link] = &[
    Link {
        from: "createSurvey",
        status: "201",
        to: "getSurvey",
        parameters: &[("id", "$response.body#/survey/id")],
    },
    Link {
        from: "createSurvey",
        status: "201",
        to: "surveyHistory",
        parameters: &[("id", "$response.body#/survey/id")],
    },
    Link {
        from: "createSurvey",
        status: "201",
        to: "correctSurvey",
        parameters: &[("id", "$response.body#/survey/id")],
    },
    Link {
        from: "createSurvey",
        status: "201",
        to: "reviewSurvey",
        parameters: &[("id", "$response.body#/survey/id")],
    },
    Link {
        from: "createSurvey",
        status: "201",
        to: "listPhotos",
        parameters: &[("id", "$response.body#/survey/id")],
    },
    Link {
        from: "createSurvey",
        status: "201",
        to: "attachPhoto",
        parameters: &[("id", "$response.body#/survey/id")],
    },
    Link {
        from: "createUser",
        status: "201",
        to: "getUser",
        parameters: &[("id", "$response.body#/user/id")],
    },
    Link {
        from: "createUser",
        status: "201",
        to: "updateUser",
        parameters: &[("id", "$response.body#/user/id")],
    },
    Link {
        from: "createUser",
        status: "201",
        to: "listDeviceTokens",
        parameters: &[("id", "$response.body#/user/id")],
    },
    Link {
        from: "createUser",
        status: "201",
        to: "issueDeviceToken",
        parameters: &[("id", "$response.body#/user/id")],
    },
    Link {
        from: "issueDeviceToken",
        status: "201",
        to: "revokeDeviceToken",
        parameters: &[
            ("id", "$request.path.id"),
            ("token_id", "$response.body#/credential/id"),
        ],
    },
    Link {
        from: "createApiKey",
        status: "201",
        to: "revokeApiKey",
        parameters: &[("id", "$response.body#/credential/id")],
    },
    Link {
        from: "createGroup",
        status: "201",
        to: "updateGroup",
        parameters: &[("code", "$response.body#/code")],
    },
    Link {
        from: "createGroup",
        status: "201",
        to: "deleteGroup",
        parameters: &[("code", "$response.body#/code")],
    },
];

/// `(schema, field, most items)`: the request lists whose handlers refuse longer ones,
/// with the handlers' own limits.
fn bounded_lists() -> [(&'static str, &'static str, usize); 3] {
    [
        ("SurveyBatch", "surveys", super::surveys::MAX_BATCH),
        ("BulkReviewFilter", "ids", super::review::BULK_IDS_MAX),
        (
            "ReviewRequest",
            "field_comments",
            agriwaste_analytics::review::FieldComment::MAX_PER_DECISION,
        ),
    ]
}

/// `(schema, field)`: request fields that must be present but may be null (a
/// coefficient's `value`: null marks it unconfirmed, absent is refused so that
/// forgetting it never unconfirms one).
const REQUIRED_NULLABLE: &[(&str, &str)] = &[("CoefficientRequest", "value")];

/// Every operation of the document: id → (path, method).
fn operations(doc: &Value) -> BTreeMap<String, (String, String)> {
    let mut found = BTreeMap::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, methods) in paths {
            if let Some(methods) = methods.as_object() {
                for (method, operation) in methods {
                    if let Some(id) = operation["operationId"].as_str() {
                        found.insert(id.to_owned(), (path.clone(), method.clone()));
                    }
                }
            }
        }
    }
    found
}

/// The finished document: poem-openapi's, with the region codes of `regions`, closed
/// request bodies and the links.
pub fn finish(spec: &str, regions: &RegionTable) -> Value {
    let mut doc: Value = serde_json::from_str(spec).unwrap_or(Value::Null);
    let codes: Vec<Value> = regions.iter().map(|r| json!(r.code)).collect();
    let mut with_national = codes.clone();
    with_national.push(json!(agriwaste_analytics::targets::NATIONAL));
    let counties: Vec<Value> = regions
        .iter()
        .filter(|r| r.level == agriwaste_analytics::RegionLevel::County)
        .map(|r| json!(r.code))
        .collect();
    let poem_read = closed_poem_schemas();
    for name in poem_read.iter().chain(&closed_survey_schemas()) {
        let Some(schema) = doc["components"]["schemas"].get_mut(name) else {
            continue;
        };
        if !schema.is_object() {
            continue;
        }
        schema["additionalProperties"] = json!(false);
        if !poem_read.contains(name) {
            continue;
        }
        let required: Vec<Value> = schema["required"].as_array().cloned().unwrap_or_default();
        if let Some(properties) = schema["properties"].as_object_mut() {
            for (field, property) in properties.iter_mut() {
                if !required.contains(&json!(field)) {
                    nullable(property);
                }
            }
        }
    }
    // Lists a handler refuses beyond a length (422 `too_many_items`, naming the field).
    for (name, field, max) in bounded_lists() {
        if let Some(property) = doc["components"]["schemas"]
            .get_mut(name)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(field))
            .and_then(Value::as_object_mut)
        {
            property.insert("maxItems".to_owned(), json!(max));
        }
    }
    // Fields a handler requires but takes null for (poem-openapi documents a
    // `MaybeUndefined` as optional): required, and nullable.
    for (name, field) in REQUIRED_NULLABLE {
        let Some(schema) = doc["components"]["schemas"].get_mut(*name) else {
            continue;
        };
        if let Some(property) = schema.get_mut("properties").and_then(|p| p.get_mut(*field)) {
            nullable(property);
        }
        match schema.get_mut("required").and_then(Value::as_array_mut) {
            Some(required) if !required.contains(&json!(field)) => required.push(json!(field)),
            Some(_) => {}
            None => {
                if let Some(map) = schema.as_object_mut() {
                    map.insert("required".to_owned(), json!([field]));
                }
            }
        }
    }
    fill_regions(
        &mut doc,
        &[
            (REGION_CODE_FORMAT, &codes),
            (REGION_OR_NATIONAL_FORMAT, &with_national),
            (COUNTY_CODE_FORMAT, &counties),
        ],
    );
    let ops = operations(&doc);
    for id in CLOSED_FORMS {
        if let Some((path, method)) = ops.get(id) {
            let schema = &mut doc["paths"][path][method]["requestBody"]["content"]["multipart/form-data"]
                ["schema"];
            if schema.is_object() {
                schema["additionalProperties"] = json!(false);
            }
        }
    }
    tighten(&mut doc);
    for link in LINKS {
        let (Some((from_path, from_method)), true) =
            (ops.get(link.from), ops.contains_key(link.to))
        else {
            continue;
        };
        let response = &mut doc["paths"][from_path][from_method]["responses"][link.status];
        if !response.is_object() {
            continue;
        }
        let parameters: serde_json::Map<String, Value> = link
            .parameters
            .iter()
            .map(|(name, expression)| ((*name).to_owned(), json!(expression)))
            .collect();
        response["links"][link.to] = json!({
            "operationId": link.to,
            "parameters": parameters,
        });
    }
    doc
}

/// The endpoint serving a finished document at `/openapi.json`.
pub fn endpoint(doc: &Value) -> impl poem::Endpoint + 'static {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    poem::endpoint::make_sync(move |_| {
        poem::Response::builder()
            .content_type("application/json")
            .body(text.clone())
    })
}

/// Marks a property schema as taking `null`; a `$ref` is wrapped, since OpenAPI 3.0
/// ignores keywords beside one.
fn nullable(property: &mut Value) {
    if property.get("$ref").is_some() {
        *property = json!({ "allOf": [property.clone()], "nullable": true });
    } else if let Some(map) = property.as_object_mut() {
        map.insert("nullable".to_owned(), json!(true));
    }
}

/// What the generated schemas leave out about scalars: unsigned integers are never
/// negative (poem-openapi writes only the format), and no text holds U+0000.
fn tighten(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let ty = map.get("type").and_then(Value::as_str).map(str::to_owned);
            let format = map.get("format").and_then(Value::as_str).map(str::to_owned);
            match (ty.as_deref(), format.as_deref()) {
                (Some("integer"), Some("uint32" | "uint64")) => {
                    map.entry("minimum").or_insert(json!(0));
                    if format.as_deref() == Some("uint32") {
                        map.entry("maximum").or_insert(json!(u32::MAX));
                    }
                }
                (Some("string"), None)
                    if !map.contains_key("enum") && !map.contains_key("pattern") =>
                {
                    map.insert("pattern".to_owned(), json!(NO_NUL));
                }
                _ => {}
            }
            for child in map.values_mut() {
                tighten(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tighten),
        _ => {}
    }
}

/// Replaces each string schema of format `region-code` (or `region-or-national`) by the
/// enumeration of the codes this server knows.
fn fill_regions(value: &mut Value, lists: &[(&str, &Vec<Value>)]) {
    match value {
        Value::Object(map) => {
            let format = map.get("format").and_then(Value::as_str);
            if let Some((_, list)) = lists.iter().find(|(f, _)| Some(*f) == format) {
                let mut list = list.to_vec();
                // OpenAPI 3.0: a nullable enumeration lists null among its values.
                if map.get("nullable") == Some(&Value::Bool(true)) {
                    list.push(Value::Null);
                }
                map.remove("format");
                map.insert("enum".to_owned(), Value::Array(list));
            }
            for child in map.values_mut() {
                fill_regions(child, lists);
            }
        }
        Value::Array(items) => {
            for child in items {
                fill_regions(child, lists);
            }
        }
        _ => {}
    }
}

/// The methods of each path of the document, for the `Allow` header of a 405.
#[derive(Debug, Clone, Default)]
pub struct AllowTable {
    /// Path template split at `/` (`{id}` matches any segment) → `GET, POST`.
    paths: Vec<(Vec<String>, String)>,
}

impl AllowTable {
    /// The table of a finished document.
    pub fn of(doc: &Value) -> AllowTable {
        let mut paths = Vec::new();
        if let Some(map) = doc["paths"].as_object() {
            for (path, methods) in map {
                let mut allowed: BTreeSet<String> = methods
                    .as_object()
                    .map(|m| m.keys().map(|k| k.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                if allowed.contains("GET") {
                    allowed.insert("HEAD".to_owned());
                }
                let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
                paths.push((segments, allowed.into_iter().collect::<Vec<_>>().join(", ")));
            }
        }
        // Literal segments before parameters: `/v1/surveys/batch` is not `/v1/surveys/{id}`.
        paths.sort_by_key(|(segments, _)| {
            segments
                .iter()
                .map(|s| s.starts_with('{'))
                .collect::<Vec<_>>()
        });
        AllowTable { paths }
    }

    /// The methods of the path `path` (below `/api`), if the document has it.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.split('/').collect();
        self.paths
            .iter()
            .find(|(template, _)| {
                template.len() == segments.len()
                    && template
                        .iter()
                        .zip(&segments)
                        .all(|(t, s)| t.starts_with('{') || t == s)
            })
            .map(|(_, allow)| allow.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_names_the_methods_of_the_matching_path_literal_segments_first() {
        let doc = json!({"paths": {
            "/v1/surveys/{id}": {"get": {}, "put": {}},
            "/v1/surveys/batch": {"post": {}},
            "/v1/regions": {"get": {}},
        }});
        let table = AllowTable::of(&doc);
        assert_eq!(table.allowed("/v1/surveys/batch"), Some("POST"));
        assert_eq!(table.allowed("/v1/surveys/abc"), Some("GET, HEAD, PUT"));
        assert_eq!(table.allowed("/v1/regions"), Some("GET, HEAD"));
        assert_eq!(table.allowed("/v1/nothing"), None);
    }

    #[test]
    fn region_markers_become_enumerations_and_text_excludes_nul() {
        let codes = vec![json!("542500")];
        let mut doc = json!({
            "a": {"type": "string", "format": REGION_CODE_FORMAT},
            "b": {"type": "string", "format": REGION_CODE_FORMAT, "nullable": true},
            "c": {"type": "string"},
            "d": {"type": "integer", "format": "uint32"},
        });
        fill_regions(&mut doc, &[(REGION_CODE_FORMAT, &codes)]);
        tighten(&mut doc);
        assert_eq!(doc["a"], json!({"type": "string", "enum": ["542500"]}));
        assert_eq!(doc["b"]["enum"], json!(["542500", null]));
        assert_eq!(doc["c"]["pattern"], json!(NO_NUL));
        assert_eq!(doc["d"]["minimum"], json!(0));
        assert_eq!(doc["d"]["maximum"], json!(u32::MAX));
    }
}
