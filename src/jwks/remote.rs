//! A remote key set: its store, staleness, the first load and kid-miss refetches.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http::HeaderValue;
use reqwest::Url;
use tokio::sync::watch;

use super::{Freshness, Refresh};
use crate::clock::Clock;
use crate::error::{AuthError, AuthErrorKind};
use crate::keys::{AlgSet, KeyStore};

use super::refresher::{kid_miss_fetch, refresher};

pub(super) const JWKS_ACCEPT: &str = "application/jwk-set+json, application/json";

/// Where the key set comes from.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A JWKS URL given directly.
    Jwks(Url),
    /// A JWKS file on the local disk.
    File(std::path::PathBuf),
    /// OIDC discovery: the `jwks_uri` of this configuration document.
    Discovery {
        config: Url,
        issuer: String,
        multi_tenant: bool,
    },
}

/// What a request learns when its key is not (yet) in the store.
#[derive(Debug, Clone, Copy)]
pub(super) struct KidMissOutcome {
    pub(super) seq: u64,
    pub(super) ok: bool,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// Clock time of the last successful fetch (a 304 counts).
    pub(super) last_refresh: Option<f64>,
    pub(super) last_error: Option<String>,
    pub(super) interval: Duration,
    pub(super) kid_miss_in_flight: bool,
    pub(super) kid_miss_started: Option<Instant>,
    pub(super) kid_miss_seq: u64,
    pub(super) last_kid_miss_ok: bool,
}

/// Fetch-side memory, held while a fetch runs (one fetch at a time per issuer).
#[derive(Debug, Default)]
pub(super) struct FetchMemo {
    pub(super) jwks_url: Option<Url>,
    /// When discovery last told the `jwks_url`.
    pub(super) resolved_at: Option<Instant>,
    pub(super) etag: Option<HeaderValue>,
    /// The SHA-256 of the key file's content last applied.
    pub(super) file_digest: Option<[u8; 32]>,
    /// A file read that outlived its timeout.
    pub(super) pending_read: super::file::PendingRead,
    /// Key set fetches that failed in a row.
    pub(super) failures: u32,
}

/// Key set fetches that may fail in a row before discovery is fetched again.
pub(super) const FAILURES_BEFORE_REDISCOVERY: u32 = 3;

/// One issuer's remote key set.
pub(crate) struct Remote {
    pub(crate) iss: String,
    pub(super) location: Location,
    pub(super) allow_http: bool,
    /// `None` for a key file: `build()` gives every HTTP location a client, and a file issuer
    /// none (building one loads the system's CA roots, which an air-gapped image may not have).
    pub(super) client: Option<reqwest::Client>,
    pub(super) cfg: Refresh,
    pub(super) allowed: Option<AlgSet>,
    pub(crate) store: Arc<KeyStore>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) loaded: AtomicBool,
    /// The multi-tenant issuer template a discovery document named.
    pub(super) template: arc_swap::ArcSwapOption<String>,
    /// Clock time after which the keys are too stale to use (f64 bits).
    pub(super) expires_at: AtomicU64,
    pub(super) loaded_tx: watch::Sender<bool>,
    pub(super) state: Mutex<State>,
    pub(super) kid_miss_tx: watch::Sender<KidMissOutcome>,
    pub(super) fetch_lock: tokio::sync::Mutex<FetchMemo>,
    /// Dropped with the last handle; the refresher task ends when it sees that.
    pub(super) _shutdown: watch::Sender<()>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("iss", &self.iss)
            .field("location", &self.location)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Whether a key set can answer right now.
pub(crate) enum Usable {
    Yes,
    NotLoaded,
    Expired,
}

pub(crate) fn keys_unavailable(description: &'static str) -> AuthError {
    AuthError::new(AuthErrorKind::KeysUnavailable, description)
}

/// A random fraction in [0, 1), from the std library's randomly keyed hasher.
pub(super) fn random_unit() -> f64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    #[allow(clippy::cast_precision_loss)]
    let unit = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

impl Remote {
    /// Creates the key set and spawns its refresher on the current tokio runtime.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn spawn(
        iss: String,
        location: Location,
        allow_http: bool,
        client: Option<reqwest::Client>,
        cfg: Refresh,
        allowed: Option<AlgSet>,
        max_keys: usize,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        let (shutdown_tx, shutdown_rx) = watch::channel(());
        let remote = Arc::new(Self {
            iss,
            location,
            allow_http,
            client,
            cfg,
            allowed,
            store: Arc::new(KeyStore::new(max_keys)),
            clock,
            loaded: AtomicBool::new(false),
            template: arc_swap::ArcSwapOption::empty(),
            expires_at: AtomicU64::new(0f64.to_bits()),
            loaded_tx: watch::channel(false).0,
            state: Mutex::new(State::default()),
            kid_miss_tx: watch::channel(KidMissOutcome { seq: 0, ok: false }).0,
            fetch_lock: tokio::sync::Mutex::new(FetchMemo::default()),
            _shutdown: shutdown_tx,
        });
        tokio::spawn(refresher(Arc::downgrade(&remote), shutdown_rx));
        remote
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // The state is plain data: a panic while holding the lock leaves it usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the keys may be used now: loaded, and not past `max_stale`.
    pub(crate) fn usable(&self) -> Usable {
        if !self.loaded.load(Ordering::Acquire) {
            return Usable::NotLoaded;
        }
        let expires_at = f64::from_bits(self.expires_at.load(Ordering::Acquire));
        if self.clock.now_unix_secs() > expires_at {
            Usable::Expired
        } else {
            Usable::Yes
        }
    }

    pub(crate) fn freshness(&self) -> Freshness {
        if !self.loaded.load(Ordering::Acquire) {
            return Freshness::NeverLoaded;
        }
        let now = self.clock.now_unix_secs();
        let state = self.state();
        let due = state.last_refresh.unwrap_or(0.0) + state.interval.as_secs_f64();
        drop(state);
        let expires_at = f64::from_bits(self.expires_at.load(Ordering::Acquire));
        if now > expires_at {
            Freshness::Expired
        } else if now > due {
            Freshness::Stale
        } else {
            Freshness::Fresh
        }
    }

    /// The multi-tenant issuer template learned from discovery, if any.
    pub(crate) fn template(&self) -> Option<Arc<String>> {
        self.template.load_full()
    }

    /// Whether discovery still names this very template (the same `Arc`).
    pub(crate) fn template_is(&self, template: &Arc<String>) -> bool {
        self.template
            .load()
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, template))
    }

    pub(crate) fn last_refresh(&self) -> Option<f64> {
        self.state().last_refresh
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        self.state().last_error.clone()
    }

    /// Resolves once a key set has loaded.
    pub(crate) async fn ready(&self) {
        let mut rx = self.loaded_tx.subscribe();
        let _ = rx.wait_for(|loaded| *loaded).await;
    }

    /// Waits (at most the key-wait budget) for the first key set.
    pub(crate) async fn await_first_load(&self) -> Result<(), AuthError> {
        let mut rx = self.loaded_tx.subscribe();
        match tokio::time::timeout(self.cfg.key_wait, rx.wait_for(|loaded| *loaded)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(keys_unavailable("keys unavailable")),
        }
    }

    /// A token's key is not in the store: refetch (one at a time, at most once per cooldown) and
    /// wait for it. `Ok` means a fetch that started after this miss succeeded: the caller looks
    /// again, and a key still missing then is the token's fault (401).
    pub(crate) async fn await_kid_miss(self: &Arc<Self>) -> Result<(), AuthError> {
        enum Plan {
            Wait(u64),
            Answer(bool),
        }
        let mut rx = self.kid_miss_tx.subscribe();
        let plan = {
            let mut state = self.state();
            if state.kid_miss_in_flight {
                Plan::Wait(state.kid_miss_seq)
            } else if state
                .kid_miss_started
                .is_some_and(|t| t.elapsed() < self.cfg.kid_miss_cooldown)
            {
                Plan::Answer(state.last_kid_miss_ok)
            } else {
                state.kid_miss_seq += 1;
                state.kid_miss_in_flight = true;
                state.kid_miss_started = Some(Instant::now());
                let seq = state.kid_miss_seq;
                // A spawned task: a request dropped while waiting never cancels or repeats it.
                crate::telemetry::kid_miss_refetch(&self.iss);
                tokio::spawn(kid_miss_fetch(Arc::clone(self), seq));
                Plan::Wait(seq)
            }
        };
        match plan {
            Plan::Answer(true) => Ok(()),
            Plan::Answer(false) => Err(keys_unavailable("keys unavailable")),
            Plan::Wait(seq) => {
                let waited =
                    tokio::time::timeout(self.cfg.key_wait, rx.wait_for(|o| o.seq >= seq)).await;
                match waited {
                    Ok(Ok(outcome)) if outcome.ok => Ok(()),
                    _ => Err(keys_unavailable("keys unavailable")),
                }
            }
        }
    }
}
