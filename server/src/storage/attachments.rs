//! Photo attachments: bytes on disk under their SHA-256 (so the same photo is stored once
//! however often it is uploaded), one row per survey and photo in the database.
//!
//! A photo is written to a temporary file, synced, and renamed into place before its row
//! is committed: a row never points at a missing or partial file. A crash between the two
//! leaves an orphan file, which is harmless and is reused by the next upload of that photo.

use std::path::{Path, PathBuf};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use super::audit::{Change, append};
use super::entities::survey_attachments;
use super::{Storage, StorageError};
use crate::auth::Actor;

/// Image formats accepted as attachments, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// JPEG (FF D8 FF).
    Jpeg,
    /// PNG (89 50 4E 47 0D 0A 1A 0A).
    Png,
    /// WebP (RIFF....WEBP).
    Webp,
}

impl ImageKind {
    /// Recognises the format from the file's first bytes; the name and the declared
    /// content type are not trusted.
    pub fn sniff(head: &[u8]) -> Option<ImageKind> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(ImageKind::Png)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }
}

/// An attachment's metadata.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The survey it belongs to.
    pub survey_id: Uuid,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// MIME type, from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// The file name the phone gave, if any.
    pub file_name: Option<String>,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: DateTime<Utc>,
}

/// A photo to attach.
pub struct NewAttachment<R> {
    /// The survey.
    pub survey_id: Uuid,
    /// The bytes.
    pub reader: R,
    /// The format, already sniffed.
    pub kind: ImageKind,
    /// The name the phone gave.
    pub file_name: Option<String>,
}

/// Whether a string is a SHA-256 in lowercase hex (and so safe to use as a file name).
pub fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Storage {
    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.attachments_dir.join(&sha256[..2]).join(sha256)
    }

    /// Stores a photo and attaches it to a survey. Returns the attachment and whether it
    /// was new (false: this survey already had this exact photo).
    pub async fn attach<R: AsyncRead + Unpin>(
        &self,
        new: NewAttachment<R>,
        actor: &Actor,
    ) -> Result<(Attachment, bool), StorageError> {
        let (sha256, size) = self.write_blob(new.reader).await?;
        let at = Utc::now().trunc_subsecs(6);
        let attachment = Attachment {
            survey_id: new.survey_id,
            sha256,
            content_type: new.kind.mime().to_owned(),
            size_bytes: size as i64,
            file_name: new.file_name,
            uploaded_by: actor.name.clone(),
            uploaded_at: at,
        };
        let _writer = self.write_guard().await;
        if let Some(existing) = self
            .find_attachment(new.survey_id, &attachment.sha256)
            .await?
        {
            return Ok((existing, false));
        }
        let txn = self.db.begin().await?;
        let inserted = survey_attachments::Entity::insert(survey_attachments::ActiveModel {
            survey_id: Set(attachment.survey_id.to_string()),
            sha256: Set(attachment.sha256.clone()),
            content_type: Set(attachment.content_type.clone()),
            size_bytes: Set(attachment.size_bytes),
            file_name: Set(attachment.file_name.clone()),
            uploaded_by: Set(attachment.uploaded_by.clone()),
            uploaded_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await;
        match inserted {
            Ok(_) => {
                let change = Change {
                    action: "attachment.add",
                    entity_type: "survey",
                    entity_id: attachment.survey_id.to_string(),
                    before: None,
                    after: Some(serde_json::json!({
                        "sha256": attachment.sha256, "content_type": attachment.content_type,
                        "size_bytes": attachment.size_bytes, "file_name": attachment.file_name,
                    })),
                };
                append(&txn, actor, change, at).await?;
                txn.commit().await?;
                Ok((attachment, true))
            }
            // Another replica attached the same photo a moment ago.
            Err(err)
                if matches!(
                    err.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                let existing = self
                    .find_attachment(new.survey_id, &attachment.sha256)
                    .await?;
                Ok((existing.unwrap_or(attachment), false))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Streams the bytes to a temporary file while hashing, then moves the file to its
    /// content address.
    async fn write_blob<R: AsyncRead + Unpin>(
        &self,
        mut reader: R,
    ) -> Result<(String, u64), StorageError> {
        let tmp_dir = self.attachments_dir.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let tmp_path = tmp_dir.join(Uuid::new_v4().to_string());
        let result = async {
            let mut file = tokio::fs::File::create(&tmp_path).await?;
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = reader.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
                file.write_all(&buf[..n]).await?;
                size += n as u64;
            }
            file.sync_all().await?;
            let sha256 = hex::encode(hasher.finalize());
            let final_path = self.blob_path(&sha256);
            if let Some(dir) = final_path.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            tokio::fs::rename(&tmp_path, &final_path).await?;
            sync_dir(final_path.parent()).await?;
            Ok::<_, std::io::Error>((sha256, size))
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp_path).await;
        }
        Ok(result?)
    }

    /// An attachment of a survey.
    pub async fn find_attachment(
        &self,
        survey_id: Uuid,
        sha256: &str,
    ) -> Result<Option<Attachment>, StorageError> {
        let row = survey_attachments::Entity::find()
            .filter(survey_attachments::Column::SurveyId.eq(survey_id.to_string()))
            .filter(survey_attachments::Column::Sha256.eq(sha256.to_owned()))
            .one(&self.db)
            .await?;
        row.map(attachment_from_row).transpose()
    }

    /// Every attachment of a survey, oldest first.
    pub async fn list_attachments(&self, survey_id: Uuid) -> Result<Vec<Attachment>, StorageError> {
        self.list_attachments_of(&[survey_id]).await
    }

    /// The attachments of many surveys in one query (an export page's worth), oldest
    /// first within each survey.
    pub async fn list_attachments_of(
        &self,
        survey_ids: &[Uuid],
    ) -> Result<Vec<Attachment>, StorageError> {
        if survey_ids.is_empty() {
            return Ok(Vec::new());
        }
        survey_attachments::Entity::find()
            .filter(
                survey_attachments::Column::SurveyId.is_in(survey_ids.iter().map(Uuid::to_string)),
            )
            .order_by_asc(survey_attachments::Column::UploadedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(attachment_from_row)
            .collect()
    }

    /// Opens an attachment's bytes.
    pub async fn open_attachment(
        &self,
        attachment: &Attachment,
    ) -> Result<tokio::fs::File, StorageError> {
        Ok(tokio::fs::File::open(self.blob_path(&attachment.sha256)).await?)
    }
}

fn attachment_from_row(row: survey_attachments::Model) -> Result<Attachment, StorageError> {
    let survey_id = Uuid::parse_str(&row.survey_id)
        .map_err(|e| StorageError::Corrupt(format!("attachment {}", row.sha256), e.to_string()))?;
    Ok(Attachment {
        survey_id,
        sha256: row.sha256,
        content_type: row.content_type,
        size_bytes: row.size_bytes,
        file_name: row.file_name,
        uploaded_by: row.uploaded_by,
        uploaded_at: row.uploaded_at,
    })
}

/// Makes a rename durable: the directory entry must reach the disk too.
async fn sync_dir(dir: Option<&Path>) -> std::io::Result<()> {
    if let Some(dir) = dir {
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_content() {
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a......"), None);
        assert_eq!(ImageKind::sniff(b"%PDF-1.7"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn only_hex_digests_are_file_names() {
        assert!(is_sha256_hex(&"a".repeat(64)));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("../../etc/passwd"));
        assert!(!is_sha256_hex(&format!("{}/", "a".repeat(63))));
    }
}
