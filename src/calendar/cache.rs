//! Rendered feeds, kept until the content they hold changes (or one of their events
//! leaves them).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use sha2::{Digest, Sha256};

use crate::moment::MomentCache;

/// The one key of the version cache.
const CONTENT: &str = "content";

/// Feeds kept at most of each kind (see [`FeedKey`]); past this that kind starts afresh.
const MAX_SUBSCRIBED: usize = 1024;
const MAX_FILTERED: usize = 512;

/// Which feed a request asks for, as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedKey {
    /// `/calendar.ics` without filters.
    Site,
    Organisation(uuid::Uuid),
    Campaign(uuid::Uuid),
    /// `/calendar.ics` with filters, normalised as the query compares them.
    Filtered(String),
}

impl FeedKey {
    /// Whether anyone can make up another one: filter values are free text.
    pub(super) fn is_filtered(&self) -> bool {
        matches!(self, Self::Filtered(_))
    }
}

/// A rendered feed and what makes it current.
#[derive(Debug)]
pub struct CachedFeed {
    pub body: bytes::Bytes,
    /// The same body gzipped once when built, for clients that accept it: a feed
    /// of a thousand events shrinks about tenfold, and no request pays for it.
    pub gzipped: bytes::Bytes,
    pub etag: String,
    pub last_modified: DateTime<Utc>,
    /// The content version it was built from.
    pub(super) version: String,
    /// When one of its events leaves it (ends, or was cancelled 30 days before).
    pub(super) valid_until: DateTime<Utc>,
}

/// Rendered feeds by their query.
///
/// Filters are free text, so their combinations are unbounded: anyone can ask for
/// `?locality=x1`, `x2`, … Such feeds are kept apart from the site's, each
/// organisation's and each campaign's (whose number only organisers can raise), so
/// that however many are asked for, the feeds subscribers poll stay built; and a
/// filtered feed that holds no event (an unknown organisation, campaign, country or
/// locality) is not kept at all, as it costs one empty query to build again.
#[derive(Debug)]
pub struct FeedCache {
    /// The site's feed, and each organisation's and campaign's.
    subscribed: Mutex<HashMap<FeedKey, Arc<CachedFeed>>>,
    /// Filtered site feeds that hold at least one event.
    filtered: Mutex<HashMap<FeedKey, Arc<CachedFeed>>>,
    /// The content version, trusted for a second while this process changes
    /// nothing: a poll answered 304 then touches no database. Another server's
    /// changes are seen within that second.
    version: MomentCache<String>,
    /// Turns to rebuild, by a hash of the feed's key: after a change, one request
    /// rebuilds a feed while the others are answered from the feed as it was, rather
    /// than each rebuilding it and holding a database connection to do so.
    rebuilding: [tokio::sync::Mutex<()>; REBUILD_TURNS],
}

/// Feeds that can be rebuilt at once (two keys may share a turn).
const REBUILD_TURNS: usize = 16;

impl Default for FeedCache {
    fn default() -> Self {
        Self {
            subscribed: Mutex::default(),
            filtered: Mutex::default(),
            version: MomentCache::new(std::time::Duration::from_secs(1), &crate::db::LOCAL_CHANGES),
            rebuilding: std::array::from_fn(|_| tokio::sync::Mutex::new(())),
        }
    }
}

impl FeedCache {
    pub(super) async fn content_version(&self, db: &DatabaseConnection) -> Result<String, DbErr> {
        if let Some(version) = self.version.get(CONTENT) {
            return Ok(version);
        }
        let changes = self.version.changes();
        let version = crate::db::content_version(db).await?;
        self.version.put(CONTENT.into(), version.clone(), changes);
        Ok(version)
    }

    /// How many feeds are held: the site's, organisations' and campaigns', and
    /// filtered ones (for `/metrics`).
    pub fn held(&self) -> (usize, usize) {
        let count = |bucket: &Mutex<HashMap<FeedKey, Arc<CachedFeed>>>| {
            bucket.lock().map_or(0, |entries| entries.len())
        };
        (count(&self.subscribed), count(&self.filtered))
    }

    pub(super) fn bucket(&self, key: &FeedKey) -> &Mutex<HashMap<FeedKey, Arc<CachedFeed>>> {
        if key.is_filtered() {
            &self.filtered
        } else {
            &self.subscribed
        }
    }

    pub(super) fn get(&self, key: &FeedKey) -> Option<Arc<CachedFeed>> {
        self.bucket(key).lock().ok()?.get(key).cloned()
    }

    pub(super) fn rebuilding(&self, key: &FeedKey) -> &tokio::sync::Mutex<()> {
        use std::hash::{BuildHasher, RandomState};
        static HASHER: std::sync::LazyLock<RandomState> =
            std::sync::LazyLock::new(RandomState::new);
        let turn = usize::try_from(HASHER.hash_one(key) % REBUILD_TURNS as u64).unwrap_or(0);
        &self.rebuilding[turn]
    }

    pub(super) fn put(&self, key: FeedKey, feed: Arc<CachedFeed>) {
        let max = if key.is_filtered() {
            MAX_FILTERED
        } else {
            MAX_SUBSCRIBED
        };
        if let Ok(mut entries) = self.bucket(&key).lock() {
            if entries.len() >= max && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, feed);
        }
    }
}

impl CachedFeed {
    pub(super) fn new(
        body: String,
        last_modified: DateTime<Utc>,
        version: String,
        valid_until: DateTime<Utc>,
    ) -> Self {
        let etag = format!(
            "\"{}\"",
            &hex::encode(Sha256::digest(body.as_bytes()))[..32]
        );
        Self {
            gzipped: gzip(body.as_bytes()),
            body: bytes::Bytes::from(body),
            etag,
            last_modified: whole_seconds(last_modified),
            version,
            valid_until,
        }
    }
}

fn gzip(body: &[u8]) -> bytes::Bytes {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default().into()
}

/// HTTP dates have whole seconds.
pub(super) fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}
