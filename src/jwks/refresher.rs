//! The background refresher: fetches of the key set and the discovery document, and their timing.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use reqwest::Url;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::fetch::{self, CacheAge, FetchError, Fetched};
use crate::clock::Clock;
use crate::keys::{KeySetRules, parse_jwks};

use super::remote::*;

impl Remote {
    /// Fetches and applies the key set. Returns the interval until the next scheduled refresh.
    async fn refresh(&self) -> Result<Duration, FetchError> {
        let mut memo = self.fetch_lock.lock().await;
        let result = self.fetch_and_apply(&mut memo).await;
        let now = self.clock.now_unix_secs();
        let mut state = self.state();
        match &result {
            Ok(interval) => {
                crate::telemetry::jwks_loaded(&self.iss, self.store.len(), now);
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
                crate::telemetry::jwks_fetch(&self.iss, "error");
                tracing::warn!(issuer = %self.iss, error = %e, "key set refresh failed");
                state.last_error = Some(e.to_string());
            }
        }
        result
    }

    async fn fetch_and_apply(&self, memo: &mut FetchMemo) -> Result<Duration, FetchError> {
        let result = match (&self.location, &self.client) {
            (Location::File(path), _) => self.read_file(memo, path).await,
            (Location::Jwks(url), Some(client)) => self.fetch_keys(client, memo, url).await,
            (
                Location::Discovery {
                    config,
                    issuer,
                    multi_tenant,
                },
                Some(client),
            ) => {
                let url = self
                    .discovered_jwks_url(client, memo, config, issuer, *multi_tenant)
                    .await?;
                self.fetch_keys(client, memo, &url).await
            }
            // Not built: `build()` gives every HTTP location a client.
            (_, None) => Err(FetchError::Transport("no HTTP client".to_owned())),
        };
        memo.failures = match result {
            Ok(_) => 0,
            Err(_) => memo.failures.saturating_add(1),
        };
        result
    }

    /// The key set URL discovery names (fetched again when it is older than the discovery
    /// refresh interval or the key set failed repeatedly; the last known one stays in use while
    /// discovery fails).
    async fn discovered_jwks_url(
        &self,
        client: &reqwest::Client,
        memo: &mut FetchMemo,
        config: &Url,
        issuer: &str,
        multi_tenant: bool,
    ) -> Result<Url, FetchError> {
        let due = memo.resolved_at.is_none_or(|at| {
            at.elapsed() >= self.cfg.discovery_refresh
                || memo.failures >= FAILURES_BEFORE_REDISCOVERY
        });
        match (&memo.jwks_url, due) {
            (Some(url), false) => Ok(url.clone()),
            (known, _) => match self.discover(client, config, issuer, multi_tenant).await {
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

    async fn fetch_keys(
        &self,
        client: &reqwest::Client,
        memo: &mut FetchMemo,
        url: &Url,
    ) -> Result<Duration, FetchError> {
        let fetched = fetch::fetch(
            client,
            url,
            memo.etag.as_ref(),
            JWKS_ACCEPT,
            self.cfg.fetch_timeout,
            self.cfg.max_jwks_bytes,
            self.allow_http,
        )
        .await?;
        let max_age = match fetched {
            Fetched::NotModified { max_age } => {
                crate::telemetry::jwks_fetch(&self.iss, "not_modified");
                max_age
            }
            Fetched::Body {
                body,
                etag,
                max_age,
            } => {
                self.apply(&body)?;
                memo.etag = etag;
                crate::telemetry::jwks_fetch(&self.iss, "updated");
                max_age
            }
        };
        Ok(self.interval(max_age))
    }

    /// Reads the key file; parses it only when its content changed since the last success. The
    /// file's interval is the configured one as it is: no `Cache-Control` to bound.
    async fn read_file(&self, memo: &mut FetchMemo, path: &Path) -> Result<Duration, FetchError> {
        let body = super::file::read(
            path,
            self.cfg.max_jwks_bytes,
            self.cfg.fetch_timeout,
            &mut memo.pending_read,
        )
        .await?;
        let digest: [u8; 32] = Sha256::digest(&body).into();
        if memo.file_digest == Some(digest) {
            crate::telemetry::jwks_fetch(&self.iss, "not_modified");
        } else {
            self.apply(&body)?;
            memo.file_digest = Some(digest);
            crate::telemetry::jwks_fetch(&self.iss, "updated");
        }
        Ok(self.cfg.refresh_interval)
    }

    /// Parses a key set document and puts its usable keys in the store, in place of the old ones.
    fn apply(&self, body: &[u8]) -> Result<(), FetchError> {
        let rules = KeySetRules {
            allow_oct: false,
            max_keys: self.store.max_keys(),
            allowed: self.allowed,
        };
        let parsed = parse_jwks(body, rules)
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
        Ok(())
    }

    async fn discover(
        &self,
        client: &reqwest::Client,
        config: &Url,
        issuer: &str,
        multi_tenant: bool,
    ) -> Result<Url, FetchError> {
        let found = super::oidc::discover(
            client,
            config,
            issuer,
            multi_tenant,
            self.cfg.fetch_timeout,
            self.allow_http,
        )
        .await?;
        // A new `Arc` only when the template changed: cached tokens matched through the old one
        // stop being served.
        if self.template.load().as_deref() != found.template.as_ref() {
            self.template.store(found.template.map(Arc::new));
        }
        Ok(found.jwks_uri)
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
        // A local file costs nothing to read again: a failed read is retried within an interval.
        if matches!(self.location, Location::File(_)) {
            cap = cap.min(self.cfg.refresh_interval.as_secs_f64());
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
pub(super) async fn refresher(remote: Weak<Remote>, mut shutdown: watch::Receiver<()>) {
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

pub(super) async fn kid_miss_fetch(remote: Arc<Remote>, seq: u64) {
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
