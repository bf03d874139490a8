//! The JWS layer alone: compact form, protected header, key selection and the signature.
//!
//! [`Verifier`](crate::Verifier) builds on this module and adds the JWT claim checks. Use
//! [`JwsVerifier`] directly for a compact JWS whose payload is not a JWT claim set.
//!
//! # Example
//!
//! ```
//! use tower_jwt_auth::{Algorithm, JwsVerifier};
//!
//! // RFC 8037 §A.4: "Example of Ed25519 signing".
//! let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519",
//!     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
//! let verifier = JwsVerifier::from_jwks(jwks, [Algorithm::EdDSA])?;
//! let jws = verifier.verify(
//!     "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCj\
//!      P0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
//! )?;
//! assert_eq!(jws.payload(), b"Example of Ed25519 signing");
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use serde::de::IgnoredAny;

use crate::b64;
use crate::crypto::provider;
use crate::de::{Loose, is_json_object, present};
use crate::error::{AuthError, AuthErrorKind, ConfigError, JsonError};
use crate::keys::{
    AlgSet, Candidates, KeySetRules, KeyStore, MAX_KID_LEN, PreparedKey, parse_alg, parse_jwks,
};

/// Default limit on a token's length, in bytes (16 KiB). A longer token is refused before any
/// parsing.
///
/// ```
/// use tower_jwt_auth::{Algorithm, DEFAULT_MAX_TOKEN_LEN, JwsVerifier};
///
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("k1");
/// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
/// let at_limit = "a".repeat(DEFAULT_MAX_TOKEN_LEN);
/// assert_eq!(verifier.verify(&at_limit).unwrap_err().code(), "malformed"); // parsed, and refused
/// let over = "a".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
/// assert_eq!(verifier.verify(&over).unwrap_err().code(), "too_large");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_MAX_TOKEN_LEN: usize = 16 * 1024;

/// Default limit on the number of keys read from one key set: 100. Later keys are skipped.
///
/// ```
/// use tower_jwt_auth::{Algorithm, DEFAULT_MAX_KEYS, JwsVerifier, testing::TestKey};
///
/// let keys: Vec<TestKey> = (0..=DEFAULT_MAX_KEYS)
///     .map(|i| TestKey::hmac(Algorithm::HS256, [i as u8; 32]).with_kid(format!("k{i}")))
///     .collect();
/// let jwks = tower_jwt_auth::testing::jwks(&keys.iter().collect::<Vec<_>>());
/// let verifier = JwsVerifier::from_jwks(&jwks, [Algorithm::HS256])?;
/// let last_read = keys[DEFAULT_MAX_KEYS - 1].sign_parts(r#"{"alg":"HS256","kid":"k99"}"#, b"hi");
/// assert!(verifier.verify(&last_read).is_ok());
/// let skipped = keys[DEFAULT_MAX_KEYS].sign_parts(r#"{"alg":"HS256","kid":"k100"}"#, b"hi");
/// assert_eq!(verifier.verify(&skipped).unwrap_err().code(), "unknown_key");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub const DEFAULT_MAX_KEYS: usize = 100;

/// The protected header members this crate reads. Derived, so a duplicate of any of them is
/// rejected; `null` counts as present (and of the wrong type).
#[derive(serde::Deserialize)]
struct RawHeader {
    #[serde(default, deserialize_with = "present")]
    alg: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    kid: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    typ: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    crit: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    cty: Option<IgnoredAny>,
    #[serde(default, deserialize_with = "present")]
    b64: Option<IgnoredAny>,
    /// Only DPoP proofs use it (as their own key); a token's is never looked at.
    #[serde(default)]
    jwk: Option<Box<serde_json::value::RawValue>>,
}

/// Which `typ` header values are accepted (RFC 8725 §3.11 explicit typing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TypPolicy {
    pub(crate) allow_absent: bool,
    /// Lower-case media types without an `application/` prefix.
    pub(crate) accepted: Vec<String>,
}

impl Default for TypPolicy {
    fn default() -> Self {
        Self {
            allow_absent: true,
            accepted: vec!["jwt".to_owned(), "at+jwt".to_owned()],
        }
    }
}

impl TypPolicy {
    /// Normalizes a media type as RFC 7515 §4.1.9 compares them: case-insensitive, with the
    /// `application/` prefix optional.
    pub(crate) fn normalize(typ: &str) -> String {
        strip_application(typ).to_ascii_lowercase()
    }

    fn check(&self, typ: Option<Loose<String>>) -> Result<(), AuthError> {
        let wrong = || AuthError::new(AuthErrorKind::WrongType, "token type not accepted");
        match typ {
            None if self.allow_absent => Ok(()),
            None => Err(AuthError::new(
                AuthErrorKind::WrongType,
                "token type missing",
            )),
            Some(Loose::WrongType) => Err(wrong()),
            Some(Loose::Ok(typ)) => {
                let short = strip_application(&typ);
                if self.accepted.iter().any(|a| a.eq_ignore_ascii_case(short)) {
                    Ok(())
                } else {
                    Err(wrong())
                }
            }
        }
    }
}

/// A media type without its optional `application/` prefix (RFC 7515 §4.1.9), compared
/// case-insensitively; a value with a second `/` keeps the prefix.
fn strip_application(typ: &str) -> &str {
    const PREFIX: &str = "application/";
    match typ.get(..PREFIX.len()) {
        Some(head) if head.eq_ignore_ascii_case(PREFIX) && !typ[PREFIX.len()..].contains('/') => {
            &typ[PREFIX.len()..]
        }
        _ => typ,
    }
}

/// A compact JWS split and its header checked; the signature not yet.
pub(crate) struct Parsed<'t> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    /// The header's `jwk` member, unparsed.
    pub(crate) jwk: Option<Box<serde_json::value::RawValue>>,
    signing_input: &'t str,
    pub(crate) payload_b64: &'t str,
    signature_b64: &'t str,
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token itself.
        f.debug_struct("Parsed")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Splits a compact JWS and checks its header: exactly three segments, strict base64url, a JSON
/// object header without duplicates, `crit`/`cty`/`b64` refused, `typ` and `alg` checked.
pub(crate) fn parse_compact<'t>(
    token: &'t str,
    max_len: usize,
    allowed: Option<AlgSet>,
    typ: &TypPolicy,
) -> Result<Parsed<'t>, AuthError> {
    if token.len() > max_len {
        return Err(AuthError::new(AuthErrorKind::TooLarge, "token too large"));
    }
    let not_compact = || AuthError::malformed("token is not a compact JWS");
    let (signing_input, signature_b64) = token.rsplit_once('.').ok_or_else(not_compact)?;
    let (header_b64, payload_b64) = signing_input.split_once('.').ok_or_else(not_compact)?;
    if payload_b64.contains('.') {
        return Err(not_compact());
    }
    let header =
        b64::decode(header_b64).map_err(|_| AuthError::malformed("header is not base64url"))?;
    if !is_json_object(&header) {
        return Err(AuthError::malformed("header is not a JSON object"));
    }
    let header: RawHeader = serde_json::from_slice(&header).map_err(|e| {
        AuthError::malformed("header is not a valid JSON object").with_source(JsonError::from(&e))
    })?;

    if header.crit.is_some() {
        return Err(AuthError::new(
            AuthErrorKind::UnsupportedHeader,
            "crit header not supported",
        ));
    }
    if header.cty.is_some() {
        return Err(AuthError::new(
            AuthErrorKind::UnsupportedHeader,
            "nested tokens not supported",
        ));
    }
    if header.b64.is_some() {
        return Err(AuthError::new(
            AuthErrorKind::UnsupportedHeader,
            "b64 header not supported",
        ));
    }
    typ.check(header.typ)?;
    let not_allowed = || AuthError::new(AuthErrorKind::AlgNotAllowed, "algorithm not allowed");
    let alg = match header.alg {
        Some(Loose::Ok(name)) => parse_alg(&name).ok_or_else(not_allowed)?,
        Some(Loose::WrongType) => return Err(not_allowed()),
        None => return Err(AuthError::malformed("header has no alg")),
    };
    if allowed.is_some_and(|set| !set.contains(alg)) {
        return Err(not_allowed());
    }
    let kid = match header.kid {
        None => None,
        Some(Loose::Ok(kid)) if kid.len() <= MAX_KID_LEN => Some(kid),
        Some(_) => return Err(AuthError::malformed("kid is not a short string")),
    };
    Ok(Parsed {
        alg,
        kid,
        jwk: header.jwk,
        signing_input,
        payload_b64,
        signature_b64,
    })
}

/// Decodes the payload segment.
pub(crate) fn decode_payload(parsed: &Parsed<'_>) -> Result<Vec<u8>, AuthError> {
    b64::decode(parsed.payload_b64).map_err(|_| AuthError::malformed("payload is not base64url"))
}

/// Checks the signature against the store's keys for the token's `kid` (or, without a `kid`,
/// against at most [`MAX_KIDLESS_CANDIDATES`] keys of the algorithm's family). A `kid` the store
/// doesn't index is tried against the keys that have no `kid` (at most as many); if none
/// verifies, the key is unknown.
pub(crate) fn verify_signature(
    parsed: &Parsed<'_>,
    store: &KeyStore,
    allowed: Option<AlgSet>,
) -> Result<Arc<PreparedKey>, AuthError> {
    let signature = b64::decode(parsed.signature_b64)
        .map_err(|_| AuthError::malformed("signature is not base64url"))?;
    if signature.is_empty() {
        return Err(AuthError::new(
            AuthErrorKind::BadSignature,
            "signature missing",
        ));
    }
    let alg = parsed.alg;
    let candidates = store.candidates(parsed.kid.as_deref());
    let mut tried = false;
    let found = candidates.usable(alg, allowed).find(|key| {
        tried = true;
        signature_verifies(parsed, &signature, key)
    });
    match found {
        Some(key) => Ok(Arc::clone(key)),
        // A kid the index lacks, which no kid-less key verifies: unknown (not a bad signature),
        // so a remote set still refetches for a freshly published key.
        None if matches!(candidates, Candidates::Kidless(_)) => Err(unknown()),
        None if tried => Err(AuthError::new(
            AuthErrorKind::BadSignature,
            "signature invalid",
        )),
        None if candidates.indexed() => Err(AuthError::new(
            AuthErrorKind::AlgNotAllowed,
            "algorithm does not fit the key",
        )),
        None => Err(unknown()),
    }
}

/// Whether `key` verifies the signature of `parsed` (a DPoP proof's own key).
pub(crate) fn verify_with(parsed: &Parsed<'_>, key: &PreparedKey) -> bool {
    let Ok(signature) = b64::decode(parsed.signature_b64) else {
        return false;
    };
    !signature.is_empty() && signature_verifies(parsed, &signature, key)
}

/// Whether `key` verifies `signature` over the JWS's signing input, through the crypto backend
/// this crate's features chose.
fn signature_verifies(parsed: &Parsed<'_>, signature: &Vec<u8>, key: &PreparedKey) -> bool {
    (provider().verifier_factory)(&parsed.alg, &key.key).is_ok_and(|verifier| {
        verifier
            .verify(parsed.signing_input.as_bytes(), signature)
            .is_ok()
    })
}

fn unknown() -> AuthError {
    AuthError::new(AuthErrorKind::UnknownKey, "no key for this token")
}

/// Verifies compact JWS (no JWT claim checks) against a fixed key set and algorithm allow-list.
///
/// The same rules as [`Verifier`](crate::Verifier) apply to the JWS layer: compact form only,
/// strict base64url, no duplicate header members, `crit`/`cty` refused, `typ` checked, `alg`
/// matched case-sensitively against the allow-list and against the key's type and JWK `alg`,
/// and `jku`/`x5u`/`jwk`/`x5c` never used. A bare JWS may be typed `JOSE`.
///
/// ```
/// use tower_jwt_auth::{Algorithm, JwsVerifier};
///
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("k1");
/// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
/// let signed = key.sign_parts(r#"{"alg":"HS256","typ":"JOSE"}"#, b"ship order 42");
/// assert_eq!(verifier.verify(&signed)?.payload(), b"ship order 42");
/// let tampered = signed.replacen(".", ".eA", 1);
/// assert_eq!(verifier.verify(&tampered).unwrap_err().code(), "bad_signature");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
pub struct JwsVerifier {
    store: KeyStore,
    allowed: AlgSet,
    typ: TypPolicy,
}

impl fmt::Debug for JwsVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwsVerifier")
            .field("store", &self.store)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

/// A verified JWS: its algorithm, key id and payload. Returned by [`JwsVerifier::verify`].
///
/// ```
/// use tower_jwt_auth::{Algorithm, JwsVerifier};
///
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]).with_kid("k1");
/// # let verifier = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::HS256])?;
/// let jws = verifier.verify(&key.sign_parts(r#"{"alg":"HS256","kid":"k1"}"#, b"hello"))?;
/// assert_eq!((jws.alg(), jws.kid(), jws.payload()), (Algorithm::HS256, Some("k1"), &b"hello"[..]));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Jws {
    alg: Algorithm,
    kid: Option<String>,
    payload: Vec<u8>,
}

#[cfg(test)]
mod tests;
mod verifier;
