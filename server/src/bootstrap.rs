//! Accounts made outside the API: the first admin (`agriwaste user add`), and the demo
//! accounts of `serve --demo-data`.

use agriwaste_analytics::RegionTable;
use anyhow::{Context, bail};

use crate::auth::Actor;
use crate::auth::account::{NewPassword, Username};
use crate::auth::secrets::{TokenKind, hash_password, new_password, new_token};
use crate::auth::{Role, check_scope};
use crate::storage::Storage;
use crate::storage::accounts::{CreateUserOutcome, NewUser, User, UserChanges};

/// Creates a user from the command line, under the API's rules for usernames and
/// passwords; returns the user and the password to show (generated when none was given).
pub async fn add_user(
    storage: &Storage,
    username: &str,
    role: Role,
    scope_code: Option<String>,
    counties: Vec<String>,
    password: Option<String>,
) -> anyhow::Result<(User, String)> {
    let username = Username::parse(username)
        .map_err(|err| anyhow::anyhow!("username {username:?}: {err}"))?
        .into_string();
    check_scope(
        Some(role),
        scope_code.as_deref(),
        &counties,
        storage.regions(),
    )
    .map_err(|(field, _, en)| anyhow::anyhow!("{field}: {en}"))?;
    let password = match password {
        Some(password) => NewPassword::parse(password)?,
        None => NewPassword::generate(),
    };
    let hash = password
        .hash()
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
    let new = NewUser {
        username: username.clone(),
        display_name: username.clone(),
        role,
        scope_code,
        counties,
        password_hash: Some(hash),
    };
    match storage
        .create_user(new, &Actor::system("command-line"))
        .await?
    {
        CreateUserOutcome::Created(user) => Ok((user, password.reveal().to_owned())),
        CreateUserOutcome::UsernameTaken => bail!("the username {username} is taken"),
    }
}

/// The demo accounts: one per role, in the demo data's regions.
const DEMO_ACCOUNTS: [(&str, Role, Option<&str>, &[&str]); 4] = [
    ("admin", Role::Admin, None, &[]),
    ("reviewer-ali", Role::Reviewer, Some("542500"), &[]),
    ("viewer-qinghai", Role::Viewer, Some("630000"), &[]),
    // The demo surveys of 噶尔县 are filed by tech-542523-01 … -04.
    ("tech-542523-01", Role::Technician, None, &["542523"]),
];

/// Makes sure the demo accounts exist, gives each a fresh password and the demo API
/// consumer a fresh key, and returns the lines to print. Passwords change at every start
/// so they are never stored anywhere but in the hash, and are shown only in demo mode.
pub async fn demo_accounts(storage: &Storage) -> anyhow::Result<Vec<String>> {
    let actor = Actor::system("demo-data");
    let regions: &RegionTable = storage.regions();
    let mut lines = vec![
        "Demo accounts (demo mode only; new passwords at every start):".to_owned(),
        format!(
            "  {:<12} {:<16} {:<18} {}",
            "role", "username", "password", "scope"
        ),
    ];
    for (username, role, scope, counties) in DEMO_ACCOUNTS {
        let password = new_password();
        let hash = hash_password(&password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        let counties: Vec<String> = counties.iter().map(|c| c.to_string()).collect();
        match storage.user_for_login(username).await? {
            Some((user, _)) => {
                let changes = UserChanges {
                    password_hash: Some(hash),
                    active: Some(true),
                    ..UserChanges::default()
                };
                storage.update_user(user.id, changes, &actor).await?;
            }
            None => {
                let new = NewUser {
                    username: username.to_owned(),
                    display_name: username.to_owned(),
                    role,
                    scope_code: scope.map(str::to_owned),
                    counties: counties.clone(),
                    password_hash: Some(hash),
                };
                storage
                    .create_user(new, &actor)
                    .await
                    .context("creating a demo account")?;
            }
        }
        let scope_text = match (scope, counties.first().map(String::as_str)) {
            (Some(code), _) | (None, Some(code)) => {
                format!(
                    "{code} {}",
                    regions.get(code).map(|r| r.name_zh.as_str()).unwrap_or("")
                )
            }
            (None, None) => "all regions".to_owned(),
        };
        lines.push(format!(
            "  {:<12} {:<16} {:<18} {scope_text}",
            role.key(),
            username,
            password
        ));
    }
    for key in storage.list_credentials(TokenKind::ApiKey, None).await? {
        if key.name == "demo" && key.revoked_at.is_none() {
            storage
                .revoke_credential(key.id, TokenKind::ApiKey, None, &actor)
                .await?;
        }
    }
    let key = new_token(TokenKind::ApiKey);
    storage
        .issue_credential(
            TokenKind::ApiKey,
            &key,
            None,
            "demo",
            Some("542500".to_owned()),
            None,
            &actor,
        )
        .await?;
    lines.push(format!(
        "  {:<12} X-API-Key: {key}  (scope 542500 阿里地区)",
        "api client"
    ));
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn storage(dir: &tempfile::TempDir) -> anyhow::Result<Storage> {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        Storage::open(&url, dir.path().join("attachments"), 1).await
    }

    #[tokio::test]
    async fn the_command_line_refuses_what_the_api_refuses() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let storage = storage(&dir).await?;
        let add = |username: &'static str, password: &'static str| {
            add_user(
                &storage,
                username,
                Role::Admin,
                None,
                Vec::new(),
                Some(password.to_owned()),
            )
        };
        let refused = add("not a name", "long enough password").await;
        assert!(refused.is_err_and(|e| e.to_string().contains("a username is 3–64 letters")));
        let refused = add("admin", "short").await;
        assert!(refused.is_err_and(|e| e.to_string().contains("at least 10 characters")));
        assert!(storage.list_users().await?.is_empty());
        let (user, password) = add(" admin ", "long enough password").await?;
        assert_eq!(user.username, "admin");
        assert_eq!(password, "long enough password");
        Ok(())
    }
}
