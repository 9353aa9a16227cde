//! The agriwaste server: HTTP API, storage and start-up. The domain (survey model,
//! validation, indicators) lives in `agriwaste-analytics`; this crate is the only place
//! that knows HTTP and the database.

pub mod api;
pub mod auth;
pub mod bootstrap;
pub mod cache;
pub mod config;
pub mod demo;
pub mod exports;
pub mod ingest;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod web_assets;
