//! Users, credentials (sessions, device tokens, API keys) and login throttling.
//!
//! Secrets never reach this module's rows or the audit log: passwords arrive hashed,
//! tokens as their SHA-256, and audit entries carry ids and names only.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr,
    TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::audit::{Change, append};
use super::entities::{credentials, login_failures, users};
use super::{Storage, StorageError, lock_advisory_keys};
use crate::auth::Actor;
use crate::auth::Role;
use crate::auth::secrets::TokenKind;

/// How long failed logins are kept: long enough to read an attack in the table the next
/// morning, far longer than the throttling window.
pub const LOGIN_FAILURE_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// A user account (never with its password hash).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Stable id.
    pub id: Uuid,
    /// Sign-in name; also the name recorded on what the user writes.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// What the user may do.
    pub role: Role,
    /// Region a viewer or reviewer covers (everything below it).
    pub scope_code: Option<String>,
    /// Counties a technician works in.
    pub counties: Vec<String>,
    /// Whether the user has a password (technicians may use device tokens only).
    pub has_password: bool,
    /// Disabled users cannot sign in and their tokens stop working.
    pub active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// The audit form: everything but secrets.
    pub fn audit_json(&self) -> serde_json::Value {
        json!({
            "username": self.username, "display_name": self.display_name, "role": self.role.key(),
            "scope_code": self.scope_code, "counties": self.counties, "active": self.active,
            "has_password": self.has_password,
        })
    }
}

/// A new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Region scope (viewer, reviewer).
    pub scope_code: Option<String>,
    /// Counties (technician).
    pub counties: Vec<String>,
    /// Argon2id hash, if the user signs in with a password.
    pub password_hash: Option<String>,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// New display name.
    pub display_name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// New scope (`Some(None)` clears it).
    pub scope_code: Option<Option<String>>,
    /// New counties.
    pub counties: Option<Vec<String>>,
    /// New password hash.
    pub password_hash: Option<String>,
    /// Enable or disable.
    pub active: Option<bool>,
}

/// A credential's metadata (never its secret).
#[derive(Debug, Clone)]
pub struct Credential {
    /// Id, for listing and revoking.
    pub id: Uuid,
    /// Session, device token or API key.
    pub kind: TokenKind,
    /// Owner (sessions and device tokens).
    pub user_id: Option<Uuid>,
    /// A label: the device, or what the key is for.
    pub name: String,
    /// Region an API key covers.
    pub scope_code: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// By whom.
    pub created_by: String,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Revocation, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last seen in use (to the nearest ten minutes).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Why a presented secret was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialProblem {
    /// No such secret.
    Unknown,
    /// Revoked.
    Revoked,
    /// Expired.
    Expired,
    /// Its user is disabled.
    UserDisabled,
}

/// Outcome of creating a user.
#[derive(Debug, Clone)]
pub enum CreateUserOutcome {
    /// Created.
    Created(User),
    /// The username is taken.
    UsernameTaken,
}

fn user_from_row(row: users::Model) -> Result<User, StorageError> {
    let id = Uuid::parse_str(&row.id)
        .map_err(|e| StorageError::Corrupt(format!("user {}", row.id), e.to_string()))?;
    let role = Role::from_key(&row.role)
        .ok_or_else(|| StorageError::Corrupt(format!("user {}", row.id), row.role.clone()))?;
    let counties: Vec<String> = serde_json::from_str(&row.counties)
        .map_err(|e| StorageError::Corrupt(format!("user {}", row.id), e.to_string()))?;
    Ok(User {
        id,
        username: row.username,
        display_name: row.display_name,
        role,
        scope_code: row.scope_code,
        counties,
        has_password: row.password_hash.is_some(),
        active: row.active,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn credential_from_row(row: credentials::Model) -> Result<Credential, StorageError> {
    let corrupt = |what: String| StorageError::Corrupt(format!("credential {}", row.id), what);
    Ok(Credential {
        id: Uuid::parse_str(&row.id).map_err(|e| corrupt(e.to_string()))?,
        kind: TokenKind::from_key(&row.kind).ok_or_else(|| corrupt(row.kind.clone()))?,
        user_id: row
            .user_id
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?,
        name: row.name,
        scope_code: row.scope_code,
        created_at: row.created_at,
        created_by: row.created_by,
        expires_at: row.expires_at,
        revoked_at: row.revoked_at,
        last_used_at: row.last_used_at,
    })
}

fn credential_audit(c: &Credential) -> serde_json::Value {
    json!({
        "kind": c.kind.key(), "user_id": c.user_id, "name": c.name, "scope_code": c.scope_code,
        "expires_at": c.expires_at, "revoked_at": c.revoked_at,
    })
}

impl Storage {
    /// Creates a user.
    pub async fn create_user(
        &self,
        new: NewUser,
        actor: &Actor,
    ) -> Result<CreateUserOutcome, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let at = self.now();
        let id = Uuid::new_v4();
        let inserted = users::Entity::insert(users::ActiveModel {
            id: Set(id.to_string()),
            username: Set(new.username.clone()),
            display_name: Set(new.display_name.clone()),
            role: Set(new.role.key().to_owned()),
            scope_code: Set(new.scope_code.clone()),
            counties: Set(serde_json::to_string(&new.counties).unwrap_or_else(|_| "[]".to_owned())),
            password_hash: Set(new.password_hash.clone()),
            active: Set(true),
            created_at: Set(at),
            updated_at: Set(at),
        })
        .exec_without_returning(&txn)
        .await;
        match inserted {
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Ok(CreateUserOutcome::UsernameTaken);
            }
            other => {
                other?;
            }
        }
        let user = User {
            id,
            username: new.username,
            display_name: new.display_name,
            role: new.role,
            scope_code: new.scope_code,
            counties: new.counties,
            has_password: new.password_hash.is_some(),
            active: true,
            created_at: at,
            updated_at: at,
        };
        let change = Change {
            action: "user.create",
            entity_type: "user",
            entity_id: id.to_string(),
            before: None,
            after: Some(user.audit_json()),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(CreateUserOutcome::Created(user))
    }

    /// Changes a user; `None` when there is no such user.
    pub async fn update_user(
        &self,
        id: Uuid,
        changes: UserChanges,
        actor: &Actor,
    ) -> Result<Option<User>, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let Some(row) = users::Entity::find_by_id(id.to_string()).one(&txn).await? else {
            return Ok(None);
        };
        let before = user_from_row(row.clone())?;
        let at = self.now();
        let mut model: users::ActiveModel = row.into();
        if let Some(v) = changes.display_name {
            model.display_name = Set(v);
        }
        if let Some(v) = changes.role {
            model.role = Set(v.key().to_owned());
        }
        if let Some(v) = changes.scope_code {
            model.scope_code = Set(v);
        }
        if let Some(v) = changes.counties {
            model.counties = Set(serde_json::to_string(&v).unwrap_or_else(|_| "[]".to_owned()));
        }
        let password_changed = changes.password_hash.is_some();
        if let Some(v) = changes.password_hash {
            model.password_hash = Set(Some(v));
        }
        if let Some(v) = changes.active {
            model.active = Set(v);
        }
        model.updated_at = Set(at);
        let row = users::Entity::update(model).exec(&txn).await?;
        let after = user_from_row(row)?;
        let mut after_json = after.audit_json();
        if password_changed {
            after_json["password_changed"] = json!(true);
        }
        let change = Change {
            action: "user.update",
            entity_type: "user",
            entity_id: id.to_string(),
            before: Some(before.audit_json()),
            after: Some(after_json),
        };
        append(&txn, actor, change, at).await?;
        txn.commit().await?;
        Ok(Some(after))
    }

    /// A user by id.
    pub async fn get_user(&self, id: Uuid) -> Result<Option<User>, StorageError> {
        users::Entity::find_by_id(id.to_string())
            .one(&self.db)
            .await?
            .map(user_from_row)
            .transpose()
    }

    /// A user and their password hash, by username.
    pub async fn user_for_login(
        &self,
        username: &str,
    ) -> Result<Option<(User, Option<String>)>, StorageError> {
        let row = users::Entity::find()
            .filter(users::Column::Username.eq(username.to_owned()))
            .one(&self.db)
            .await?;
        row.map(|row| {
            let hash = row.password_hash.clone();
            user_from_row(row).map(|user| (user, hash))
        })
        .transpose()
    }

    /// Every user, by username.
    pub async fn list_users(&self) -> Result<Vec<User>, StorageError> {
        users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(user_from_row)
            .collect()
    }

    /// Stores a new credential for `token` (already generated; only its hash is kept).
    #[expect(
        clippy::too_many_arguments,
        reason = "each is a column of the credential"
    )]
    pub async fn issue_credential(
        &self,
        kind: TokenKind,
        token: &str,
        user_id: Option<Uuid>,
        name: &str,
        scope_code: Option<String>,
        expires_at: Option<DateTime<Utc>>,
        actor: &Actor,
    ) -> Result<Credential, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let at = self.now();
        let credential = Credential {
            id: Uuid::new_v4(),
            kind,
            user_id,
            name: name.to_owned(),
            scope_code,
            created_at: at,
            created_by: actor.name.clone(),
            expires_at,
            revoked_at: None,
            last_used_at: None,
        };
        credentials::Entity::insert(credentials::ActiveModel {
            id: Set(credential.id.to_string()),
            kind: Set(kind.key().to_owned()),
            token_hash: Set(crate::auth::secrets::token_hash(token)),
            user_id: Set(user_id.map(|u| u.to_string())),
            name: Set(credential.name.clone()),
            scope_code: Set(credential.scope_code.clone()),
            created_at: Set(at),
            created_by: Set(credential.created_by.clone()),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
        })
        .exec_without_returning(&txn)
        .await?;
        // Sign-ins are not audited as writes; device tokens and keys are.
        if kind != TokenKind::Session {
            let change = Change {
                action: if kind == TokenKind::ApiKey {
                    "api_key.create"
                } else {
                    "device_token.issue"
                },
                entity_type: "credential",
                entity_id: credential.id.to_string(),
                before: None,
                after: Some(credential_audit(&credential)),
            };
            append(&txn, actor, change, at).await?;
        }
        txn.commit().await?;
        Ok(credential)
    }

    /// Revokes a credential of the given kind (and owner, for device tokens); `None` when
    /// there is no such credential.
    pub async fn revoke_credential(
        &self,
        id: Uuid,
        kind: TokenKind,
        user_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Option<Credential>, StorageError> {
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        let Some(row) = credentials::Entity::find_by_id(id.to_string())
            .one(&txn)
            .await?
        else {
            return Ok(None);
        };
        let before = credential_from_row(row.clone())?;
        if before.kind != kind || (user_id.is_some() && before.user_id != user_id) {
            return Ok(None);
        }
        if before.revoked_at.is_some() {
            return Ok(Some(before));
        }
        let at = self.now();
        let mut model: credentials::ActiveModel = row.into();
        model.revoked_at = Set(Some(at));
        let after = credential_from_row(credentials::Entity::update(model).exec(&txn).await?)?;
        if kind != TokenKind::Session {
            let change = Change {
                action: if kind == TokenKind::ApiKey {
                    "api_key.revoke"
                } else {
                    "device_token.revoke"
                },
                entity_type: "credential",
                entity_id: id.to_string(),
                before: Some(credential_audit(&before)),
                after: Some(credential_audit(&after)),
            };
            append(&txn, actor, change, at).await?;
        }
        txn.commit().await?;
        Ok(Some(after))
    }

    /// Credentials of a kind, optionally of one user, newest first.
    pub async fn list_credentials(
        &self,
        kind: TokenKind,
        user_id: Option<Uuid>,
    ) -> Result<Vec<Credential>, StorageError> {
        let mut query =
            credentials::Entity::find().filter(credentials::Column::Kind.eq(kind.key()));
        if let Some(user_id) = user_id {
            query = query.filter(credentials::Column::UserId.eq(user_id.to_string()));
        }
        query
            .order_by_desc(credentials::Column::CreatedAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(credential_from_row)
            .collect()
    }

    /// Looks up a presented secret: the credential and its user, or why it is refused.
    pub async fn authenticate(
        &self,
        token: &str,
    ) -> Result<Result<(Credential, Option<User>), CredentialProblem>, StorageError> {
        let hash = crate::auth::secrets::token_hash(token);
        let Some(row) = credentials::Entity::find()
            .filter(credentials::Column::TokenHash.eq(hash))
            .one(&self.db)
            .await?
        else {
            return Ok(Err(CredentialProblem::Unknown));
        };
        let credential = credential_from_row(row)?;
        let at = self.now();
        if credential.revoked_at.is_some() {
            return Ok(Err(CredentialProblem::Revoked));
        }
        if credential.expires_at.is_some_and(|e| e <= at) {
            return Ok(Err(CredentialProblem::Expired));
        }
        let user = match credential.user_id {
            Some(user_id) => match self.get_user(user_id).await? {
                Some(user) if user.active => Some(user),
                _ => return Ok(Err(CredentialProblem::UserDisabled)),
            },
            None => None,
        };
        // Note use, coarsely: a write per request would serialise SQLite readers behind
        // the writer for nothing. Like every write it takes the writer lock: on SQLite an
        // UPDATE slipping in between another request's read and write in its transaction
        // fails that transaction with "database is locked".
        if credential
            .last_used_at
            .is_none_or(|t| at - t > Duration::minutes(10))
        {
            // A write like any other: unserialised, it could commit inside another
            // request's write transaction on SQLite, whose upgrade from reading to writing
            // then fails at once with "database is locked" (a 500 under concurrent sync).
            let _writer = self.write_guard().await;
            credentials::Entity::update_many()
                .col_expr(credentials::Column::LastUsedAt, Expr::value(self.now()))
                .filter(credentials::Column::Id.eq(credential.id.to_string()))
                .exec(&self.db)
                .await?;
        }
        Ok(Ok((credential, user)))
    }

    /// Reserves one password evaluation for `username` from `address`, unless either
    /// already has `limits` attempts in the window: `None` means refuse without looking
    /// at the password.
    ///
    /// Counting and reserving are one atomic step, so however many sign-ins arrive at
    /// once, no more than the limit get past it: on SQLite under the writer lock in one
    /// transaction, on PostgreSQL in a transaction holding advisory locks on the account
    /// and on the address, which every replica takes the same way. The reservation is a
    /// `login_failures` row: a wrong password leaves it as the failure it is (and so
    /// does a crash mid-evaluation), a right one gives it back with
    /// [`Storage::release_login_attempt`]. Failures older than
    /// [`LOGIN_FAILURE_RETENTION`] are forgotten here: throttling looks back minutes, and
    /// a table that only grows would let a password-guessing run fill the disk.
    pub async fn reserve_login_attempt(
        &self,
        username: &str,
        address: &str,
        limits: &LoginLimits,
    ) -> Result<Option<LoginAttempt>, StorageError> {
        // The columns hold 64 characters; count by what is stored.
        let username: String = username.chars().take(64).collect();
        let address: String = address.chars().take(64).collect();
        let _writer = self.write_guard().await;
        let txn = self.db.begin().await?;
        lock_advisory_keys(
            &txn,
            [
                login_lock_key("account", &username),
                login_lock_key("address", &address),
            ],
        )
        .await?;
        let at = self.now();
        let since = at - limits.window;
        let by_account = login_failures::Entity::find()
            .filter(login_failures::Column::Username.eq(username.clone()))
            .filter(login_failures::Column::At.gte(since))
            .count(&txn)
            .await?;
        let by_address = login_failures::Entity::find()
            .filter(login_failures::Column::Address.eq(address.clone()))
            .filter(login_failures::Column::At.gte(since))
            .count(&txn)
            .await?;
        if by_account >= limits.per_account || by_address >= limits.per_address {
            txn.rollback().await?;
            return Ok(None);
        }
        let inserted = login_failures::Entity::insert(login_failures::ActiveModel {
            username: Set(username),
            address: Set(address),
            at: Set(at),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        login_failures::Entity::delete_many()
            .filter(login_failures::Column::At.lt(at - LOGIN_FAILURE_RETENTION))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(LoginAttempt {
            id: inserted.last_insert_id,
        }))
    }

    /// Gives back the reservation of a sign-in whose password was right: only failures
    /// count against the limits.
    pub async fn release_login_attempt(&self, attempt: LoginAttempt) -> Result<(), StorageError> {
        let _writer = self.write_guard().await;
        login_failures::Entity::delete_by_id(attempt.id)
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// How many failed logins are on record.
    #[cfg(test)]
    pub async fn login_failure_count(&self) -> Result<u64, StorageError> {
        Ok(login_failures::Entity::find().count(&self.db).await?)
    }
}

/// How many password evaluations an account, and an address, may have in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Attempts per username.
    pub per_account: u64,
    /// Attempts per client address, whatever the usernames.
    pub per_address: u64,
    /// How far back attempts count.
    pub window: chrono::TimeDelta,
}

/// A reserved password evaluation (see [`Storage::reserve_login_attempt`]).
#[derive(Debug)]
#[must_use = "a reservation left alone counts as a failed sign-in"]
pub struct LoginAttempt {
    id: i64,
}

/// The advisory lock key of a throttled account or address: the first 8 bytes of a
/// SHA-256 of what it is and its name, so accounts, addresses and survey ids (whose keys
/// come from their UUIDs) do not meet by accident.
fn login_lock_key(kind: &str, name: &str) -> i64 {
    let digest = Sha256::digest(format!("login-{kind}\0{name}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::clock::Clock;

    const LIMITS: LoginLimits = LoginLimits {
        per_account: 5,
        per_address: 20,
        window: chrono::TimeDelta::minutes(15),
    };

    async fn open_storage(dir: &tempfile::TempDir) -> anyhow::Result<Storage> {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        Storage::open(&url, dir.path().join("attachments"), 4).await
    }

    #[tokio::test]
    async fn a_credential_expires_by_the_storage_clock() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let storage = open_storage(&dir).await?;
        let actor = Actor {
            name: "admin".to_owned(),
            kind: "user",
            address: None,
            request_id: None,
        };
        let expires_at = storage.now() + Duration::hours(1);
        let key = "awk_test-key";
        storage
            .issue_credential(
                TokenKind::ApiKey,
                key,
                None,
                "expiring",
                Some("540000".to_owned()),
                Some(expires_at),
                &actor,
            )
            .await?;
        assert!(storage.authenticate(key).await?.is_ok());
        let storage = storage.with_clock(Clock::ahead_by(Duration::minutes(59)));
        assert!(storage.authenticate(key).await?.is_ok(), "a minute left");
        let storage = storage.with_clock(Clock::ahead_by(Duration::hours(1)));
        assert_eq!(
            storage.authenticate(key).await?.err(),
            Some(CredentialProblem::Expired),
            "expired at its expiry time"
        );
        Ok(())
    }

    #[tokio::test]
    async fn old_login_failures_are_forgotten_when_a_new_one_is_recorded() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let storage = open_storage(&dir).await?;
        let long_ago = storage.now() - LOGIN_FAILURE_RETENTION - chrono::TimeDelta::minutes(1);
        for at in [long_ago, storage.now()] {
            login_failures::Entity::insert(login_failures::ActiveModel {
                username: Set("someone".to_owned()),
                address: Set("10.0.0.1".to_owned()),
                at: Set(at),
                ..Default::default()
            })
            .exec_without_returning(&storage.db)
            .await?;
        }
        assert_eq!(storage.login_failure_count().await?, 2);
        let _failed = storage
            .reserve_login_attempt("someone", "10.0.0.1", &LIMITS)
            .await?;
        // The old one is gone; the recent one and the new one stay and still throttle:
        // three more attempts, and the fifth recent one is refused.
        assert_eq!(storage.login_failure_count().await?, 2);
        for _ in 0..3 {
            let reserved = storage
                .reserve_login_attempt("someone", "10.0.0.1", &LIMITS)
                .await?;
            assert!(reserved.is_some());
        }
        let refused = storage
            .reserve_login_attempt("someone", "10.0.0.1", &LIMITS)
            .await?;
        assert!(refused.is_none());
        Ok(())
    }

    #[tokio::test]
    async fn concurrent_attempts_never_pass_the_limits() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let storage = std::sync::Arc::new(open_storage(&dir).await?);
        let reserve_all = |usernames: Vec<String>| {
            let tasks: Vec<_> = usernames
                .into_iter()
                .map(|username| {
                    let storage = storage.clone();
                    tokio::spawn(async move {
                        storage
                            .reserve_login_attempt(&username, "10.0.0.9", &LIMITS)
                            .await
                    })
                })
                .collect();
            async move {
                let mut reserved = 0;
                for task in tasks {
                    reserved += usize::from(task.await??.is_some());
                }
                anyhow::Ok(reserved)
            }
        };
        let one_account = reserve_all(vec!["target".to_owned(); 30]).await?;
        assert_eq!(one_account, 5, "per account");
        let many_accounts = reserve_all((0..40).map(|i| format!("user-{i}")).collect()).await?;
        assert_eq!(many_accounts, 15, "per address: 20 with the 5 before");
        Ok(())
    }

    #[tokio::test]
    async fn a_released_attempt_does_not_count() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let storage = open_storage(&dir).await?;
        for _ in 0..10 {
            let attempt = storage
                .reserve_login_attempt("regular", "10.0.0.2", &LIMITS)
                .await?
                .ok_or_else(|| anyhow::anyhow!("refused although every attempt succeeded"))?;
            storage.release_login_attempt(attempt).await?;
        }
        assert_eq!(storage.login_failure_count().await?, 0);
        Ok(())
    }
}
