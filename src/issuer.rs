//! Trusted issuers: an exact `iss` and where its keys come from.

use std::fmt;

/// A trusted token issuer: its exact `iss` value and where its verification keys come from.
///
/// Add one or more to a builder with [`JwtAuthBuilder::issuer`](crate::JwtAuthBuilder::issuer).
/// A token is checked only against the keys of the issuer its `iss` names, byte for byte.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::Issuer;
///
/// let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k1",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
/// let issuer = Issuer::static_keys("https://login.example.com/", jwks)
///     .audience("api://orders"); // overrides the layer-wide audience for this issuer
/// # let _ = issuer;
/// ```
#[derive(Clone)]
pub struct Issuer {
    pub(crate) iss: String,
    pub(crate) keys: KeySource,
    pub(crate) audience: Option<Vec<String>>,
}

#[derive(Clone)]
pub(crate) enum KeySource {
    Jwks(String),
    Hmac(Vec<u8>),
    Pem(Vec<u8>),
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.keys {
            KeySource::Jwks(_) => "static JWKS",
            KeySource::Hmac(_) => "HMAC secret <redacted>",
            KeySource::Pem(_) => "PEM public key",
        };
        f.debug_struct("Issuer")
            .field("iss", &self.iss)
            .field("keys", &keys)
            .field("audience", &self.audience)
            .finish()
    }
}

impl Issuer {
    fn new(iss: impl Into<String>, keys: KeySource) -> Self {
        Self {
            iss: iss.into(),
            keys,
            audience: None,
        }
    }

    /// An issuer whose keys are a JWKS document given as JSON (RFC 7517 §5).
    ///
    /// The set is read key by key: a key that can't be used (unknown `kty` or curve, `use: enc`,
    /// RSA under 2048 bits, private members, malformed members) is skipped, and the others work.
    /// `oct` keys are accepted here, since the set comes from the application itself. A key with
    /// an `alg` member is usable only with that algorithm; a key without one only with the
    /// algorithms named in [`algorithms`](crate::JwtAuthBuilder::algorithms).
    pub fn static_keys(iss: impl Into<String>, jwks: impl Into<String>) -> Self {
        Self::new(iss, KeySource::Jwks(jwks.into()))
    }

    /// An issuer that signs with a shared HMAC secret (HS256/HS384/HS512).
    ///
    /// Name the algorithm in [`algorithms`](crate::JwtAuthBuilder::algorithms). `build()` refuses
    /// a secret shorter than the hash of an allowed HS* algorithm: 32, 48 or 64 bytes
    /// (RFC 7518 §3.2).
    pub fn hmac(iss: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        Self::new(iss, KeySource::Hmac(secret.as_ref().to_vec()))
    }

    /// An issuer with one PEM public key (`-----BEGIN PUBLIC KEY-----`, or
    /// `-----BEGIN RSA PUBLIC KEY-----`): RSA (2048 bits or more), EC P-256/P-384 or Ed25519.
    ///
    /// The key has no `alg` of its own: name its algorithms in
    /// [`algorithms`](crate::JwtAuthBuilder::algorithms).
    pub fn pem(iss: impl Into<String>, pem: impl AsRef<[u8]>) -> Self {
        Self::new(iss, KeySource::Pem(pem.as_ref().to_vec()))
    }

    /// Accepts these audiences for this issuer's tokens instead of the layer-wide ones.
    ///
    /// Call it several times to accept several audiences.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience
            .get_or_insert_with(Vec::new)
            .push(audience.into());
        self
    }

    /// The issuer identifier, compared byte for byte with a token's `iss`.
    #[must_use]
    pub fn iss(&self) -> &str {
        &self.iss
    }
}
