//! Sign-in, throttling, device tokens, API keys, disabled accounts, and secrets that must
//! never be logged or returned twice.

use anyhow::Result;
use chrono::TimeDelta;
use e2e::{Backend, TestApp, client_with, example_survey, field_str, json_of, on_both_backends};
use serde_json::json;

on_both_backends!(
    sign_in_does_not_reveal_accounts_and_is_throttled,
    concurrent_wrong_passwords_are_evaluated_only_up_to_the_limits,
    credentials_can_be_revoked_and_expire,
    secrets_never_reach_logs_or_later_responses
);

async fn sign_in_does_not_reveal_accounts_and_is_throttled(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    let (_, viewer_password) = app
        .create_user("viewer-1", "viewer", Some("542500"), &[])
        .await?;
    let anonymous = reqwest::Client::new();
    let attempt = |username: &'static str, password: &'static str| {
        let request = anonymous
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "username": username, "password": password }));
        async move { json_of(request.send().await?).await }
    };
    let (status_wrong, wrong) = attempt("viewer-1", "not-the-password").await?;
    let (status_unknown, unknown) = attempt("nobody-here", "not-the-password").await?;
    assert_eq!((status_wrong, status_unknown), (401, 401));
    assert_eq!(wrong["code"], unknown["code"]);
    assert_eq!(wrong["message_zh"], unknown["message_zh"]);
    assert_eq!(wrong["message_en"], unknown["message_en"]);

    // Five failures for an account lock it for a while, even with the right password.
    for _ in 0..4 {
        assert_eq!(attempt("viewer-1", "still-wrong").await?.0, 401);
    }
    let (status, body) = attempt("viewer-1", "whatever").await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_attempts"))
    );
    // The admin is unaffected (throttling is per account, and per address only past 20).
    assert!(app.login("admin", &app.admin_password).await.is_ok());
    // The failures stop counting after 15 minutes.
    app.advance_clock(TimeDelta::minutes(15)).await?;
    assert!(app.login("viewer-1", &viewer_password).await.is_ok());
    Ok(())
}

/// A sign-in attempt: username and password.
type SignIn = (String, String);

/// Sends every sign-in at once, spread over `bases` in turn (the
/// server and its replicas), and counts the answers by status.
async fn sign_in_at_once(
    bases: &[&str],
    attempts: impl IntoIterator<Item = SignIn>,
) -> Result<std::collections::BTreeMap<u16, usize>> {
    let client = reqwest::Client::new();
    let requests =
        attempts
            .into_iter()
            .zip(bases.iter().cycle())
            .map(|((username, password), base)| {
                let request = client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({ "username": username, "password": password }));
                async move { json_of(request.send().await?).await }
            });
    let mut statuses = std::collections::BTreeMap::new();
    for answer in futures_util::future::join_all(requests).await {
        let (status, body) = answer?;
        assert!(
            status == 401 || body["code"] == "too_many_attempts",
            "{status} {body}"
        );
        *statuses.entry(status).or_default() += 1;
    }
    Ok(statuses)
}

/// Thirty wrong passwords for one account, then forty from the same address for other
/// accounts.
fn guesses() -> (Vec<SignIn>, Vec<SignIn>) {
    let one_account = (0..30)
        .map(|i| ("viewer-1".to_owned(), format!("guess-{i}")))
        .collect();
    let many_accounts = (0..40)
        .map(|i| (format!("someone-{i}"), format!("guess-{i}")))
        .collect();
    (one_account, many_accounts)
}

/// However many arrive at once, no more sign-ins than the limits have their password
/// evaluated (401); the rest are refused before (429). Every request here comes from
/// 127.0.0.1, so the forty after the thirty meet the address's limit of 20 with 5 of it
/// already spent.
async fn concurrent_wrong_passwords_are_evaluated_only_up_to_the_limits(
    backend: Backend,
) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let (_, viewer_password) = app
        .create_user("viewer-1", "viewer", Some("542500"), &[])
        .await?;
    let (one_account, many_accounts) = guesses();
    let by_status = sign_in_at_once(&[&app.base], one_account).await?;
    assert_eq!(by_status, [(401, 5), (429, 25)].into());
    let by_status = sign_in_at_once(&[&app.base], many_accounts).await?;
    assert_eq!(by_status, [(401, 15), (429, 25)].into());
    // The right password is refused too while the account is throttled.
    assert!(app.login("viewer-1", &viewer_password).await.is_err());
    Ok(())
}

/// Two replicas on one PostgreSQL database share the limits: the guesses are spread over
/// both and still only as many as the limits allow are evaluated.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_the_sign_in_limits() -> Result<()> {
    let mut app = TestApp::spawn(Backend::Postgres).await?;
    app.create_user("viewer-1", "viewer", Some("542500"), &[])
        .await?;
    let replica = app.start_replica().await?;
    let bases = [app.base.as_str(), replica.base.as_str()];
    let (one_account, many_accounts) = guesses();
    let by_status = sign_in_at_once(&bases, one_account).await?;
    assert_eq!(by_status, [(401, 5), (429, 25)].into());
    let by_status = sign_in_at_once(&bases, many_accounts).await?;
    assert_eq!(by_status, [(401, 15), (429, 25)].into());
    Ok(())
}

async fn credentials_can_be_revoked_and_expire(backend: Backend) -> Result<()> {
    let mut app = TestApp::spawn(backend).await?;
    let (tech_id, tech_password) = app
        .create_user("tech-a", "technician", None, &["542523"])
        .await?;

    // A device token works until revoked.
    let (status, issued) = app
        .post(
            &format!("/api/v1/users/{tech_id}/device-tokens"),
            &json!({"name": "phone 1"}),
        )
        .await?;
    assert_eq!(status, 201);
    let token = field_str(&issued, "secret").to_owned();
    assert!(token.starts_with("awd_"));
    let phone = client_with(&[("authorization", &format!("Bearer {token}"))])?;
    let me = json_of(phone.get(app.url("/api/v1/auth/me")).send().await?).await?;
    assert_eq!(me.1["name"], "tech-a");
    let created = json_of(
        phone
            .post(app.url("/api/v1/surveys"))
            .json(&example_survey())
            .send()
            .await?,
    )
    .await?;
    assert_eq!(created.0, 201, "{}", created.1);
    assert_eq!(
        created.1["survey"]["technician"], "tech-a",
        "the principal is the author"
    );
    let token_id = field_str(&issued, "credential.id");
    let response = app
        .client
        .delete(app.url(&format!("/api/v1/users/{tech_id}/device-tokens/{token_id}")))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 204);
    let (status, body) = json_of(phone.get(app.url("/api/v1/auth/me")).send().await?).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("credential_revoked"))
    );

    // A session ends at sign-out.
    let session = app.login("tech-a", &tech_password).await?;
    let web = client_with(&[("authorization", &format!("Bearer {session}"))])?;
    assert_eq!(
        web.post(app.url("/api/v1/auth/logout"))
            .send()
            .await?
            .status()
            .as_u16(),
        204
    );
    assert_eq!(
        web.get(app.url("/api/v1/auth/me"))
            .send()
            .await?
            .status()
            .as_u16(),
        401
    );

    // An API key reads in its scope until it expires.
    let expires = (chrono::Utc::now() + TimeDelta::hours(1)).to_rfc3339();
    let (status, key) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "province", "scope_code": "540000", "expires_at": expires}),
        )
        .await?;
    assert_eq!(status, 201, "{key}");
    let secret = field_str(&key, "secret").to_owned();
    let consumer = client_with(&[("x-api-key", &secret)])?;
    assert_eq!(
        consumer
            .get(app.url("/api/v1/surveys"))
            .send()
            .await?
            .status()
            .as_u16(),
        200
    );
    app.advance_clock(TimeDelta::hours(1)).await?;
    let (status, body) = json_of(consumer.get(app.url("/api/v1/surveys")).send().await?).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("credential_expired"))
    );
    let (status, body) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "late", "scope_code": "540000", "expires_at": "2020-01-01T00:00:00Z"}),
        )
        .await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("expiry_in_past"))
    );

    // Disabling a user stops their sessions and tokens.
    let session = app.login("tech-a", &tech_password).await?;
    let web = client_with(&[("authorization", &format!("Bearer {session}"))])?;
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/users/{tech_id}")))
        .json(&json!({"active": false}))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    let (status, body) = json_of(web.get(app.url("/api/v1/auth/me")).send().await?).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("account_disabled"))
    );
    assert!(app.login("tech-a", &tech_password).await.is_err());

    // A session ends 12 hours after sign-in (the admin's began with the test).
    app.advance_clock(TimeDelta::hours(12)).await?;
    let (status, body) = json_of(app.client.get(app.url("/api/v1/auth/me")).send().await?).await?;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("credential_expired"))
    );
    assert!(app.login("admin", &app.admin_password).await.is_ok());
    Ok(())
}

async fn secrets_never_reach_logs_or_later_responses(backend: Backend) -> Result<()> {
    let app = TestApp::spawn(backend).await?;
    let mut secrets = vec![app.admin_password.clone()];
    let (user_id, password) = app
        .create_user("reviewer-1", "reviewer", Some("542500"), &[])
        .await?;
    secrets.push(password.clone());
    let session = app.login("reviewer-1", &password).await?;
    secrets.push(session.clone());
    let (status, generated) = app
        .post(
            "/api/v1/users",
            &json!({"username": "viewer-2", "role": "viewer", "scope_code": "630000"}),
        )
        .await?;
    assert_eq!(status, 201);
    let generated_password = field_str(&generated, "generated_password").to_owned();
    assert!(generated_password.len() >= 12);
    secrets.push(generated_password.clone());
    app.login("viewer-2", &generated_password).await?;
    let (_, device) = app
        .post(
            &format!("/api/v1/users/{user_id}/device-tokens"),
            &json!({"name": "tablet"}),
        )
        .await?;
    secrets.push(field_str(&device, "secret").to_owned());
    let (_, key) = app
        .post(
            "/api/v1/api-keys",
            &json!({"name": "stats bureau", "scope_code": "630000"}),
        )
        .await?;
    let key_secret = field_str(&key, "secret").to_owned();
    secrets.push(key_secret.clone());
    let new_password = "a-brand-new-password-42".to_owned();
    let response = app
        .client
        .patch(app.url(&format!("/api/v1/users/{user_id}")))
        .json(&json!({"password": new_password}))
        .send()
        .await?;
    assert_eq!(response.status().as_u16(), 200);
    secrets.push(new_password.clone());
    // Failed sign-ins with a near miss of the password: typed secrets must not be logged either.
    let near_miss = format!("{new_password}!");
    secrets.push(near_miss.clone());
    let anonymous = reqwest::Client::new();
    anonymous
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"username": "reviewer-1", "password": near_miss}))
        .send()
        .await?;
    // Use every credential once more.
    for header in [
        ("authorization", format!("Bearer {session}")),
        ("x-api-key", key_secret.clone()),
    ] {
        client_with(&[(header.0, &header.1)])?
            .get(app.url("/api/v1/surveys"))
            .send()
            .await?;
    }
    client_with(&[("authorization", "Bearer awd_not-a-real-token")])?
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await?;

    // Later responses carry no secret and no hash.
    let mut later = String::new();
    for path in [
        "/api/v1/users",
        "/api/v1/api-keys",
        &format!("/api/v1/users/{user_id}/device-tokens"),
        "/api/v1/audit?limit=1000",
    ] {
        let (status, body) = app.get(path).await?;
        assert_eq!(status, 200, "{path}");
        later.push_str(&body.to_string());
    }
    assert!(!later.contains("$argon2"), "a password hash was returned");
    let log = app.log();
    assert!(
        log.contains("signed in"),
        "the log should record sign-ins (without secrets)"
    );
    for secret in &secrets {
        assert!(!secret.is_empty());
        assert!(
            !log.contains(secret.as_str()),
            "a secret reached the server log"
        );
        assert!(
            !later.contains(secret.as_str()),
            "a secret was returned after creation"
        );
    }
    Ok(())
}
