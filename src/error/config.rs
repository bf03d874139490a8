//! [`ConfigError`]: why a configuration was refused, one variant per cause.

use std::error::Error as StdError;
use std::fmt;

/// Why a configuration was refused: by [`VerifierBuilder::build`](crate::VerifierBuilder::build),
/// or by the constructor of a checked value ([`TokenSource::cookie`](crate::TokenSource::cookie),
/// [`CsrfGuard::new`](crate::extract::csrf::CsrfGuard::new),
/// [`ProtectedResourceMetadata::new`](crate::metadata::ProtectedResourceMetadata::new)).
///
/// One variant per cause; its [`Display`](fmt::Display) says which setting to change.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::{ConfigError, Issuer, Verifier};
///
/// let err = Verifier::builder()
///     .issuer(Issuer::hmac("https://issuer.example", [7u8; 32]))
///     .build()
///     .unwrap_err();
/// assert_eq!(err, ConfigError::NoAudience);
/// assert!(err.to_string().contains("insecure_skip_audience"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// No issuer was configured.
    NoIssuer,
    /// Two issuers were configured with the same `iss`.
    DuplicateIssuer {
        /// The issuer identifier given twice.
        issuer: String,
    },
    /// No audience was configured and `insecure_skip_audience()` was not called (RFC 8725 §3.9).
    NoAudience,
    /// The algorithm allow-list is empty.
    NoAlgorithms,
    /// An HMAC secret is shorter than the hash of an allowed HS* algorithm (RFC 7518 §3.2).
    WeakHmacSecret {
        /// The issuer the secret belongs to.
        issuer: String,
        /// The shortest length the allowed algorithms need, in bytes.
        min_len: usize,
        /// The secret's length, in bytes.
        len: usize,
    },
    /// A key set given as JSON could not be read at all (not a JSON object with a `keys` array).
    InvalidKeySet {
        /// The issuer the key set belongs to.
        issuer: String,
        /// What was wrong.
        reason: String,
    },
    /// A key set holds no key usable with the allowed algorithms.
    NoUsableKeys {
        /// The issuer the key set belongs to.
        issuer: String,
        /// Why each key was skipped.
        skipped: Vec<String>,
    },
    /// A PEM key could not be read as an RSA, EC (P-256/P-384) or Ed25519 public key.
    InvalidPem {
        /// The issuer the key belongs to.
        issuer: String,
        /// What was wrong.
        reason: String,
    },
    /// A key set or discovery URL is not usable (not a URL, or plain http to a remote host).
    InvalidUrl {
        /// The issuer the URL belongs to.
        issuer: String,
        /// What was wrong.
        reason: String,
    },
    /// A `{tenantid}` issuer without `.tenants([...])` or `insecure_any_tenant()`.
    TenantsMissing {
        /// The issuer template.
        issuer: String,
    },
    /// `.tenants([...])` on an issuer that is neither a `{tenantid}` template nor discovered.
    TenantsWithoutTemplate {
        /// The issuer.
        issuer: String,
    },
    /// [`Issuer::refresh`](crate::Issuer::refresh) on an issuer whose keys are given in the
    /// configuration: there is nothing to refresh.
    RefreshWithoutRemoteKeys {
        /// The issuer.
        issuer: String,
    },
    /// [`Issuer::insecure_allow_http`](crate::Issuer::insecure_allow_http) on an issuer whose
    /// keys are given in the configuration or read from a file, or
    /// [`Refresh::http_client`](crate::Refresh::http_client) on a file's: nothing is fetched over
    /// HTTP.
    HttpWithoutRemoteKeys {
        /// The issuer.
        issuer: String,
    },
    /// `insecure_skip_audience()` together with configured audiences, which it would ignore.
    AudienceWithSkip,
    /// `revocation_deadline` or `revocation_fail_open` without a revocation store to apply to.
    RevocationSettingsWithoutStore,
    /// The RFC 9068 profile fixes the accepted `typ` (`at+jwt`, required): `token_types` or
    /// `require_token_type` together with it would be ignored.
    ProfileFixesTokenType,
    /// Remote key sets need a tokio runtime to run their refresher: call `build()` inside one.
    NoRuntime,
    /// The default HTTP client could not be built.
    HttpClient {
        /// What the HTTP library said.
        reason: String,
    },
    /// A size, count or duration that must be above zero is zero.
    Zero {
        /// The setting.
        setting: &'static str,
    },
    /// A pair of bounds whose lower bound is above its upper bound.
    InvertedBounds {
        /// The setting.
        setting: &'static str,
    },
    /// The refresh jitter is not between 0.0 and 0.5.
    InvalidJitter,
    /// The leeway is longer than a day.
    LeewayTooLong,
    /// The RFC 9068 profile together with `insecure_skip_audience()`: the profile needs an audience.
    ProfileNeedsAudience,
    /// `cnf` among the required claims: a sender-constrained token is never a bearer token.
    CnfRequired,
    /// More than 64 claims outside the registered set are required.
    TooManyRequiredClaims,
    /// A cookie name outside the RFC 6265 token grammar.
    InvalidCookieName {
        /// The name given.
        name: String,
    },
    /// A trusted origin that is not an `http`/`https` origin like `https://app.example.com`.
    InvalidOrigin {
        /// The value given.
        origin: String,
    },
    /// A protected resource identifier that is not a URL without query or fragment (RFC 9728 §1.2).
    InvalidResource {
        /// What was wrong.
        reason: String,
    },
    /// The public base URL DPoP proofs name (`htu`) is not an `http`/`https` URL without user,
    /// query or fragment.
    InvalidPublicUrl {
        /// What was wrong.
        reason: &'static str,
    },
    /// A query parameter name or WebSocket subprotocol prefix a token source can't use.
    InvalidTokenSource {
        /// The value given.
        source: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The DPoP nonce secret is shorter than 32 bytes.
    ShortNonceSecret {
        /// Its length, in bytes.
        len: usize,
    },
    /// A symmetric (HS*) algorithm on the DPoP proof allow-list: a proof is signed with the
    /// client's own public key pair (RFC 9449 §4.2).
    SymmetricProofAlgorithm,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoIssuer => f.write_str("no issuer configured: add one with `.issuer(Issuer::…)`"),
            Self::DuplicateIssuer { issuer } => write!(f, "issuer `{issuer}` is configured twice"),
            Self::NoAudience => f.write_str(
                "no audience configured: set `.audience(…)` (RFC 8725 §3.9) or call `insecure_skip_audience()`",
            ),
            Self::NoAlgorithms => f.write_str("the algorithm allow-list is empty"),
            Self::WeakHmacSecret { issuer, min_len, len } => write!(
                f,
                "HMAC secret of issuer `{issuer}` is {len} bytes; the allowed algorithms need at least {min_len} (RFC 7518 §3.2)"
            ),
            Self::InvalidKeySet { issuer, reason } => {
                write!(f, "key set of issuer `{issuer}` is not a JWKS: {reason}")
            }
            Self::NoUsableKeys { issuer, skipped } => {
                write!(f, "key set of issuer `{issuer}` has no usable key")?;
                if !skipped.is_empty() {
                    write!(f, " (skipped: {})", skipped.join("; "))?;
                }
                Ok(())
            }
            Self::InvalidPem { issuer, reason } => {
                write!(f, "PEM key of issuer `{issuer}` is not usable: {reason}")
            }
            Self::InvalidUrl { issuer, reason } => {
                write!(f, "key set URL of issuer `{issuer}`: {reason}")
            }
            Self::TenantsMissing { issuer } => write!(
                f,
                "issuer `{issuer}` is a `{{tenantid}}` template: add `.tenants([...])` (or `insecure_any_tenant()`)"
            ),
            Self::TenantsWithoutTemplate { issuer } => write!(
                f,
                "issuer `{issuer}`: `.tenants([...])` needs a `{{tenantid}}` issuer (or `Issuer::discover` of a multi-tenant provider)"
            ),
            Self::RefreshWithoutRemoteKeys { issuer } => write!(
                f,
                "issuer `{issuer}`: `.refresh(…)` needs keys to refresh (`Issuer::jwks_url`, `Issuer::jwks_file` or `Issuer::discover`)"
            ),
            Self::HttpWithoutRemoteKeys { issuer } => write!(
                f,
                "issuer `{issuer}`: `.insecure_allow_http()` or an HTTP client needs keys fetched over HTTP (`Issuer::jwks_url` or `Issuer::discover`)"
            ),
            Self::AudienceWithSkip => f.write_str(
                "`insecure_skip_audience()` would ignore the configured audiences: drop one or the other",
            ),
            Self::RevocationSettingsWithoutStore => f.write_str(
                "`revocation_deadline`/`revocation_fail_open` need a store: add `.revocation(…)`",
            ),
            Self::ProfileFixesTokenType => f.write_str(
                "the RFC 9068 profile fixes the accepted `typ`: drop `token_types`/`require_token_type`",
            ),
            Self::NoRuntime => f.write_str(
                "remote key sets need a tokio runtime for their refresher: call `build()` inside one",
            ),
            Self::HttpClient { reason } => write!(f, "could not build the HTTP client: {reason}"),
            Self::Zero { setting } => write!(f, "`{setting}` must be above zero"),
            Self::InvertedBounds { setting } => {
                write!(f, "`{setting}`: the lower bound is above the upper bound")
            }
            Self::InvalidJitter => f.write_str("`jitter` must be from 0.0 to 0.5"),
            Self::LeewayTooLong => f.write_str("`leeway` is longer than a day"),
            Self::ProfileNeedsAudience => f.write_str(
                "the RFC 9068 profile needs an audience: drop `insecure_skip_audience()`",
            ),
            Self::CnfRequired => f.write_str(
                "`required_claims`: `cnf` marks a sender-constrained token, which is never accepted as a bearer token",
            ),
            Self::TooManyRequiredClaims => {
                f.write_str("`required_claims`: more than 64 claims")
            }
            Self::InvalidCookieName { name } => {
                write!(f, "`token_source`: {name:?} is not a valid cookie name")
            }
            Self::InvalidOrigin { origin } => {
                write!(
                    f,
                    "`trusted_origin`: {origin:?} is not an origin like https://app.example.com"
                )
            }
            Self::InvalidResource { reason } => {
                write!(f, "`resource_metadata`: {reason}")
            }
            Self::InvalidPublicUrl { reason } => write!(f, "`Dpop::new`: public URL {reason}"),
            Self::InvalidTokenSource { source, reason } => {
                write!(f, "`token_source`: {source:?} {reason}")
            }
            Self::ShortNonceSecret { len } => write!(
                f,
                "`DpopNonce::new`: the secret is {len} bytes; it needs at least 32"
            ),
            Self::SymmetricProofAlgorithm => f.write_str(
                "`Dpop::algorithms`: DPoP proofs are signed with asymmetric keys; drop the HS* algorithms",
            ),
        }
    }
}

impl StdError for ConfigError {}
