//! A remote key set: the background refresher, kid-miss refetches and staleness.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use http::HeaderValue;
use reqwest::Url;
use tokio::sync::watch;

use super::fetch::{self, CacheAge, FetchError, Fetched};
use super::{Freshness, RemoteConfig};
use crate::clock::Clock;
use crate::error::{AuthError, AuthErrorKind};
use crate::keys::{AlgSet, KeySetRules, KeyStore, parse_jwks};

const JWKS_ACCEPT: &str = "application/jwk-set+json, application/json";

/// Where the key set's URL comes from.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    /// A JWKS URL given directly.
    Jwks(Url),
    /// OIDC discovery: the `jwks_uri` of this configuration document.
    Discovery {
        config: Url,
        issuer: String,
        multi_tenant: bool,
    },
}

/// What a request learns when its key is not (yet) in the store.
#[derive(Debug, Clone, Copy)]
struct KidMissOutcome {
    seq: u64,
    ok: bool,
}

#[derive(Debug, Default)]
struct State {
    /// Clock time of the last successful fetch (a 304 counts).
    last_refresh: Option<f64>,
    last_error: Option<String>,
    interval: Duration,
    kid_miss_in_flight: bool,
    kid_miss_started: Option<Instant>,
    kid_miss_seq: u64,
    last_kid_miss_ok: bool,
}

/// Fetch-side memory, held while a fetch runs (one fetch at a time per issuer).
#[derive(Debug, Default)]
struct FetchMemo {
    jwks_url: Option<Url>,
    /// When discovery last told the `jwks_url`.
    resolved_at: Option<Instant>,
    etag: Option<HeaderValue>,
    /// Key set fetches that failed in a row.
    failures: u32,
}

/// Key set fetches that may fail in a row before discovery is fetched again.
const FAILURES_BEFORE_REDISCOVERY: u32 = 3;

/// One issuer's remote key set.
pub(crate) struct Remote {
    pub(crate) iss: String,
    location: Location,
    allow_http: bool,
    client: reqwest::Client,
    cfg: RemoteConfig,
    allowed: Option<AlgSet>,
    pub(crate) store: Arc<KeyStore>,
    clock: Arc<dyn Clock>,
    loaded: AtomicBool,
    /// The multi-tenant issuer template a discovery document named.
    template: arc_swap::ArcSwapOption<String>,
    /// Clock time after which the keys are too stale to use (f64 bits).
    expires_at: AtomicU64,
    loaded_tx: watch::Sender<bool>,
    state: Mutex<State>,
    kid_miss_tx: watch::Sender<KidMissOutcome>,
    fetch_lock: tokio::sync::Mutex<FetchMemo>,
    /// Dropped with the last handle; the refresher task ends when it sees that.
    _shutdown: watch::Sender<()>,
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
fn random_unit() -> f64 {
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
        client: reqwest::Client,
        cfg: RemoteConfig,
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

    fn state(&self) -> MutexGuard<'_, State> {
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

    /// Fetches and applies the key set. Returns the interval until the next scheduled refresh.
    async fn refresh(&self) -> Result<Duration, FetchError> {
        let mut memo = self.fetch_lock.lock().await;
        let result = self.fetch_and_apply(&mut memo).await;
        let now = self.clock.now_unix_secs();
        let mut state = self.state();
        match &result {
            Ok(interval) => {
                state.last_refresh = Some(now);
                state.last_error = None;
                state.interval = *interval;
                let expires = now + interval.as_secs_f64() + self.cfg.max_stale.as_secs_f64();
                self.expires_at.store(expires.to_bits(), Ordering::Release);
                if !self.loaded.swap(true, Ordering::AcqRel) {
                    self.loaded_tx.send_replace(true);
                }
            }
            Err(e) => {
                tracing::warn!(issuer = %self.iss, error = %e, "key set refresh failed");
                state.last_error = Some(e.to_string());
            }
        }
        result
    }

    async fn fetch_and_apply(&self, memo: &mut FetchMemo) -> Result<Duration, FetchError> {
        let url = self.jwks_url(memo).await?;
        let result = self.fetch_keys(memo, &url).await;
        memo.failures = match result {
            Ok(_) => 0,
            Err(_) => memo.failures.saturating_add(1),
        };
        result
    }

    /// The key set URL: the configured one, or discovery's (fetched again when it is older than
    /// the discovery refresh interval or the key set failed repeatedly; the last known one stays
    /// in use while discovery fails).
    async fn jwks_url(&self, memo: &mut FetchMemo) -> Result<Url, FetchError> {
        if let Location::Jwks(url) = &self.location {
            return Ok(url.clone());
        }
        let due = memo.resolved_at.is_none_or(|at| {
            at.elapsed() >= self.cfg.discovery_refresh
                || memo.failures >= FAILURES_BEFORE_REDISCOVERY
        });
        match (&memo.jwks_url, due) {
            (Some(url), false) => Ok(url.clone()),
            (known, _) => match self.resolve_jwks_url().await {
                Ok(url) => {
                    if known.as_ref() != Some(&url) {
                        if known.is_some() {
                            tracing::info!(issuer = %self.iss, jwks_uri = %fetch::origin(&url), "discovery names a new jwks_uri");
                        }
                        memo.etag = None;
                    }
                    memo.jwks_url = Some(url.clone());
                    memo.resolved_at = Some(Instant::now());
                    memo.failures = 0;
                    Ok(url)
                }
                Err(e) => match known {
                    Some(url) => {
                        tracing::warn!(issuer = %self.iss, error = %e, "discovery refresh failed: the last jwks_uri stays in use");
                        // Try discovery again after the next failures, not on every fetch.
                        memo.resolved_at = Some(Instant::now());
                        memo.failures = 0;
                        Ok(url.clone())
                    }
                    None => Err(e),
                },
            },
        }
    }

    async fn fetch_keys(&self, memo: &mut FetchMemo, url: &Url) -> Result<Duration, FetchError> {
        let fetched = fetch::fetch(
            &self.client,
            url,
            memo.etag.as_ref(),
            JWKS_ACCEPT,
            self.cfg.fetch_timeout,
            self.cfg.max_jwks_bytes,
            self.allow_http,
        )
        .await?;
        let max_age = match fetched {
            Fetched::NotModified { max_age } => max_age,
            Fetched::Body {
                body,
                etag,
                max_age,
            } => {
                let rules = KeySetRules {
                    allow_oct: false,
                    max_keys: self.store.max_keys(),
                    allowed: self.allowed,
                };
                let parsed = parse_jwks(&body, rules)
                    .map_err(|why| FetchError::Invalid(format!("not a JWKS ({why})")))?;
                for skipped in &parsed.skipped {
                    tracing::debug!(issuer = %self.iss, key = %skipped, "key skipped");
                }
                if parsed.keys.is_empty() {
                    return Err(FetchError::Invalid("no usable key in the set".to_owned()));
                }
                let (added, removed) = self.store.replace(parsed);
                if added > 0 || removed > 0 {
                    tracing::info!(issuer = %self.iss, added, removed, keys = self.store.len(), "key set changed");
                }
                memo.etag = etag;
                max_age
            }
        };
        Ok(self.interval(max_age))
    }

    async fn resolve_jwks_url(&self) -> Result<Url, FetchError> {
        match &self.location {
            Location::Jwks(url) => Ok(url.clone()),
            Location::Discovery {
                config,
                issuer,
                multi_tenant,
            } => {
                let found = super::oidc::discover(
                    &self.client,
                    config,
                    issuer,
                    *multi_tenant,
                    self.cfg.fetch_timeout,
                    self.allow_http,
                )
                .await?;
                // A new `Arc` only when the template changed: cached tokens matched through the
                // old one stop being served.
                if self.template.load().as_deref() != found.template.as_ref() {
                    self.template.store(found.template.map(Arc::new));
                }
                Ok(found.jwks_uri)
            }
        }
    }

    /// The refresh interval for a `Cache-Control` max-age, clamped to the configured bounds.
    fn interval(&self, max_age: CacheAge) -> Duration {
        let wanted = match max_age {
            CacheAge::Unspecified => self.cfg.refresh_interval,
            CacheAge::Seconds(s) => Duration::from_secs(s),
        };
        wanted.clamp(
            self.cfg.min_refresh_interval,
            self.cfg
                .max_refresh_interval
                .max(self.cfg.min_refresh_interval),
        )
    }

    /// The wait after `failures` failures in a row: exponential backoff with full jitter, kept
    /// short while no key set has ever loaded.
    fn backoff(&self, failures: u32) -> Duration {
        let base = self.cfg.backoff_min.as_secs_f64();
        let mut cap = (base * 2f64.powi(i32::try_from(failures.min(30)).unwrap_or(30) - 1))
            .min(self.cfg.backoff_max.as_secs_f64());
        if !self.loaded.load(Ordering::Acquire) {
            cap = cap.min(self.cfg.initial_retry_max.as_secs_f64());
        }
        Duration::try_from_secs_f64((cap * random_unit()).max(cap / 10.0).max(0.001))
            .unwrap_or(self.cfg.backoff_max)
    }
}

/// `interval` times a random factor in `1 ± jitter`; saturates instead of overflowing.
fn jittered(interval: Duration, jitter: f64) -> Duration {
    let factor = jitter.mul_add(2.0f64.mul_add(random_unit(), -1.0), 1.0);
    Duration::try_from_secs_f64(interval.as_secs_f64() * factor.max(0.0)).unwrap_or(Duration::MAX)
}

/// The background refresher: fetch, sleep (interval with jitter, or backoff), repeat, until the
/// last handle to the key set is dropped.
async fn refresher(remote: Weak<Remote>, mut shutdown: watch::Receiver<()>) {
    let mut failures = 0u32;
    loop {
        let Some(this) = remote.upgrade() else { return };
        let delay = match this.refresh().await {
            Ok(interval) => {
                failures = 0;
                jittered(interval, this.cfg.jitter)
            }
            Err(_) => {
                failures = failures.saturating_add(1);
                this.backoff(failures)
            }
        };
        drop(this);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn kid_miss_fetch(remote: Arc<Remote>, seq: u64) {
    let ok = remote.refresh().await.is_ok();
    {
        let mut state = remote.state();
        state.kid_miss_in_flight = false;
        state.last_kid_miss_ok = ok;
    }
    remote.kid_miss_tx.send_replace(KidMissOutcome { seq, ok });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_saturates_instead_of_overflowing() {
        assert!(jittered(Duration::MAX, 0.5) >= Duration::from_secs(u64::MAX / 4));
        let d = jittered(Duration::from_secs(100), 0.1);
        assert!(d >= Duration::from_secs(90) && d <= Duration::from_secs(110));
        assert_eq!(
            jittered(Duration::from_secs(100), 0.0),
            Duration::from_secs(100)
        );
    }
}
