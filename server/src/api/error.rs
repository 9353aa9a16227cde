//! The API layer's one error type, and the one JSON shape every error response has.
//!
//! Expected outcomes (invalid survey, not found, stale version, body too large) are
//! [`ApiError`]s with a documented status and a stable machine `code`; unexpected
//! failures become a plain 500 whose body carries only the request id, while the cause
//! is logged with its whole chain. Errors raised by poem itself (unknown route, wrong
//! content type, unparsable query) are turned into the same shape by [`to_response`], so
//! a client never has to parse two kinds of error body.

use agriwaste_analytics::Issue;
use poem::Response;
use poem::error::ResponseError;
use poem::http::StatusCode;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::{ToJSON, Type};
use poem_openapi::{ApiResponse, Enum, Object};

/// The machine code of an error response, the same snake_case string on the wire
/// whichever operation answers: clients switch on it, people read the messages.
///
/// Problems with a survey's content are listed in `errors`, with the domain's
/// `IssueCode`s; this enum names what the API itself refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The record breaks the validation rules; `errors` lists every problem.
    ValidationFailed,
    /// No such record or path, or not visible to the caller.
    NotFound,
    /// The method is not allowed on this path.
    MethodNotAllowed,
    /// The request body exceeds the limit.
    PayloadTooLarge,
    /// The content type is not accepted.
    UnsupportedMediaType,
    /// An uploaded photo is not JPEG, PNG or WebP by its content.
    UnsupportedImage,
    /// Unexpected failure; report the request id.
    InternalError,
    /// No credential was sent.
    Unauthorized,
    /// The token, key or password is wrong.
    InvalidCredentials,
    /// The token or key has been revoked.
    CredentialRevoked,
    /// The token or key has expired.
    CredentialExpired,
    /// The account is disabled.
    AccountDisabled,
    /// Too many failed sign-ins; wait and retry.
    TooManyAttempts,
    /// The caller's role does not allow the operation.
    Forbidden,
    /// A technician submitting in a county they are not assigned to.
    CountyNotAssigned,
    /// A query or path parameter is malformed or out of range.
    InvalidParameter,
    /// The request body cannot be read.
    InvalidBody,
    /// The multipart form cannot be read.
    InvalidMultipart,
    /// Text carries U+0000, which cannot be stored.
    InvalidText,
    /// A paging cursor is not one the server gave out.
    InvalidCursor,
    /// `If-Match` is not a survey version's ETag.
    InvalidIfMatch,
    /// A region code is not known.
    UnknownRegion,
    /// An indicator key is not known.
    UnknownIndicator,
    /// `from` is after `to`.
    InvalidRange,
    /// The chart needs a region.
    RegionRequired,
    /// PNG charts are unavailable: the server has no Chinese font.
    PngUnavailable,
    /// The survey id is stored with other content.
    IdConflict,
    /// The survey id in the body differs from the one in the path.
    IdMismatch,
    /// The record changed since the version named; `current_version` says which it is.
    VersionConflict,
    /// `If-Match` and `base_version` name different versions.
    VersionMismatch,
    /// A correction must name the version it replaces.
    VersionRequired,
    /// More items than one request may carry.
    TooManyItems,
    /// A review sets approved, has_issues or rejected only.
    NotADecision,
    /// has_issues and rejected need a comment.
    CommentRequired,
    /// The username is not 3–64 letters, digits, `-`, `_` or `.`.
    InvalidUsername,
    /// The password is too short.
    WeakPassword,
    /// The username is taken.
    UsernameTaken,
    /// A role's region or counties are missing or unknown.
    InvalidScope,
    /// An admin cannot disable their own account.
    CannotDisableSelf,
    /// A label is empty or too long.
    InvalidName,
    /// An expiry is not in the future.
    ExpiryInPast,
    /// A required field is missing.
    Required,
    /// A text field is too long.
    TooLong,
    /// A number is outside its range.
    OutOfRange,
    /// A value is not acceptable for the field.
    InvalidValue,
    /// A county group's code, names or members are not acceptable; `path` names the
    /// field.
    InvalidGroup,
    /// Another county group has this code.
    GroupCodeTaken,
    /// A county group shipped with the product cannot be changed or deleted.
    GroupBuiltIn,
    /// Any other malformed request the HTTP layer refuses.
    BadRequest,
    /// A static file's precondition (`If-Match`, `If-Unmodified-Since`) failed.
    PreconditionFailed,
    /// A static file's requested range lies outside it.
    RangeNotSatisfiable,
}

impl ErrorCode {
    /// The code as sent on the wire.
    pub fn wire_name(self) -> String {
        match self.to_json() {
            Some(serde_json::Value::String(code)) => code,
            _ => String::new(),
        }
    }

    /// The code of an error the HTTP layer raised with only a status: the status's name
    /// for those it raises in this server (static files: 400, 403, 404, 405, 412, 416;
    /// reading a body: 400, 413), and `bad_request` for any other client error.
    fn of_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::PRECONDITION_FAILED => ErrorCode::PreconditionFailed,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::RANGE_NOT_SATISFIABLE => ErrorCode::RangeNotSatisfiable,
            _ => ErrorCode::BadRequest,
        }
    }
}

/// One problem with one field of a request.
#[derive(Debug, Clone, Object)]
pub struct FieldIssue {
    /// Dotted path of the field, e.g. `film.recovered_kg`; empty for the whole record.
    pub path: String,
    /// Machine code, e.g. `exceeds_whole`, `negative`, `unknown_county`.
    pub code: String,
    /// `error` (rejects the record) or `warning` (stored with it).
    pub severity: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
    /// What is wrong, in English.
    pub message_en: String,
}

impl From<Issue> for FieldIssue {
    fn from(issue: Issue) -> Self {
        FieldIssue {
            path: issue.path,
            code: issue.code.as_str().to_owned(),
            severity: match issue.severity {
                agriwaste_analytics::Severity::Error => "error",
                agriwaste_analytics::Severity::Warning => "warning",
            }
            .to_owned(),
            message_zh: issue.message_zh,
            message_en: issue.message_en,
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// Machine code clients can switch on, e.g. `validation_failed`, `not_found`,
    /// `version_conflict`, `payload_too_large`.
    pub code: ErrorCode,
    /// What went wrong, in Chinese.
    pub message_zh: String,
    /// What went wrong, in English.
    pub message_en: String,
    /// The field at fault, where there is one.
    #[oai(skip_serializing_if_is_none)]
    pub path: Option<String>,
    /// Every problem found, for validation failures.
    #[oai(skip_serializing_if_is_empty, default)]
    pub errors: Vec<FieldIssue>,
    /// The current version of the record, for version conflicts.
    #[oai(skip_serializing_if_is_none)]
    pub current_version: Option<i32>,
    /// Quote this when reporting a problem; it is in the server's log too.
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

/// An error the API returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// Boxed: errors travel through every `Result` of the API layer, and a small error
    /// keeps the happy path's values small.
    body: Box<ErrorBody>,
    /// The cause of an unexpected failure, logged and never sent.
    cause: Option<anyhow::Error>,
    /// For a 405, the methods the path has, sent as `Allow` (RFC 9110 §15.5.6).
    allow: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.body.code.wire_name(),
            self.body.message_en
        )
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(
        status: StatusCode,
        code: ErrorCode,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            body: Box::new(ErrorBody {
                code,
                message_zh: zh.into(),
                message_en: en.into(),
                path: None,
                errors: Vec::new(),
                current_version: None,
                request_id: None,
            }),
            cause: None,
            allow: None,
        }
    }

    /// The field at fault.
    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.body.path = Some(path.into());
        self
    }

    /// The current version, for a conflict.
    pub fn with_current_version(mut self, version: i32) -> Self {
        self.body.current_version = Some(version);
        self
    }

    /// 422: the record breaks the rules; every problem is listed.
    pub fn invalid(issues: Vec<Issue>) -> Self {
        let count = issues.iter().filter(|i| i.is_error()).count();
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            format!("提交的数据有 {count} 处错误,未保存"),
            format!("the submission has {count} error(s) and was not stored"),
        );
        err.body.errors = issues.into_iter().map(FieldIssue::from).collect();
        if let [only] = err.body.errors.as_slice() {
            err.body.path = Some(only.path.clone());
        }
        err
    }

    /// 404.
    pub fn not_found(what_zh: &str, what_en: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what_zh}不存在"),
            format!("{what_en} not found"),
        )
    }

    /// 400 for a malformed request that is not a validation failure.
    pub fn bad_request(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, zh, en)
    }

    /// 413.
    pub fn payload_too_large(limit: usize) -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            format!("请求内容超过 {limit} 字节的上限"),
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    /// 405, naming the methods the path has (`GET, HEAD, POST`).
    pub fn method_not_allowed(allow: &str) -> Self {
        let mut err = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            format!("该地址不支持此请求方法,可用:{allow}"),
            format!("this method is not allowed on this path; allowed: {allow}"),
        );
        err.allow = Some(allow.to_owned());
        err
    }

    /// 500: the cause is logged, the client gets the request id.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut err = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "服务器内部错误,请稍后重试并报告请求编号",
            "internal server error; retry later and report the request id",
        );
        err.cause = Some(cause.into());
        err
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The machine code.
    pub fn code(&self) -> ErrorCode {
        self.body.code
    }

    /// The body sent to the client.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(err: crate::storage::StorageError) -> Self {
        ApiError::internal(err)
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        json_response(self.status, &self.body)
    }
}

fn json_response(status: StatusCode, body: &ErrorBody) -> Response {
    let text = body.to_json_string();
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(text)
}

/// The statuses any operation may answer with an [`ErrorBody`]. Declared on every
/// operation so that the OpenAPI document describes every response the server can send.
const DOCUMENTED: [(u16, &str); 9] = [
    (
        400,
        "The request is malformed (bad parameter, bad multipart, wrong id).",
    ),
    (404, "No such record, or not visible to the caller."),
    (405, "The method is not allowed on this path."),
    (
        409,
        "The request conflicts with the stored record (same id with other content, stale version).",
    ),
    (413, "The request body exceeds the configured limit."),
    (
        415,
        "The content type is not accepted (for photos: not JPEG, PNG or WebP by content).",
    ),
    (
        422,
        "The record breaks the validation rules; every problem is listed in `errors`.",
    ),
    (
        428,
        "A correction must name the version it replaces (If-Match or base_version).",
    ),
    (
        500,
        "Unexpected failure; the body carries the request id to report.",
    ),
];

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: DOCUMENTED
                .iter()
                .map(|(status, description)| MetaResponse {
                    description,
                    status: Some(*status),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: ErrorBody::schema_ref(),
                    }],
                    headers: if *status == 405 {
                        vec![MetaHeader {
                            name: "Allow".to_owned(),
                            description: Some("The methods the path has.".to_owned()),
                            required: true,
                            deprecated: false,
                            schema: String::schema_ref(),
                        }]
                    } else {
                        vec![]
                    },
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

/// Turns any error that reached the top of the stack into the common JSON shape, logging
/// unexpected ones with their cause.
///
/// A 413 also closes the connection: the unread rest of the body must not be taken for
/// the client's next request, and the client must not reuse a connection the server is
/// about to drop.
pub fn to_response(err: poem::Error, request_id: &str) -> Response {
    use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError};
    use poem_openapi::error::{
        ContentTypeError, ParseMultipartError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    };

    let mut api = if let Some(api) = err.downcast_ref::<ApiError>() {
        if let Some(cause) = &api.cause {
            tracing::error!(request_id, error = format!("{cause:#}"), "request failed");
        }
        ApiError {
            status: api.status,
            body: api.body.clone(),
            cause: None,
            allow: api.allow.clone(),
        }
    } else if err.is::<poem_openapi::error::AuthorizationError>() {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "需要登录:请提供 Authorization: Bearer 令牌或 X-API-Key 密钥",
            "authentication required: send Authorization: Bearer <token> or X-API-Key <key>",
        )
    } else if err.is::<NotFoundError>() {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "没有这个地址",
            "no such path",
        )
    } else if err.is::<MethodNotAllowedError>() {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "该地址不支持此请求方法",
            "this method is not allowed on this path",
        )
    } else if let Some(e) = err.downcast_ref::<ParseParamError>() {
        ApiError::bad_request(
            ErrorCode::InvalidParameter,
            format!("参数 {} 无效:{}", e.name, e.reason),
            format!("parameter {} is invalid: {}", e.name, e.reason),
        )
        .at(e.name)
    } else if let Some(e) = err.downcast_ref::<ParsePathError>() {
        ApiError::bad_request(
            ErrorCode::InvalidParameter,
            format!("路径参数 {} 无效:{}", e.name, e.reason),
            format!("path parameter {} is invalid: {}", e.name, e.reason),
        )
        .at(e.name)
    } else if let Some(e) = err.downcast_ref::<ContentTypeError>() {
        let zh = match e {
            ContentTypeError::NotSupported { content_type } => {
                format!(
                    "不支持的内容类型 {content_type};请求内容应为 JSON(application/json)或 multipart 表单"
                )
            }
            ContentTypeError::ExpectContentType => "请求缺少 Content-Type 头".to_owned(),
        };
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            zh,
            e.to_string(),
        )
    } else if let Some(e) = err.downcast_ref::<ParseMultipartError>() {
        ApiError::bad_request(
            ErrorCode::InvalidMultipart,
            format!("multipart 表单无效:{}", e.reason),
            e.to_string(),
        )
    } else if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        ApiError::bad_request(
            ErrorCode::InvalidBody,
            format!("请求内容无效:{}", e.reason),
            e.to_string(),
        )
    } else if let Some(ReadBodyError::PayloadTooLarge) = err.downcast_ref::<ReadBodyError>() {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
            "请求内容过大",
            "the request body is too large",
        )
    } else if err.status().is_server_error() {
        tracing::error!(request_id, error = %err, "request failed");
        ApiError::internal(anyhow::anyhow!("{err}"))
    } else {
        let status = err.status();
        ApiError::new(
            status,
            ErrorCode::of_status(status),
            format!("请求无法处理:{err}"),
            err.to_string(),
        )
    };
    api.body.request_id = Some(request_id.to_owned());
    let mut response = api.as_response();
    if api.status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            poem::http::header::WWW_AUTHENTICATE,
            poem::http::HeaderValue::from_static("Bearer realm=\"agriwaste\""),
        );
    }
    if let Some(allow) = api
        .allow
        .as_deref()
        .and_then(|a| poem::http::HeaderValue::from_str(a).ok())
    {
        response
            .headers_mut()
            .insert(poem::http::header::ALLOW, allow);
    }
    if api.status == StatusCode::PAYLOAD_TOO_LARGE {
        response.headers_mut().insert(
            poem::http::header::CONNECTION,
            poem::http::HeaderValue::from_static("close"),
        );
    }
    response
}
