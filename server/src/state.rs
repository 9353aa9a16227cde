//! What every request handler shares. Kept apart from `startup` so that the API modules,
//! which all need the state, do not depend on the code that builds the routes from them.

use crate::cache::{CachedBody, VersionedCache};
use crate::config::Settings;
use crate::storage::Storage;

/// Indicator answers kept. One is a few kilobytes of JSON and is cheap to recompute;
/// 256 covers every grouping and filter a set of dashboards asks for at once, and
/// bounds the memory whatever queries clients invent.
const INDICATOR_ANSWERS: usize = 256;

/// `/api/v1/facts` bodies kept. One can be megabytes (every household of a scope, plain
/// and compressed), so only the last few scopes and filters.
const FACTS_BODIES: usize = 4;

/// What every request handler shares.
pub struct AppState {
    /// Database and attachment store.
    pub storage: Storage,
    /// The resolved settings.
    pub settings: Settings,
    /// Computed indicator responses, by query and data version.
    pub indicator_cache: VersionedCache<String, CachedBody>,
    /// Recent `/api/v1/facts` bodies, by query and data version.
    pub facts_cache: VersionedCache<String, CachedBody>,
    /// The bytes of the chart font, read once; PNG charts are unavailable without it.
    pub chart_font: Option<Vec<u8>>,
}

impl AppState {
    /// The state of a server on `storage`, with empty caches.
    pub fn new(storage: Storage, settings: Settings, chart_font: Option<Vec<u8>>) -> Self {
        AppState {
            storage,
            settings,
            indicator_cache: VersionedCache::new(INDICATOR_ANSWERS),
            facts_cache: VersionedCache::new(FACTS_BODIES),
            chart_font,
        }
    }
}
