//! [`PreparedKey`]: a key decoded once, with its identity, and the result of reading a key set.

use std::fmt;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey};
use sha2::{Digest, Sha256};

use super::{AlgSet, KeyFamily, hmac_min_len};

/// A key ready for signature checks: decoded once, when the key set is loaded.
///
/// A key keeps one identity (one `Arc`) for as long as the sets a refresh brings still hold it:
/// the verified-token cache remembers that identity and serves a token only while the current
/// set would still pick the same key for it.
pub(crate) struct PreparedKey {
    pub(crate) kid: Option<Arc<str>>,
    pub(crate) family: KeyFamily,
    /// The algorithms the JWK names with its `alg` (one, or several when the same key is
    /// published once per algorithm); `None` when it names none.
    pub(crate) algs: Option<AlgSet>,
    pub(crate) key: DecodingKey,
    /// Secret length for HMAC keys (0 for the others).
    pub(crate) secret_len: usize,
    /// SHA-256 of everything above: equal fingerprints, same key for the same uses.
    fingerprint: [u8; 32],
}

impl fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedKey")
            .field("kid", &self.kid)
            .field("family", &self.family)
            .field("algs", &self.algs)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl PreparedKey {
    pub(crate) fn new(
        kid: Option<Arc<str>>,
        family: KeyFamily,
        algs: Option<AlgSet>,
        key: DecodingKey,
        secret_len: usize,
    ) -> Self {
        let mut key = Self {
            kid,
            family,
            algs,
            key,
            secret_len,
            fingerprint: [0; 32],
        };
        key.fingerprint = key.compute_fingerprint();
        key
    }

    fn compute_fingerprint(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        match &self.kid {
            Some(kid) => {
                h.update([1]);
                h.update((kid.len() as u64).to_be_bytes());
                h.update(kid.as_bytes());
            }
            None => h.update([0]),
        }
        h.update([self.family as u8]);
        match self.algs {
            Some(algs) => {
                h.update([1]);
                h.update(algs.0.to_be_bytes());
            }
            None => h.update([0]),
        }
        h.update((self.secret_len as u64).to_be_bytes());
        h.update(key_bytes(&self.key));
        h.finalize().into()
    }

    /// Whether two keys are the same key for the same uses.
    pub(super) fn same_key(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }

    /// The same key material of the same family (whatever the `kid` and `alg` members).
    pub(super) fn same_material(&self, other: &Self) -> bool {
        self.family == other.family
            && self.secret_len == other.secret_len
            && key_bytes(&self.key) == key_bytes(&other.key)
    }

    /// Whether this key may verify a token signed with `alg`, under the allow-list `allowed`
    /// (`None`: no allow-list was configured, so only the key's own `alg` is usable).
    pub(crate) fn usable_with(&self, alg: Algorithm, allowed: Option<AlgSet>) -> bool {
        if KeyFamily::of(alg) != Some(self.family) {
            return false;
        }
        if self.family == KeyFamily::Hmac && self.secret_len < hmac_min_len(alg) {
            return false;
        }
        match (self.algs, allowed) {
            (Some(own), Some(allowed)) => own.contains(alg) && allowed.contains(alg),
            (Some(own), None) => own.contains(alg),
            (None, Some(allowed)) => allowed.contains(alg),
            (None, None) => false,
        }
    }

    /// Whether this key can be used with any algorithm at all under `allowed`.
    pub(crate) fn usable_at_all(&self, allowed: Option<AlgSet>) -> bool {
        AlgSet::ALL
            .iter()
            .any(|alg| self.usable_with(*alg, allowed))
    }
}

pub(super) fn key_bytes(key: &DecodingKey) -> Vec<u8> {
    match key.kind() {
        jsonwebtoken::DecodingKeyKind::SecretOrDer(bytes) => bytes.clone(),
        // Length-prefixed: (n, e) and (n‖x, e') never read the same.
        jsonwebtoken::DecodingKeyKind::RsaModulusExponent { n, e } => {
            let mut out = (n.len() as u64).to_be_bytes().to_vec();
            out.extend_from_slice(n);
            out.extend_from_slice(e);
            out
        }
    }
}

/// Keeps the keys usable with the allowed algorithms and reports the others as skipped.
pub(crate) fn keep_usable(
    keys: Vec<(usize, PreparedKey)>,
    allowed: Option<AlgSet>,
    skipped: &mut Vec<SkippedKey>,
) -> Vec<(usize, PreparedKey)> {
    let mut usable = Vec::with_capacity(keys.len());
    for (index, key) in keys {
        if key.usable_at_all(allowed) {
            usable.push((index, key));
        } else {
            let reason = if key.algs.is_none() && allowed.is_none() {
                "key has no `alg`: name its algorithm in `.algorithms(…)`"
            } else {
                "not usable with the allowed algorithms"
            };
            let kid = key.kid.as_deref().map(str::to_owned);
            skipped.push(SkippedKey { index, kid, reason });
        }
    }
    usable
}

/// One lone key (PEM, HMAC secret) as a key set, or the reason it is not usable.
pub(crate) fn lone_key(key: PreparedKey, allowed: Option<AlgSet>) -> ParsedKeys {
    let mut skipped = Vec::new();
    let keys = keep_usable(vec![(0, key)], allowed, &mut skipped);
    ParsedKeys {
        keys: keys.into_iter().map(|(_, k)| k).collect(),
        skipped,
    }
}

/// A key of a key set that was not loaded, and why.
///
/// ```
/// use serde_json::json;
/// use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::TestKey};
///
/// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
/// let jwks = json!({"keys": [
///     key.public_jwk(),
///     {"kty": "EC", "crv": "P-521", "kid": "old", "x": "AA", "y": "AA"},
/// ]});
/// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", jwks.to_string())).audience("api").build()?;
/// let skipped = &verifier.status()[0].skipped;
/// assert_eq!((skipped[0].index, skipped[0].kid.as_deref()), (1, Some("old")));
/// assert_eq!(skipped[0].to_string(), r#"key 1 (kid "old"): unsupported EC curve"#);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// The key's position in the set's `keys` array.
    pub index: usize,
    /// The key's `kid`, when it has a readable one.
    pub kid: Option<String>,
    /// Why the key was skipped.
    pub reason: &'static str,
}

impl fmt::Display for SkippedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kid {
            Some(kid) => write!(f, "key {} (kid {kid:?}): {}", self.index, self.reason),
            None => write!(f, "key {}: {}", self.index, self.reason),
        }
    }
}

/// What a key-set parse produced.
#[derive(Debug, Default)]
pub(crate) struct ParsedKeys {
    pub(crate) keys: Vec<PreparedKey>,
    pub(crate) skipped: Vec<SkippedKey>,
}

/// How to read a key set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySetRules {
    /// Accept `oct` (symmetric) keys: only for sets the application itself configured.
    pub(crate) allow_oct: bool,
    /// The most keys read from the set; later ones are skipped.
    pub(crate) max_keys: usize,
    /// The algorithm allow-list (`None`: each key's own `alg`).
    pub(crate) allowed: Option<AlgSet>,
}
