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
    pub(crate) allow_http: bool,
}

#[derive(Clone)]
pub(crate) enum KeySource {
    Jwks(String),
    Hmac(Vec<u8>),
    Pem(Vec<u8>),
    /// A JWKS URL, fetched and refreshed in the background.
    JwksUrl(String),
    /// OIDC discovery from the issuer identifier.
    Discover,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.keys {
            KeySource::Jwks(_) => "static JWKS",
            KeySource::Hmac(_) => "HMAC secret <redacted>",
            KeySource::Pem(_) => "PEM public key",
            KeySource::JwksUrl(_) => "remote JWKS",
            KeySource::Discover => "OIDC discovery",
        };
        f.debug_struct("Issuer")
            .field("iss", &self.iss)
            .field("keys", &keys)
            .field("audience", &self.audience)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl Issuer {
    fn new(iss: impl Into<String>, keys: KeySource) -> Self {
        Self {
            iss: iss.into(),
            keys,
            audience: None,
            allow_http: false,
        }
    }

    /// An issuer whose keys are the JWKS at `url`, fetched in the background and refreshed
    /// (see [`jwks`](crate::jwks) for the refresh model and its defaults).
    ///
    /// The URL must be `https`, or `http` to a loopback host (`127.0.0.0/8`, `[::1]`,
    /// `localhost`), unless [`insecure_allow_http`](Self::insecure_allow_http) is called.
    /// Redirects are followed only within the URL's origin.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use tower_jwt_auth::{Issuer, JwtAuthLayer, RegisteredClaims};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tower_jwt_auth::ConfigError> {
    /// let auth = JwtAuthLayer::<RegisteredClaims>::builder()
    ///     .issuer(Issuer::jwks_url(
    ///         "https://login.example.com/",
    ///         "https://login.example.com/.well-known/jwks.json",
    ///     ))
    ///     .audience("api://orders")
    ///     .build()?; // spawns the refresher: needs a tokio runtime
    /// # Ok(())
    /// # }
    /// ```
    pub fn jwks_url(iss: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(iss, KeySource::JwksUrl(url.into()))
    }

    /// An issuer whose keys are found by OpenID Connect Discovery: one trailing `/` is stripped
    /// from `iss`, `/.well-known/openid-configuration` appended, and the document's `jwks_uri`
    /// fetched like [`jwks_url`](Self::jwks_url). The document's `issuer` must be byte-equal to
    /// `iss`.
    pub fn discover(iss: impl Into<String>) -> Self {
        Self::new(iss, KeySource::Discover)
    }

    /// Allows plain `http` URLs for this issuer's key set and discovery document, to any host.
    ///
    /// Dangerous: anyone on the network path can then replace the keys and mint tokens. Plain
    /// http to a loopback address is allowed without this.
    #[must_use]
    pub fn insecure_allow_http(mut self) -> Self {
        self.allow_http = true;
        self
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
