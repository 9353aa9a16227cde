//! `/api/v1/surveys/{id}/attachments`: photos taken with a survey.

use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, IntoResponse, Response};
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::registry::{
    MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::multipart::Upload;
use poem_openapi::{ApiResponse, Multipart, OpenApi};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use uuid::Uuid;

use super::ApiTags;
use super::error::{ApiError, ErrorCode};
use super::middleware::RequestContext;
use super::model::AttachmentBody;
use super::security::{Auth, PersonAuth, denied};
use crate::state::AppState;
use crate::storage::attachments::{ImageKind, NewAttachment, is_sha256_hex};

/// Attachment endpoints.
pub struct AttachmentsApi {
    pub(crate) state: Arc<AppState>,
}

/// A photo upload.
#[derive(Debug, Multipart)]
#[oai(deny_unknown_fields)]
pub(crate) struct PhotoUpload {
    /// The photo: JPEG, PNG or WebP (recognised by content, not by name), at most 10 MB.
    file: Upload,
}

#[derive(ApiResponse)]
enum UploadResponse {
    /// The photo was attached.
    #[oai(status = 201)]
    Created(Json<AttachmentBody>),
    /// This survey already had this exact photo; nothing was written.
    #[oai(status = 200)]
    Existing(Json<AttachmentBody>),
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The survey's photos, oldest first.
    #[oai(status = 200)]
    Ok(Json<Vec<AttachmentBody>>),
}

/// A photo's bytes, with the content type it was recognised as.
struct PhotoResponse {
    body: Body,
    content_type: String,
    size: i64,
}

impl IntoResponse for PhotoResponse {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.content_type)
            .header("Content-Length", self.size.to_string())
            // Content-addressed: the bytes behind this URL never change.
            .header("Cache-Control", "private, max-age=31536000, immutable")
            .body(self.body)
    }
}

impl ApiResponse for PhotoResponse {
    fn meta() -> MetaResponses {
        let binary =
            || MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The photo's bytes.",
                status: Some(200),
                status_range: None,
                content: ["image/jpeg", "image/png", "image/webp"]
                    .into_iter()
                    .map(|content_type| MetaMediaType {
                        content_type,
                        schema: binary(),
                    })
                    .collect(),
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

#[OpenApi(prefix_path = "/v1", tag = "ApiTags::Attachments")]
impl AttachmentsApi {
    /// Attach a photo to a survey
    ///
    /// `multipart/form-data` with one `file` field. The format is recognised from the
    /// bytes: JPEG, PNG and WebP are accepted (415 otherwise), up to 10 MB (413 beyond).
    /// Uploading the same photo again answers 200 and stores nothing new.
    #[oai(
        path = "/surveys/:id/attachments",
        method = "post",
        operation_id = "attachPhoto"
    )]
    async fn upload(
        &self,
        auth: PersonAuth,
        ctx: Data<&RequestContext>,
        id: Path<Uuid>,
        upload: PhotoUpload,
    ) -> Result<UploadResponse, ApiError> {
        let principal = auth.principal();
        principal
            .may_correct()
            .map_err(|d| denied(d, "调查", "survey"))?;
        self.visible(principal, id.0).await?;
        let limit = self.state.settings.max_attachment_bytes;
        if upload.file.size() > limit {
            return Err(ApiError::payload_too_large(limit).at("file"));
        }
        let file_name = upload
            .file
            .file_name()
            .map(|n| n.chars().take(255).collect::<String>());
        let mut file = upload.file.into_file();
        let mut head = [0u8; 16];
        let read = read_head(&mut file, &mut head)
            .await
            .map_err(ApiError::internal)?;
        let kind = ImageKind::sniff(&head[..read]).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedImage,
                "只接受 JPEG、PNG 或 WebP 格式的照片(按文件内容识别)",
                "only JPEG, PNG or WebP photos are accepted (recognised by content)",
            )
            .at("file")
        })?;
        file.rewind().await.map_err(ApiError::internal)?;
        let actor = principal.actor(ctx.address.clone(), &ctx.request_id);
        let (attachment, created) = self
            .state
            .storage
            .attach(
                NewAttachment {
                    survey_id: id.0,
                    reader: file,
                    kind,
                    file_name,
                },
                &actor,
            )
            .await?;
        Ok(if created {
            UploadResponse::Created(Json(attachment.into()))
        } else {
            UploadResponse::Existing(Json(attachment.into()))
        })
    }

    /// List a survey's photos
    #[oai(
        path = "/surveys/:id/attachments",
        method = "get",
        operation_id = "listPhotos"
    )]
    async fn list(&self, auth: Auth, id: Path<Uuid>) -> Result<ListResponse, ApiError> {
        self.visible(auth.principal(), id.0).await?;
        let attachments = self.state.storage.list_attachments(id.0).await?;
        Ok(ListResponse::Ok(Json(
            attachments.into_iter().map(AttachmentBody::from).collect(),
        )))
    }

    /// Download a photo
    #[oai(
        path = "/surveys/:id/attachments/:sha256",
        method = "get",
        operation_id = "getPhoto"
    )]
    async fn download(
        &self,
        auth: Auth,
        id: Path<Uuid>,
        /// The photo's SHA-256, lowercase hex.
        sha256: Path<String>,
    ) -> Result<PhotoResponse, ApiError> {
        self.visible(auth.principal(), id.0).await?;
        // Checked before it goes anywhere near a file path.
        if !is_sha256_hex(&sha256.0) {
            return Err(ApiError::not_found("照片", "photo"));
        }
        let attachment = self
            .state
            .storage
            .find_attachment(id.0, &sha256.0)
            .await?
            .ok_or_else(|| ApiError::not_found("照片", "photo"))?;
        let file = self.state.storage.open_attachment(&attachment).await?;
        Ok(PhotoResponse {
            body: Body::from_async_read(file),
            content_type: attachment.content_type,
            size: attachment.size_bytes,
        })
    }
}

impl AttachmentsApi {
    /// The survey must exist and be visible to the caller; otherwise 404.
    async fn visible(&self, principal: &crate::auth::Principal, id: Uuid) -> Result<(), ApiError> {
        match self.state.storage.get_survey(id).await? {
            Some(s)
                if principal.can_see(
                    &s.survey.county_code,
                    &s.survey.technician,
                    self.state.storage.regions(),
                ) =>
            {
                Ok(())
            }
            _ => Err(ApiError::not_found("调查", "survey")),
        }
    }
}

async fn read_head(file: &mut tokio::fs::File, head: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < head.len() {
        let n = file.read(&mut head[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
