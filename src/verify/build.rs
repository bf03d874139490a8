//! [`VerifierBuilder::build`]: checks a configuration and turns it into a [`Verifier`].

use std::sync::Arc;

use jsonwebtoken::Algorithm;

use super::{IssuerState, Shared, TokenCache, Verifier};
use crate::claims::{MAX_REQUIRED_CLAIMS, READ_CLAIMS};
use crate::error::ConfigError;
use crate::jwks::remote::{Location, Remote};
use crate::jwks::{Issuer, KeySource, TENANT_PLACEHOLDER};
use crate::jwks::{fetch, oidc};
use crate::keys::{
    AlgSet, KeyFamily, KeySetRules, KeyStore, ParsedKeys, PreparedKey, hmac_min_len, lone_key,
    parse_jwks, parse_pem,
};
use crate::revocation::{DEFAULT_REVOCATION_DEADLINE, FailurePolicy, RevocationConfig};
use crate::verify::jws::TypPolicy;

use super::builder::VerifierBuilder;

impl<C> VerifierBuilder<C> {
    /// Builds the verifier; remote issuers spawn their refresher on the current tokio runtime.
    /// Static keys are read here, so a bad key set, PEM or HMAC secret fails now, not per request.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when the configuration can't be used.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, ConfigError, Issuer, Verifier};
    ///
    /// let hmac = |secret: &[u8]| {
    ///     Verifier::builder()
    ///         .issuer(Issuer::hmac("https://issuer.example", secret))
    ///         .audience("api")
    ///         .algorithms([Algorithm::HS256])
    ///         .build()
    /// };
    /// assert_eq!(hmac(&[7; 32])?.status()[0].keys, 1);
    /// let weak = hmac(&[7; 16]); // HS256 needs 32 bytes
    /// assert!(matches!(weak, Err(ConfigError::WeakHmacSecret { min_len: 32, len: 16, .. })));
    ///
    /// // A remote key set needs a tokio runtime for its refresher; there is none here.
    /// let remote = Verifier::builder()
    ///     .issuer(Issuer::jwks_url("https://issuer.example", "https://issuer.example/jwks"))
    ///     .audience("api")
    ///     .build();
    /// assert!(matches!(remote, Err(ConfigError::NoRuntime)));
    /// # Ok::<_, ConfigError>(())
    /// ```
    pub fn build(self) -> Result<Verifier<C>, ConfigError> {
        if self.issuers.is_empty() {
            return Err(ConfigError::NoIssuer);
        }
        let allowed: Option<AlgSet> = self
            .algorithms
            .as_ref()
            .map(|a| a.iter().copied().collect());
        if allowed.is_some_and(AlgSet::is_empty) {
            return Err(ConfigError::NoAlgorithms);
        }
        if self.skip_audience
            && (!self.audiences.is_empty() || self.issuers.iter().any(|i| i.audience.is_some()))
        {
            return Err(ConfigError::AudienceWithSkip);
        }
        if self.revocation.is_none()
            && (self.revocation_deadline != DEFAULT_REVOCATION_DEADLINE
                || self.revocation_policy == FailurePolicy::Open)
        {
            return Err(ConfigError::RevocationSettingsWithoutStore);
        }
        if self.max_claims_depth == 0 {
            return Err(ConfigError::Zero {
                setting: "max_claims_depth",
            });
        }
        if !self.skip_audience
            && self.audiences.is_empty()
            && self.issuers.iter().any(|i| i.audience.is_none())
        {
            return Err(ConfigError::NoAudience);
        }
        if self.max_token_len == 0 {
            return Err(ConfigError::Zero {
                setting: "max_token_len",
            });
        }
        if self.revocation_deadline.is_zero() {
            return Err(ConfigError::Zero {
                setting: "revocation_deadline",
            });
        }
        if self.max_keys == 0 {
            return Err(ConfigError::Zero {
                setting: "max_keys",
            });
        }
        let leeway = self.leeway.as_secs_f64();
        if leeway > 86_400.0 {
            return Err(ConfigError::LeewayTooLong);
        }
        let mut typ = self.typ;
        let mut required = self.required;
        if self.rfc9068 {
            if self.skip_audience {
                return Err(ConfigError::ProfileNeedsAudience);
            }
            if typ != TypPolicy::default() {
                return Err(ConfigError::ProfileFixesTokenType);
            }
            typ = TypPolicy {
                allow_absent: false,
                accepted: vec!["at+jwt".to_owned()],
            };
            required
                .extend(["iss", "exp", "aud", "sub", "client_id", "iat", "jti"].map(str::to_owned));
        }
        required.sort();
        required.dedup();
        if required.iter().any(|c| c == "cnf") {
            return Err(ConfigError::CnfRequired);
        }
        let (registered, custom): (Vec<String>, Vec<String>) = required
            .into_iter()
            .partition(|c| READ_CLAIMS.contains(&c.as_str()));
        if custom.len() > MAX_REQUIRED_CLAIMS {
            return Err(ConfigError::TooManyRequiredClaims);
        }
        let required_registered = READ_CLAIMS
            .iter()
            .copied()
            .filter(|name| registered.iter().any(|r| r == name))
            .collect();

        // The crate's own client, built once and shared by the issuers that bring none.
        let mut default_client: Option<reqwest::Client> = None;
        let mut issuers: Vec<IssuerState> = Vec::with_capacity(self.issuers.len());
        for issuer in self.issuers {
            if issuers.iter().any(|i| i.iss == issuer.iss) {
                return Err(ConfigError::DuplicateIssuer { issuer: issuer.iss });
            }
            let template = issuer.iss.contains(TENANT_PLACEHOLDER);
            if template && !issuer.tenants.is_set() {
                return Err(ConfigError::TenantsMissing { issuer: issuer.iss });
            }
            // Tenants only mean something for a template: one given in `iss`, or one a
            // discovery document names (checked when it is fetched).
            if !template && issuer.tenants.is_set() && !matches!(issuer.keys, KeySource::Discover) {
                return Err(ConfigError::TenantsWithoutTemplate { issuer: issuer.iss });
            }
            let location = match &issuer.keys {
                KeySource::JwksUrl(url) => Some(Location::Jwks(remote_url(&issuer, url)?)),
                KeySource::JwksFile(path) => {
                    let http_client = issuer.refresh.as_ref().is_some_and(|r| r.client.is_some());
                    if issuer.allow_http || http_client {
                        return Err(ConfigError::HttpWithoutRemoteKeys { issuer: issuer.iss });
                    }
                    Some(Location::File(path.clone()))
                }
                KeySource::Discover => {
                    let config = oidc::configuration_url(&issuer.iss).map_err(|reason| {
                        ConfigError::InvalidUrl {
                            issuer: issuer.iss.clone(),
                            reason,
                        }
                    })?;
                    remote_url(&issuer, config.as_str())?;
                    Some(Location::Discovery {
                        config,
                        issuer: issuer.iss.clone(),
                        multi_tenant: issuer.tenants.is_set(),
                    })
                }
                _ => None,
            };
            let state = match location {
                Some(location) => {
                    if tokio::runtime::Handle::try_current().is_err() {
                        return Err(ConfigError::NoRuntime);
                    }
                    let mut refresh = issuer.refresh.clone().unwrap_or_default();
                    let file = matches!(location, Location::File(_));
                    if file && !refresh.interval_set {
                        refresh.refresh_interval = crate::jwks::FILE_CHECK_INTERVAL;
                    }
                    refresh.validate()?;
                    // A key file gets no client: building one loads the system's CA roots,
                    // which an air-gapped image may not have.
                    let client = match (file, refresh.client.take(), &default_client) {
                        (true, _, _) => None,
                        (false, Some(own), _) => Some(own),
                        (false, None, Some(shared)) => Some(shared.clone()),
                        (false, None, None) => {
                            let built = reqwest::Client::builder()
                                .redirect(fetch::same_origin_redirects())
                                .user_agent(fetch::USER_AGENT)
                                .build()
                                .map_err(|e| ConfigError::HttpClient {
                                    reason: e.to_string(),
                                })?;
                            default_client = Some(built.clone());
                            Some(built)
                        }
                    };
                    let remote = Remote::spawn(
                        issuer.iss.clone(),
                        location,
                        issuer.allow_http,
                        client,
                        refresh,
                        allowed,
                        self.max_keys,
                        Arc::clone(&self.clock),
                    );
                    IssuerState {
                        iss: issuer.iss,
                        audiences: issuer.audience,
                        tenants: issuer.tenants,
                        store: Arc::clone(&remote.store),
                        remote: Some(remote),
                    }
                }
                None => {
                    if issuer.refresh.is_some() {
                        return Err(ConfigError::RefreshWithoutRemoteKeys { issuer: issuer.iss });
                    }
                    if issuer.allow_http {
                        return Err(ConfigError::HttpWithoutRemoteKeys { issuer: issuer.iss });
                    }
                    let store = KeyStore::new(self.max_keys);
                    store.replace(load_keys(&issuer, allowed, self.max_keys)?);
                    IssuerState {
                        iss: issuer.iss,
                        audiences: issuer.audience,
                        tenants: issuer.tenants,
                        store: Arc::new(store),
                        remote: None,
                    }
                }
            };
            issuers.push(state);
        }

        Ok(Verifier::from_shared(Shared {
            issuers,
            allowed,
            leeway,
            max_token_age: self.max_token_age.map(|age| age.as_secs_f64()),
            audiences: self.audiences,
            skip_audience: self.skip_audience,
            required: custom,
            required_registered,
            typ,
            rfc9068: self.rfc9068,
            max_token_len: self.max_token_len,
            max_claims_depth: self.max_claims_depth,
            clock: self.clock,
            revocation: self.revocation.map(|store| RevocationConfig {
                store,
                deadline: self.revocation_deadline,
                policy: self.revocation_policy,
                warnings: Arc::default(),
            }),
            token_cache: self
                .token_cache
                .filter(|c| *c > 0 && self.token_cache_bytes > 0)
                .map(|capacity| TokenCache::new(capacity, self.token_cache_bytes)),
        }))
    }
}

/// Parses a key set URL and checks its scheme.
fn remote_url(issuer: &Issuer, url: &str) -> Result<reqwest::Url, ConfigError> {
    let bad = |reason: String| ConfigError::InvalidUrl {
        issuer: issuer.iss.clone(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(format!("{url:?} is not a URL: {e}")))?;
    fetch::check_scheme(&parsed, issuer.allow_http).map_err(bad)?;
    Ok(parsed)
}

/// Reads an issuer's keys and keeps those usable with the allowed algorithms.
fn load_keys(
    issuer: &Issuer,
    allowed: Option<AlgSet>,
    max_keys: usize,
) -> Result<ParsedKeys, ConfigError> {
    let iss = || issuer.iss.clone();
    let parsed = match &issuer.keys {
        KeySource::Jwks(json) => {
            let rules = KeySetRules {
                allow_oct: true,
                max_keys,
                allowed,
            };
            parse_jwks(json.as_bytes(), rules).map_err(|reason| ConfigError::InvalidKeySet {
                issuer: iss(),
                reason: reason.to_owned(),
            })?
        }
        KeySource::Hmac(secret) => {
            let hs: Vec<Algorithm> = allowed
                .map(|set| {
                    set.iter()
                        .filter(|a| KeyFamily::of(*a) == Some(KeyFamily::Hmac))
                        .collect()
                })
                .unwrap_or_default();
            let min_len = hs.iter().map(|a| hmac_min_len(*a)).max().unwrap_or(32);
            if secret.len() < min_len {
                return Err(ConfigError::WeakHmacSecret {
                    issuer: iss(),
                    min_len,
                    len: secret.len(),
                });
            }
            let key = PreparedKey::new(
                None,
                KeyFamily::Hmac,
                None,
                jsonwebtoken::DecodingKey::from_secret(secret),
                secret.len(),
            );
            lone_key(key, allowed)
        }
        KeySource::JwksUrl(_) | KeySource::JwksFile(_) | KeySource::Discover => {
            // Key sets with a refresher are loaded by it, never here (not reached).
            return Err(ConfigError::NoUsableKeys {
                issuer: iss(),
                skipped: Vec::new(),
            });
        }
        KeySource::Pem(pem) => {
            let key = parse_pem(pem).map_err(|reason| ConfigError::InvalidPem {
                issuer: iss(),
                reason: reason.to_owned(),
            })?;
            lone_key(key, allowed)
        }
    };
    let ParsedKeys { keys, skipped } = parsed;
    if keys.is_empty() {
        return Err(ConfigError::NoUsableKeys {
            issuer: iss(),
            skipped: skipped.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(ParsedKeys { keys, skipped })
}
