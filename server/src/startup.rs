//! Building and running the application: opening storage, the routes with their
//! middleware, and the listener. The state the handlers share is `crate::state`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::FutureExt;
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, Route, get};
use tokio::net::TcpListener;

use crate::api::{self, compression, middleware};
use crate::config::Settings;
use crate::demo;
use crate::state::AppState;
use crate::storage::{Storage, redact};
use crate::web_assets::{WebAssets, WebEndpoint};

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: Arc<AppState>,
    banner: Vec<String>,
}

impl Application {
    /// Opens storage (migrating it), seeds demo data if asked, and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let database_url = settings.database_url();
        tracing::info!(database = %redact(&database_url), "opening storage");
        let storage = Storage::open(
            &database_url,
            settings.attachments_dir(),
            settings.db_max_connections,
        )
        .await?
        .with_clock(crate::storage::clock::Clock::from_environment()?);
        let mut banner = Vec::new();
        if settings.demo_data {
            demo::seed_if_empty(&storage)
                .await
                .context("seeding demo data")?;
            banner = crate::bootstrap::demo_accounts(&storage)
                .await
                .context("creating demo accounts")?;
        }
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("binding {}", settings.bind))?;
        let local_addr = listener.local_addr().unwrap_or(settings.bind);
        let chart_font = match std::fs::read(&settings.chart_font) {
            Ok(bytes) => Some(bytes),
            Err(err) => {
                tracing::warn!(font = %settings.chart_font.display(), error = %err, "no chart font: PNG charts unavailable (SVG still works)");
                None
            }
        };
        let state = Arc::new(AppState::new(storage, settings, chart_font));
        Ok(Application {
            listener,
            local_addr,
            state,
            banner,
        })
    }

    /// Lines to show the person who started the server (demo accounts), printed to
    /// standard output and never logged.
    pub fn banner(&self) -> &[String] {
        &self.banner
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until SIGTERM or Ctrl-C, then stops accepting, lets requests in flight
    /// finish (up to 30 s), and closes the database pool.
    ///
    /// Connections are served by hyper directly (poem's `Server` cannot set this) so
    /// that a client must send a request's headers within
    /// `header_read_timeout_secs`: a slow-loris client, stalling or trickling its
    /// headers, is disconnected instead of holding a socket for ever.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let app = Arc::new(
            routes(self.state.clone(), self.local_addr)
                .map_to_response()
                .boxed(),
        );
        let mut builder = auto::Builder::new(TokioExecutor::new());
        let timeout = self.state.settings.header_read_timeout_secs;
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout((timeout > 0).then(|| Duration::from_secs(timeout)));
        let graceful = GracefulShutdown::new();
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors, or the client gave up during the
                        // handshake: the listener itself is fine.
                        tracing::warn!(error = %err, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let local = self.local_addr;
            let app = app.clone();
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let app = app.clone();
                async move {
                    let req = poem::Request::from((
                        req,
                        LocalAddr(Addr::SocketAddr(local)),
                        RemoteAddr(Addr::SocketAddr(remote)),
                        Scheme::HTTP,
                    ));
                    let response = std::panic::AssertUnwindSafe(app.get_response(req))
                        .catch_unwind()
                        .await
                        .unwrap_or_else(|_| {
                            tracing::error!("a request handler panicked");
                            let err = api::error::ApiError::internal(anyhow::anyhow!("panic"));
                            api::error::to_response(err.into(), "")
                        });
                    Ok::<_, Infallible>(hyper::Response::<
                        http_body_util::combinators::BoxBody<Bytes, std::io::Error>,
                    >::from(response))
                }
            });
            let connection = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(err) = connection.await {
                    tracing::debug!(error = %err, %remote, "connection ended with an error");
                }
            });
        }
        drop(self.listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(Duration::from_secs(30)) => {
                tracing::warn!("requests still in flight after 30 s; stopping anyway");
            }
        }
        tracing::info!("stopped accepting; closing storage");
        if let Ok(state) = Arc::try_unwrap(self.state) {
            state.storage.close().await?;
        }
        Ok(())
    }
}

/// Every route, wrapped in the cross-cutting middleware.
pub fn routes(state: Arc<AppState>, local_addr: SocketAddr) -> impl Endpoint {
    // The document names the address clients use when the operator has said what it is.
    let server_url = match &state.settings.public_url {
        Some(public) => format!("{}/api", public.as_str()),
        None => format!("http://{local_addr}/api"),
    };
    let api = api::service(state.clone(), &server_url);
    let document = api::document::finish(&api.spec(), state.storage.regions());
    let allow = Arc::new(api::document::AllowTable::of(&document));
    let spec = api::document::endpoint(&document);
    let docs = api.swagger_ui();
    let limits = middleware::BodyLimits::from_settings(&state.settings);
    // The pages and their files, compressed at build and under versioned names
    // (`web_assets`); API answers are compressed as they leave (`api::compression`).
    let web = WebEndpoint(Arc::new(WebAssets::open(&state.settings.web_dir)));
    let web_dir: Arc<std::path::Path> = Arc::from(state.settings.web_dir.as_path());
    Route::new()
        .nest(
            "/api",
            api.around(move |ep, req| middleware::allow_methods(ep, req, allow.clone()))
                .around(compression::compress_responses),
        )
        .at(
            "/openapi.json",
            spec.around(compression::compress_responses),
        )
        .nest("/docs", docs.around(compression::compress_responses))
        .at("/healthz", get(api::health::healthz))
        .at("/readyz", get(api::health::readyz))
        .at("/favicon.ico", get(favicon_ico))
        .nest("/", web)
        .data(state)
        .around(middleware::reject_nul)
        .around(move |ep, req| middleware::limit_body(ep, req, limits))
        .around(middleware::observe)
        .around(move |ep, req| middleware::html_not_found(ep, req, web_dir.clone()))
        .around(middleware::security_headers)
}

/// Browsers ask for `/favicon.ico` wherever a document names no icon (the API document,
/// a JSON answer, the Swagger UI): they get the pages' SVG icon, `/favicon.svg`.
#[poem::handler]
fn favicon_ico() -> poem::web::Redirect {
    poem::web::Redirect::permanent("/favicon.svg")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing requests in flight");
}
