//! Verification keys: JWK parsing key by key, PEM keys, HMAC secrets, and the per-issuer key index.
//!
//! A JSON Web Key Set is read member by member: a key this crate can't or won't use (an unknown
//! `kty` or curve, `use: enc`, an RSA modulus under 2048 bits, private key material, a malformed
//! member) is skipped with a reason, and the rest of the set still works.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::b64;
use crate::provider;

/// The most keys a token without `kid` is tried against.
///
/// A token without `kid` is checked against at most this many keys of its algorithm's family, in
/// key-set order, so a kid-less token costs at most this many signature checks.
pub const MAX_KIDLESS_CANDIDATES: usize = 4;

/// The most keys with one `kid` a token is tried against (RFC 7517 lets one kid name keys of
/// different types; a set that repeats a kid more often than this is cut off).
pub(crate) const MAX_KEYS_PER_KID: usize = 4;

/// Longest `kid` accepted, in bytes, in a key set or a token header.
pub(crate) const MAX_KID_LEN: usize = 256;

/// Smallest RSA modulus accepted, in bits (RFC 7518 §3.3 / §3.5).
const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits (bounds the cost of one signature check). The
/// RustCrypto `rsa` crate refuses keys over 4096 bits, so that backend skips them at load
/// instead of failing every signature later.
#[cfg(feature = "aws-lc-rs")]
const MAX_RSA_BITS: usize = 8192;
#[cfg(not(feature = "aws-lc-rs"))]
const MAX_RSA_BITS: usize = 4096;

/// Key type and curve: which algorithms a key can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum KeyFamily {
    Rsa,
    P256,
    P384,
    Ed25519,
    Hmac,
}

impl KeyFamily {
    pub(crate) fn of(alg: Algorithm) -> Option<Self> {
        Some(match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Self::Rsa,
            Algorithm::ES256 => Self::P256,
            Algorithm::ES384 => Self::P384,
            Algorithm::EdDSA => Self::Ed25519,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Self::Hmac,
            _ => return None,
        })
    }
}

/// The minimum HMAC secret length for an algorithm: the size of its hash (RFC 7518 §3.2).
pub(crate) fn hmac_min_len(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS384 => 48,
        Algorithm::HS512 => 64,
        _ => 32,
    }
}

/// Parses an algorithm name exactly as registered (case-sensitive, RFC 7518 §3.1).
pub(crate) fn parse_alg(name: &str) -> Option<Algorithm> {
    name.parse().ok()
}

/// A small set of algorithms (a bit per algorithm).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AlgSet(u16);

impl AlgSet {
    /// Every algorithm the crate verifies: HMAC first, then the asymmetric ones.
    pub(crate) const ALL: [Algorithm; 12] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::EdDSA,
    ];

    fn bit(alg: Algorithm) -> u16 {
        let idx = Self::ALL.iter().position(|a| *a == alg).unwrap_or(15);
        1 << idx
    }

    pub(crate) fn insert(&mut self, alg: Algorithm) {
        self.0 |= Self::bit(alg);
    }

    pub(crate) fn contains(self, alg: Algorithm) -> bool {
        self.0 & Self::bit(alg) != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        Self::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Algorithm> for AlgSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        let mut set = Self::default();
        for alg in iter {
            set.insert(alg);
        }
        set
    }
}

impl fmt::Debug for AlgSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

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
    fn same_key(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }

    /// The same key material of the same family (whatever the `kid` and `alg` members).
    fn same_material(&self, other: &Self) -> bool {
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

fn key_bytes(key: &DecodingKey) -> Vec<u8> {
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

#[derive(Deserialize)]
struct JwksDoc<'a> {
    #[serde(borrow)]
    keys: Vec<&'a RawValue>,
}

/// The members of a JWK this crate reads. Derived, so a duplicate of any of them is an error
/// (serde_json's `Value` would keep the last one silently).
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default, deserialize_with = "crate::de::present")]
    kid: Option<crate::de::Loose<String>>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    k: Option<String>,
    // Private members: their presence makes the key unusable here.
    #[serde(default)]
    d: Option<IgnoredAny>,
    #[serde(default)]
    p: Option<IgnoredAny>,
    #[serde(default)]
    q: Option<IgnoredAny>,
    #[serde(default)]
    dp: Option<IgnoredAny>,
    #[serde(default)]
    dq: Option<IgnoredAny>,
    #[serde(default)]
    qi: Option<IgnoredAny>,
    #[serde(default)]
    oth: Option<IgnoredAny>,
}

/// Just enough of a JWK to report its `kid` when the rest doesn't parse.
#[derive(Deserialize)]
struct KidOnly {
    #[serde(default)]
    kid: Option<String>,
}

/// The `kid` of a JWK for a report, when it is a string of reasonable length.
fn reported_kid(json: &str) -> Option<String> {
    serde_json::from_str::<KidOnly>(json)
        .ok()
        .and_then(|k| k.kid)
        .filter(|k| k.len() <= MAX_KID_LEN)
}

/// Just the `kid` and `kty` of a JWK, read leniently, for a key that did not parse.
#[derive(Deserialize)]
struct KidKty {
    #[serde(default)]
    kid: Option<crate::de::Loose<String>>,
    #[serde(default)]
    kty: Option<crate::de::Loose<String>>,
}

/// Skip reasons of keys declared for something else (or of a kind this crate never verifies
/// with): such a key sharing a signing key's `kid` is no rival to it.
fn declared_for_other_use(reason: &str) -> bool {
    matches!(
        reason,
        "`use` is not `sig`"
            | "`key_ops` does not include `verify`"
            | "unsupported `alg`"
            | "unsupported `kty`"
            | "unsupported EC curve"
            | "unsupported OKP curve"
            | "symmetric (`oct`) key in a public key set"
    )
}

/// The `kty` a key family is published under.
fn kty_of(family: KeyFamily) -> &'static str {
    match family {
        KeyFamily::Rsa => "RSA",
        KeyFamily::P256 | KeyFamily::P384 => "EC",
        KeyFamily::Ed25519 => "OKP",
        KeyFamily::Hmac => "oct",
    }
}

/// Parses a JWKS document (`{"keys": [...]}`) key by key.
///
/// Errors only when the document itself is not a JWKS; bad keys are skipped and reported. In
/// this order:
/// 1. every key is read on its own: one this crate can't or won't use (`use: enc`, `key_ops`
///    without `verify`, an unknown `kty`, private members, a weak RSA key, …) is skipped, and so
///    is one that no allowed algorithm can use;
///    a key that is malformed (rather than declared for another use) still claims its `kid` and
///    `kty` for the next rule: nobody can tell it is not a different signing key;
/// 2. keys that share a `kid` and a key family are one key when their material is the same (a
///    key published once per `alg` is usable with each of those algorithms); when it differs
///    the `kid` is ambiguous and all of them are skipped (RFC 7517 §4.5 lets a kid name keys of
///    *different* types, and those stay usable);
/// 3. `oct` keys in a set that also holds public keys are skipped, so no public key and secret
///    ever sit side by side for an algorithm-confusion attempt.
pub(crate) fn parse_jwks(json: &[u8], rules: KeySetRules) -> Result<ParsedKeys, &'static str> {
    if first_non_ws(json) != Some(b'{') {
        return Err("not a JSON object");
    }
    let doc: JwksDoc<'_> =
        serde_json::from_slice(json).map_err(|_| "not a JSON object with a `keys` array")?;
    let raw_keys = &doc.keys[..doc.keys.len().min(rules.max_keys)];
    let mut skipped = Vec::new();
    let mut keys = Vec::with_capacity(raw_keys.len());
    let mut rivals: Vec<(String, String)> = Vec::new();
    for (index, raw) in raw_keys.iter().enumerate() {
        match parse_jwk(raw.get(), rules) {
            Ok(key) => keys.push((index, key)),
            Err((kid, reason)) => {
                if !declared_for_other_use(reason)
                    && let Ok(KidKty {
                        kid: Some(crate::de::Loose::Ok(kid)),
                        kty: Some(crate::de::Loose::Ok(kty)),
                    }) = serde_json::from_str(raw.get())
                {
                    rivals.push((kid, kty));
                }
                skipped.push(SkippedKey { index, kid, reason });
            }
        }
    }
    if doc.keys.len() > rules.max_keys {
        // One entry for all of them: the report stays as small as the limit.
        skipped.push(SkippedKey {
            index: rules.max_keys,
            kid: None,
            reason: "this and every later key: over the key-count limit",
        });
    }
    let keys = keep_usable(keys, rules.allowed, &mut skipped);
    let mut keys = merge_twins(keys, &rivals, &mut skipped);
    if keys.iter().any(|(_, k)| k.family == KeyFamily::Hmac)
        && keys.iter().any(|(_, k)| k.family != KeyFamily::Hmac)
    {
        let (secrets, public): (Vec<_>, Vec<_>) = keys
            .into_iter()
            .partition(|(_, k)| k.family == KeyFamily::Hmac);
        keys = public;
        skipped.extend(secrets.into_iter().map(|(index, k)| SkippedKey {
            index,
            kid: k.kid.as_deref().map(str::to_owned),
            reason: "symmetric key in a set with public keys",
        }));
    }
    skipped.sort_by_key(|s| s.index);
    Ok(ParsedKeys {
        keys: keys.into_iter().map(|(_, k)| k).collect(),
        skipped,
    })
}

/// Folds the usable keys that share a `kid` (or lack one) and a family: the same material is one
/// key, usable with every algorithm its copies name (any allowed one when a copy names none);
/// different material under one `kid` (or a malformed key of the same `kty` there, one of
/// `rivals`) is ambiguous, and every copy is skipped. Kid-less keys with different material stay
/// apart (each is tried in turn).
fn merge_twins(
    keys: Vec<(usize, PreparedKey)>,
    rivals: &[(String, String)],
    skipped: &mut Vec<SkippedKey>,
) -> Vec<(usize, PreparedKey)> {
    let mut out: Vec<(usize, PreparedKey)> = Vec::with_capacity(keys.len());
    let mut ambiguous: Vec<(Arc<str>, KeyFamily)> = Vec::new();
    for (index, key) in keys {
        let twin = out.iter_mut().find(|(_, k)| {
            k.kid == key.kid && k.family == key.family && (k.kid.is_some() || k.same_material(&key))
        });
        match twin {
            None => out.push((index, key)),
            Some((_, kept)) if kept.same_material(&key) => {
                let algs = match (kept.algs, key.algs) {
                    (Some(mut a), Some(b)) => {
                        a.0 |= b.0;
                        Some(a)
                    }
                    _ => None,
                };
                *kept = PreparedKey::new(
                    kept.kid.clone(),
                    kept.family,
                    algs,
                    kept.key.clone(),
                    kept.secret_len,
                );
            }
            Some((_, kept)) => {
                if let Some(kid) = &kept.kid {
                    ambiguous.push((kid.clone(), kept.family));
                }
                skipped.push(SkippedKey {
                    index,
                    kid: key.kid.as_deref().map(str::to_owned),
                    reason: "kid shared with another key of the same type",
                });
            }
        }
    }
    out.retain(|(index, k)| {
        let shared = k.kid.as_ref().is_some_and(|kid| {
            ambiguous.iter().any(|(a, f)| a == kid && *f == k.family)
                || rivals
                    .iter()
                    .any(|(r, kty)| **r == **kid && kty == kty_of(k.family))
        });
        if shared {
            skipped.push(SkippedKey {
                index: *index,
                kid: k.kid.as_deref().map(str::to_owned),
                reason: "kid shared with another key of the same type",
            });
        }
        !shared
    });
    out
}

fn first_non_ws(bytes: &[u8]) -> Option<u8> {
    bytes
        .iter()
        .copied()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

type SkipReason = (Option<String>, &'static str);

fn parse_jwk(json: &str, rules: KeySetRules) -> Result<PreparedKey, SkipReason> {
    if first_non_ws(json.as_bytes()) != Some(b'{') {
        return Err((None, "not a JSON object"));
    }
    let jwk: RawJwk = match serde_json::from_str(json) {
        Ok(jwk) => jwk,
        Err(_) => {
            let kid = reported_kid(json);
            return Err((kid, "malformed member (wrong type or duplicate)"));
        }
    };
    let kid = match &jwk.kid {
        None => None,
        Some(crate::de::Loose::Ok(kid)) if kid.len() <= MAX_KID_LEN => Some(kid.clone()),
        Some(crate::de::Loose::Ok(_)) => return Err((None, "kid too long")),
        Some(crate::de::Loose::WrongType) => return Err((None, "kid is not a string")),
    };
    let skip = |reason: &'static str| Err((kid.clone(), reason));

    if !matches!(jwk.kty.as_str(), "RSA" | "EC" | "OKP" | "oct") {
        return skip("unsupported `kty`");
    }
    if let Some(u) = &jwk.use_
        && u != "sig"
    {
        return skip("`use` is not `sig`");
    }
    if let Some(ops) = &jwk.key_ops
        && !ops.iter().any(|op| op == "verify")
    {
        return skip("`key_ops` does not include `verify`");
    }
    let alg = match &jwk.alg {
        None => None,
        Some(name) => match parse_alg(name) {
            Some(alg) => Some(alg),
            None => return skip("unsupported `alg`"),
        },
    };
    let has_private = jwk.d.is_some()
        || jwk.p.is_some()
        || jwk.q.is_some()
        || jwk.dp.is_some()
        || jwk.dq.is_some()
        || jwk.qi.is_some()
        || jwk.oth.is_some();
    if has_private {
        return skip("holds private key material");
    }

    let (family, key, secret_len) = match jwk.kty.as_str() {
        "RSA" => {
            let (Some(n), Some(e)) = (&jwk.n, &jwk.e) else {
                return skip("RSA key without `n` or `e`");
            };
            let (Ok(n), Ok(e)) = (b64::decode(n), b64::decode(e)) else {
                return skip("RSA `n` or `e` is not base64url");
            };
            match rsa_key(&n, &e) {
                Ok(key) => (KeyFamily::Rsa, key, 0),
                Err(reason) => return skip(reason),
            }
        }
        "EC" => {
            let (family, size) = match jwk.crv.as_deref() {
                Some("P-256") => (KeyFamily::P256, 32),
                Some("P-384") => (KeyFamily::P384, 48),
                Some(_) => return skip("unsupported EC curve"),
                None => return skip("EC key without `crv`"),
            };
            let (Some(x), Some(y)) = (&jwk.x, &jwk.y) else {
                return skip("EC key without `x` or `y`");
            };
            let (Ok(x), Ok(y)) = (b64::decode(x), b64::decode(y)) else {
                return skip("EC `x` or `y` is not base64url");
            };
            if x.len() != size || y.len() != size {
                return skip("EC coordinates of the wrong length");
            }
            let mut point = Vec::with_capacity(1 + 2 * size);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (family, DecodingKey::from_ec_der(&point), 0)
        }
        "OKP" => {
            if jwk.crv.as_deref() != Some("Ed25519") {
                return skip("unsupported OKP curve");
            }
            let Some(x) = &jwk.x else {
                return skip("OKP key without `x`");
            };
            let Ok(x) = b64::decode(x) else {
                return skip("OKP `x` is not base64url");
            };
            if x.len() != 32 {
                return skip("Ed25519 key of the wrong length");
            }
            (KeyFamily::Ed25519, DecodingKey::from_ed_der(&x), 0)
        }
        "oct" => {
            if !rules.allow_oct {
                return skip("symmetric (`oct`) key in a public key set");
            }
            let Some(k) = &jwk.k else {
                return skip("oct key without `k`");
            };
            let Ok(secret) = b64::decode(k) else {
                return skip("oct `k` is not base64url");
            };
            if secret.len() < 32 {
                return skip("HMAC secret shorter than 32 bytes");
            }
            let len = secret.len();
            (KeyFamily::Hmac, DecodingKey::from_secret(&secret), len)
        }
        _ => return skip("unsupported `kty`"),
    };
    if let Some(alg) = alg {
        if KeyFamily::of(alg) != Some(family) {
            return skip("`alg` does not fit the key type");
        }
        if family == KeyFamily::Hmac && secret_len < hmac_min_len(alg) {
            return skip("HMAC secret shorter than its algorithm's hash");
        }
    }
    Ok(PreparedKey::new(
        kid.map(Arc::from),
        family,
        alg.map(|alg| [alg].into_iter().collect()),
        key,
        secret_len,
    ))
}

/// Builds an RSA key from its modulus and exponent, refusing weak or odd parameters.
pub(crate) fn rsa_key(n: &[u8], e: &[u8]) -> Result<DecodingKey, &'static str> {
    let n = strip_leading_zeros(n);
    let e = strip_leading_zeros(e);
    let bits = bit_len(n);
    if bits < MIN_RSA_BITS {
        return Err("RSA modulus shorter than 2048 bits");
    }
    if bits > MAX_RSA_BITS {
        return Err(
            "RSA modulus longer than this backend verifies (8192 bits, 4096 with rust-crypto)",
        );
    }
    if n.last().is_some_and(|b| b & 1 == 0) {
        return Err("RSA modulus is even");
    }
    if e.is_empty() || e.len() > 4 || e.last().is_some_and(|b| b & 1 == 0) || e == [1] {
        return Err("RSA exponent is not an odd number from 3 to 2^32");
    }
    if has_roca_fingerprint(n) {
        return Err("RSA modulus has the ROCA fingerprint (CVE-2017-15361)");
    }
    Ok(DecodingKey::from_rsa_raw_components(n, e))
}

/// The primes of the ROCA fingerprint test (Nemec et al., CCS 2017; `detect.py` of crocs-muni/roca).
const ROCA_PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// Whether a modulus (big-endian) has the fingerprint of the Infineon key generator
/// (CVE-2017-15361): for every small prime `r`, `n mod r` lies in the subgroup generated by 65537.
/// A random modulus has it with probability about 4e-9.
fn has_roca_fingerprint(n: &[u8]) -> bool {
    fn mod_small(n: &[u8], p: u32) -> u32 {
        n.iter().fold(0u32, |r, &b| (r * 256 + u32::from(b)) % p)
    }
    fn in_subgroup_of_65537(r: u32, p: u32) -> bool {
        let g = 65537 % p;
        let mut x = 1u32;
        loop {
            if x == r {
                return true;
            }
            x = x * g % p;
            if x == 1 {
                return false;
            }
        }
    }
    ROCA_PRIMES
        .iter()
        .all(|&p| in_subgroup_of_65537(mod_small(n, p), p))
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_len(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

/// Reads a PEM public key (RSA, EC P-256/P-384 or Ed25519).
pub(crate) fn parse_pem(pem: &[u8]) -> Result<PreparedKey, &'static str> {
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        let der = key.try_get_as_bytes().map_err(|_| "unreadable RSA key")?;
        let (n, e) = (provider().key_utils.rsa_pub_components_from_public_key)(der)
            .map_err(|_| "unreadable RSA key")?;
        let key = rsa_key(&n, &e)?;
        return Ok(PreparedKey::new(None, KeyFamily::Rsa, None, key, 0));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        let point = key.try_get_as_bytes().map_err(|_| "unreadable EC key")?;
        let family = match point.len() {
            65 if point[0] == 4 => KeyFamily::P256,
            97 if point[0] == 4 => KeyFamily::P384,
            _ => return Err("EC key is not an uncompressed P-256 or P-384 point"),
        };
        return Ok(PreparedKey::new(None, family, None, key, 0));
    }
    if let Ok(key) = DecodingKey::from_ed_pem(pem) {
        if key.try_get_as_bytes().map(<[u8]>::len) != Ok(32) {
            return Err("not an Ed25519 key");
        }
        return Ok(PreparedKey::new(None, KeyFamily::Ed25519, None, key, 0));
    }
    Err("not a PEM public key of a supported type (RSA, EC P-256/P-384, Ed25519)")
}

/// One issuer's keys: an index by `kid` (moka) plus the whole list for kid-less tokens.
///
/// Reads never await and take no contended lock: moka's read path and an `ArcSwap` load. A
/// refresh keeps the identity of every key that stays (the same `Arc`), gives a new identity to
/// every key that arrives or changes, and bumps [`generation`](Self::generation) whenever what a
/// lookup can return changed.
pub(crate) struct KeyStore {
    max_keys: usize,
    /// Unbounded on purpose: a set holds at most `max_keys` keys, and an index with a size bound
    /// could evict (or refuse to admit) a live key.
    by_kid: moka::sync::Cache<Arc<str>, Arc<[Arc<PreparedKey>]>>,
    all: ArcSwap<Vec<Arc<PreparedKey>>>,
    /// The keys without a `kid`: they may verify a token whatever its `kid`.
    kidless: ArcSwap<Vec<Arc<PreparedKey>>>,
    skipped: ArcSwap<Vec<SkippedKey>>,
    generation: AtomicU64,
}

impl fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStore")
            .field("keys", &self.all.load().len())
            .field("skipped", &self.skipped.load().len())
            .finish()
    }
}

/// The keys a token with a given `kid` (or none) may be checked against, in order.
pub(crate) enum Candidates {
    /// The keys the index holds under the token's `kid`.
    Indexed(Arc<[Arc<PreparedKey>]>),
    /// The token names a `kid` the index lacks: the keys without a `kid`.
    Kidless(arc_swap::Guard<Arc<Vec<Arc<PreparedKey>>>>),
    /// The token names no `kid`: every key.
    Any(arc_swap::Guard<Arc<Vec<Arc<PreparedKey>>>>),
}

impl Candidates {
    /// The keys usable with `alg`, as many as may be tried.
    pub(crate) fn usable(
        &self,
        alg: Algorithm,
        allowed: Option<AlgSet>,
    ) -> impl Iterator<Item = &Arc<PreparedKey>> {
        let (keys, limit): (&[Arc<PreparedKey>], usize) = match self {
            Self::Indexed(keys) => (keys, MAX_KEYS_PER_KID),
            Self::Kidless(keys) | Self::Any(keys) => (keys, MAX_KIDLESS_CANDIDATES),
        };
        keys.iter()
            .filter(move |k| k.usable_with(alg, allowed))
            .take(limit)
    }

    /// Whether the index holds the token's `kid`.
    pub(crate) fn indexed(&self) -> bool {
        matches!(self, Self::Indexed(_))
    }
}

impl KeyStore {
    /// A store for at most `max_keys` keys.
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            max_keys,
            by_kid: moka::sync::Cache::builder().build(),
            all: ArcSwap::from_pointee(Vec::new()),
            kidless: ArcSwap::from_pointee(Vec::new()),
            skipped: ArcSwap::from_pointee(Vec::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The most keys a set may bring.
    pub(crate) fn max_keys(&self) -> usize {
        self.max_keys
    }

    /// Bumped after every refresh that changed what a lookup can return; read it *before* a
    /// lookup whose result is remembered, and compare later.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Replaces the key set, as a diff: keys that stay keep their identity and are never
    /// missing from the index. Returns how many kids were added or changed, and how many left.
    pub(crate) fn replace(&self, parsed: ParsedKeys) -> (usize, usize) {
        let old = self.all.load_full();
        let keys: Vec<Arc<PreparedKey>> = parsed
            .keys
            .into_iter()
            .map(|key| {
                old.iter()
                    .find(|k| k.same_key(&key))
                    .map_or_else(|| Arc::new(key), Arc::clone)
            })
            .collect();
        let mut grouped: HashMap<Arc<str>, Vec<Arc<PreparedKey>>> = HashMap::new();
        for key in &keys {
            if let Some(kid) = &key.kid {
                let group = grouped.entry(kid.clone()).or_default();
                if group.len() < MAX_KEYS_PER_KID {
                    group.push(key.clone());
                }
            }
        }
        // Insert new and changed groups first, then drop the kids that left.
        let mut added = 0;
        for (kid, group) in &grouped {
            let same = self.by_kid.get(kid).is_some_and(|current| {
                current.len() == group.len()
                    && current.iter().zip(group).all(|(a, b)| Arc::ptr_eq(a, b))
            });
            if !same {
                self.by_kid.insert(kid.clone(), Arc::from(group.as_slice()));
                added += 1;
            }
        }
        let unchanged =
            old.len() == keys.len() && old.iter().zip(&keys).all(|(a, b)| Arc::ptr_eq(a, b));
        let kidless: Vec<_> = keys.iter().filter(|k| k.kid.is_none()).cloned().collect();
        self.kidless.store(Arc::new(kidless));
        self.all.store(Arc::new(keys));
        let mut removed = 0;
        for key in old.iter() {
            if let Some(kid) = &key.kid
                && !grouped.contains_key(kid)
                && self.by_kid.remove(kid).is_some()
            {
                removed += 1;
            }
        }
        self.skipped.store(Arc::new(parsed.skipped));
        if !unchanged || added > 0 || removed > 0 {
            self.generation.fetch_add(1, Ordering::Release);
        }
        (added, removed)
    }

    /// The keys currently loaded.
    pub(crate) fn len(&self) -> usize {
        self.all.load().len()
    }

    /// The keys the last load skipped.
    pub(crate) fn skipped(&self) -> Arc<Vec<SkippedKey>> {
        self.skipped.load_full()
    }

    /// The keys a token naming `kid` (or none) may be checked against.
    pub(crate) fn candidates(&self, kid: Option<&str>) -> Candidates {
        match kid {
            None => Candidates::Any(self.all.load()),
            Some(kid) => match self.by_kid.get(kid) {
                Some(keys) => Candidates::Indexed(keys),
                // Keys without a `kid` (an HMAC secret, a PEM key) may sign tokens that name one.
                None => Candidates::Kidless(self.kidless.load()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: AlgSet = AlgSet(0x0fff);
    const RULES: KeySetRules = KeySetRules {
        allow_oct: false,
        max_keys: 100,
        allowed: Some(ALL),
    };

    #[test]
    fn jwks_with_unusable_members_keeps_the_good_ones() {
        let jwks = br#"{"keys":[
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"good"},
            {"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA","kid":"pq"},
            {"kty":"EC","crv":"P-521","x":"AA","y":"AA","kid":"p521"},
            {"kty":"EC","crv":"secp256k1","x":"AA","y":"AA","kid":"k1"},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":7},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"x5c","x5c":"notarray"},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"},
            {"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"},
            "not an object"
        ]}"#;
        let parsed = parse_jwks(jwks, RULES).unwrap();
        let kids: Vec<_> = parsed.keys.iter().map(|k| k.kid.as_deref()).collect();
        assert_eq!(kids, vec![Some("good"), Some("x5c")]);
        assert_eq!(parsed.skipped.len(), 7);
        assert!(
            parsed
                .skipped
                .iter()
                .any(|s| s.reason == "unsupported `kty`")
        );
        assert!(
            parsed
                .skipped
                .iter()
                .any(|s| s.reason == "unsupported EC curve")
        );
    }

    #[test]
    fn a_null_or_numeric_kid_skips_the_key() {
        let jwks = br#"{"keys":[
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":null},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":5}]}"#;
        let parsed = parse_jwks(jwks, RULES).unwrap();
        assert!(parsed.keys.is_empty());
        assert_eq!(parsed.skipped.len(), 2);
    }

    #[test]
    fn keys_over_the_limit_are_reported_once() {
        let one =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let many = vec![one; 1000].join(",");
        let rules = KeySetRules {
            max_keys: 3,
            ..RULES
        };
        let parsed = parse_jwks(format!(r#"{{"keys":[{many}]}}"#).as_bytes(), rules).unwrap();
        assert!(parsed.keys.len() + parsed.skipped.len() <= 4);
        assert_eq!(parsed.skipped.last().unwrap().index, 3);
    }

    #[test]
    fn not_a_jwks_is_an_error() {
        assert!(parse_jwks(b"[]", RULES).is_err());
        assert!(parse_jwks(b"{}", RULES).is_err());
        assert!(parse_jwks(br#"{"keys":[],"keys":[]}"#, RULES).is_err());
    }

    #[test]
    fn duplicate_member_in_a_jwk_skips_that_key() {
        let jwks = br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"AAAA"}]}"#;
        let parsed = parse_jwks(jwks, RULES).unwrap();
        assert!(parsed.keys.is_empty());
        assert_eq!(parsed.skipped.len(), 1);
    }

    #[test]
    fn rsa_parameters_are_vetted() {
        let n = [0xffu8; 256];
        assert!(rsa_key(&n, &[1, 0, 1]).is_ok());
        assert!(rsa_key(&n[..128], &[1, 0, 1]).is_err(), "1024-bit modulus");
        assert!(rsa_key(&n, &[1]).is_err(), "e = 1");
        assert!(rsa_key(&n, &[2]).is_err(), "even e");
        let mut even = n;
        even[255] = 0xfe;
        assert!(rsa_key(&even, &[1, 0, 1]).is_err(), "even modulus");
    }

    #[test]
    fn a_kid_shared_by_two_keys_of_one_type_is_ambiguous() {
        let a = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"}"#;
        let b = r#"{"kty":"OKP","crv":"Ed25519","x":"AAqYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k"}"#;
        let ec = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"k"}"#;
        let parsed = parse_jwks(format!(r#"{{"keys":[{a},{b}]}}"#).as_bytes(), RULES).unwrap();
        assert!(parsed.keys.is_empty());
        let parsed = parse_jwks(format!(r#"{{"keys":[{a},{a}]}}"#).as_bytes(), RULES).unwrap();
        assert_eq!(parsed.keys.len(), 1, "an exact repeat keeps one copy");
        let parsed = parse_jwks(format!(r#"{{"keys":[{a},{ec}]}}"#).as_bytes(), RULES).unwrap();
        assert_eq!(
            parsed.keys.len(),
            2,
            "one kid on keys of different types is fine"
        );
    }

    #[test]
    fn secrets_beside_public_keys_are_skipped() {
        let rules = KeySetRules {
            allow_oct: true,
            ..RULES
        };
        let jwks = br#"{"keys":[
            {"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI","kid":"s"},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"p"}]}"#;
        let parsed = parse_jwks(jwks, rules).unwrap();
        assert_eq!(parsed.keys.len(), 1);
        assert_eq!(parsed.keys[0].family, KeyFamily::Ed25519);
    }

    #[test]
    fn rsa_material_is_read_unambiguously() {
        let n = [0xab; 256];
        let mut longer = n.to_vec();
        longer.push(1);
        let a = DecodingKey::from_rsa_raw_components(&n, &[1, 3]);
        let b = DecodingKey::from_rsa_raw_components(&longer, &[3]);
        assert_ne!(key_bytes(&a), key_bytes(&b));
    }

    #[test]
    fn roca_fingerprint_is_detected() {
        // Residues of a fingerprinted modulus are what matters; build one by CRT-free search:
        // 65537^k mod every prime is in the subgroup by construction, so n = 65537 itself passes.
        assert!(has_roca_fingerprint(&[0x01, 0x00, 0x01]));
        assert!(!has_roca_fingerprint(&[0x01, 0x00, 0x03]));
        assert!(!has_roca_fingerprint(&[0xff; 256]));
    }

    #[test]
    fn alg_set_is_exact() {
        let set: AlgSet = [Algorithm::RS256, Algorithm::EdDSA].into_iter().collect();
        assert!(set.contains(Algorithm::RS256));
        assert!(!set.contains(Algorithm::RS384));
        assert_eq!(set.iter().count(), 2);
        assert_eq!(parse_alg("rs256"), None);
        assert_eq!(parse_alg("none"), None);
        assert_eq!(parse_alg("EdDSA"), Some(Algorithm::EdDSA));
    }
}
