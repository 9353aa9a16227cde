//! One cache for answers computed from the database: each entry is kept with the data
//! version it was computed at (`Storage::data_version`, which every commit to this
//! database moves, through whichever replica, and nothing else does), so an entry is
//! served only while no write has happened since, and there is nothing to invalidate.
//! Callers read the version before computing the answer: a write committing in between
//! then makes the entry newer than its version, never older, and the next request after
//! that write computes afresh.
//!
//! One eviction policy for every use: at capacity, the entry stored longest ago makes
//! room (replacing a key's entry counts as storing it anew). Each user chooses only the
//! capacity, by what one entry weighs (see `AppState::new`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use crate::storage::facts::DataVersion;

/// A JSON response body computed once and sent until the data changes.
pub struct CachedBody {
    /// The ETag, quoted, that `If-None-Match` is compared with.
    pub etag: String,
    /// The JSON.
    pub json: Vec<u8>,
    /// The same JSON gzip-compressed, where the endpoint offers compression.
    pub gzip: Option<Vec<u8>>,
}

/// Values by key, each valid at one data version, at most `capacity` of them.
pub struct VersionedCache<K, V, Version = DataVersion> {
    capacity: usize,
    inner: Mutex<Entries<K, V, Version>>,
}

struct Entries<K, V, Version> {
    /// Counts insertions, so the oldest entry is the one with the lowest stamp.
    stored: u64,
    map: HashMap<K, Entry<V, Version>>,
}

struct Entry<V, Version> {
    stored: u64,
    version: Version,
    value: Arc<V>,
}

impl<K: Eq + Hash + Clone, V, Version: PartialEq> VersionedCache<K, V, Version> {
    /// An empty cache holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        VersionedCache {
            capacity: capacity.max(1),
            inner: Mutex::new(Entries {
                stored: 0,
                map: HashMap::new(),
            }),
        }
    }

    /// The value stored for `key`, if it was computed at `version`.
    ///
    /// A poisoned lock (a panic while holding it) reads as a miss: the answer is then
    /// recomputed, which is always correct.
    pub fn get(&self, key: &K, version: &Version) -> Option<Arc<V>> {
        let inner = self.inner.lock().ok()?;
        inner
            .map
            .get(key)
            .filter(|entry| entry.version == *version)
            .map(|entry| entry.value.clone())
    }

    /// Stores `value` for `key` as computed at `version`, evicting the entry stored
    /// longest ago when the cache is full, and hands the value back.
    pub fn put(&self, key: K, version: Version, value: Arc<V>) -> Arc<V> {
        if let Ok(mut inner) = self.inner.lock() {
            inner.map.remove(&key);
            if inner.map.len() >= self.capacity {
                let oldest = inner
                    .map
                    .iter()
                    .min_by_key(|(_, entry)| entry.stored)
                    .map(|(key, _)| key.clone());
                if let Some(oldest) = oldest {
                    inner.map.remove(&oldest);
                }
            }
            inner.stored += 1;
            let stored = inner.stored;
            inner.map.insert(
                key,
                Entry {
                    stored,
                    version,
                    value: value.clone(),
                },
            );
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_only_at_its_version() {
        let cache = VersionedCache::new(2);
        cache.put("a", 1, Arc::new(1));
        assert_eq!(cache.get(&"a", &1).as_deref(), Some(&1));
        assert_eq!(cache.get(&"a", &2), None);
        assert_eq!(cache.get(&"b", &1), None);
    }

    #[test]
    fn the_entry_stored_longest_ago_makes_room() {
        let cache = VersionedCache::new(2);
        let v = 1;
        cache.put("a", v, Arc::new(1));
        cache.put("b", v, Arc::new(2));
        // Storing `a` again makes `b` the oldest.
        cache.put("a", v, Arc::new(3));
        cache.put("c", v, Arc::new(4));
        assert_eq!(cache.get(&"b", &v), None);
        assert_eq!(cache.get(&"a", &v).as_deref(), Some(&3));
        assert_eq!(cache.get(&"c", &v).as_deref(), Some(&4));
    }
}
