//! [`Issuer`] constructors, one per key source: JWKS URL, JWKS file, discovery, JWKS, HMAC
//! secret, PEM key.

use super::{Issuer, KeySource};

impl Issuer {
    /// An issuer whose keys are the JWKS at `url`, fetched in the background and refreshed
    /// (see [`Refresh`](crate::Refresh) for the refresh model and its defaults).
    ///
    /// The URL must be `https`, or `http` to a loopback host (`127.0.0.0/8`, `[::1]`,
    /// `localhost`), unless [`insecure_allow_http`](Self::insecure_allow_http) is called.
    /// Redirects are followed only within the URL's origin.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tower_jwt_auth::ConfigError> {
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::jwks_url(
    ///         "https://login.example.com/",
    ///         "https://login.example.com/.well-known/jwks.json",
    ///     ))
    ///     .audience("api://orders")
    ///     .build()?; // spawns the refresher: needs a tokio runtime
    /// assert_eq!(verifier.status()[0].iss, "https://login.example.com/");
    /// # Ok(())
    /// # }
    /// ```
    pub fn jwks_url(iss: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(iss, KeySource::JwksUrl(url.into()))
    }

    /// An issuer whose keys are the JWKS file at `path` on the local disk: for air-gapped
    /// deployments, and keys mounted from a Kubernetes Secret or ConfigMap.
    ///
    /// The file is read in the background like a [`jwks_url`](Self::jwks_url) set is fetched:
    /// first when `build()` spawns the refresher, then every 10 seconds ± the jitter
    /// ([`Refresh::interval`](crate::Refresh::interval) sets another period; a failed read is
    /// retried within one), and at once for a token whose `kid` the set lacks (at most once per
    /// cooldown). It is parsed only when its
    /// content changed, key by key with the same rules as a fetched set (symmetric `oct` keys
    /// are skipped: use [`hmac`](Self::hmac) for a secret). The path is opened anew on each read,
    /// following symbolic links, so a file replaced by a rename or a swapped link (as the kubelet
    /// updates mounted secrets) is picked up.
    ///
    /// A file that can't be used — missing, unreadable, not a regular file, larger than
    /// [`max_jwks_bytes`](crate::Refresh::max_jwks_bytes), replaceable by every user of the
    /// machine (writable by all, or in a directory all may write without the sticky bit), not a
    /// JWKS, without a usable key — leaves the last good keys in use up to
    /// [`max_stale`](crate::Refresh::max_stale), and [`status()`](crate::Verifier::status) says
    /// why. Before the first good read, a request waits at most the
    /// [key-wait budget](crate::Refresh::key_wait) (1.5 s), then gets 503 `keys_unavailable`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::TestKey};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// # let dir = std::env::temp_dir().join(format!("tower-jwt-auth-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("jwks.json");
    /// std::fs::write(&path, key.jwks())?;
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::jwks_file("https://issuer.example", &path))
    ///     .audience("api")
    ///     .build()?; // spawns the refresher: needs a tokio runtime
    /// tokio::time::timeout(std::time::Duration::from_secs(5), verifier.ready()).await?;
    /// assert_eq!((verifier.status()[0].keys, verifier.status()[0].last_error.clone()), (1, None));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn jwks_file(iss: impl Into<String>, path: impl AsRef<std::path::Path>) -> Self {
        Self::new(iss, KeySource::JwksFile(path.as_ref().to_owned()))
    }

    /// An issuer whose keys are found by OpenID Connect Discovery: one trailing `/` is stripped
    /// from `iss`, `/.well-known/openid-configuration` appended, and the document's `jwks_uri`
    /// fetched like [`jwks_url`](Self::jwks_url). The document's `issuer` must be byte-equal to
    /// `iss`.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::{JwksServer, TestKey}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// // A loopback provider: its discovery document names itself as `issuer`.
    /// let server = JwksServer::start(&[&key]).await;
    /// let issuer = Issuer::discover(server.base_url());
    /// let verifier = Verifier::builder().issuer(issuer).audience("api").build()?;
    /// verifier.ready().await;
    /// assert_eq!((server.discovery_requests(), verifier.status()[0].keys), (1, 1));
    /// # Ok(())
    /// # }
    /// ```
    pub fn discover(iss: impl Into<String>) -> Self {
        Self::new(iss, KeySource::Discover)
    }

    /// An issuer whose keys are a JWKS document given as JSON (RFC 7517 §5).
    ///
    /// The set is read key by key: a key that can't be used (unknown `kty` or curve, `use: enc`,
    /// RSA under 2048 bits, private members, malformed members) is skipped, and the others work.
    /// `oct` keys are accepted here, since the set comes from the application itself. A key with
    /// an `alg` member is usable only with that algorithm; a key without one only with the
    /// algorithms named in [`algorithms`](crate::VerifierBuilder::algorithms).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::TestKey};
    ///
    /// # let (key, other) = (TestKey::generate(Algorithm::ES256), TestKey::generate(Algorithm::ES256));
    /// # let mut encryption_key = other.public_jwk();
    /// # encryption_key["use"] = "enc".into();
    /// let jwks = serde_json::json!({ "keys": [key.public_jwk(), encryption_key] }).to_string();
    /// let issuer = Issuer::static_keys("https://issuer.example", jwks);
    /// let verifier = Verifier::builder().issuer(issuer).audience("api").build()?;
    /// let status = &verifier.status()[0];
    /// assert_eq!((status.keys, status.skipped.len()), (1, 1)); // the `use: enc` key is skipped
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn static_keys(iss: impl Into<String>, jwks: impl Into<String>) -> Self {
        Self::new(iss, KeySource::Jwks(jwks.into()))
    }

    /// An issuer that signs with a shared HMAC secret (HS256/HS384/HS512).
    ///
    /// Name the algorithm in [`algorithms`](crate::VerifierBuilder::algorithms). `build()` refuses
    /// a secret shorter than the hash of an allowed HS* algorithm: 32, 48 or 64 bytes
    /// (RFC 7518 §3.2).
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, ConfigError, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let build = |issuer: Issuer| Verifier::builder().issuer(issuer).audience("api").algorithms([Algorithm::HS256]).build();
    /// # let token = TestKey::hmac(Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let verifier = build(Issuer::hmac("https://issuer.example", [7u8; 32]))?;
    /// assert!(verifier.verify(&token).await.is_ok());
    /// let short = build(Issuer::hmac("https://issuer.example", b"secret"));
    /// assert!(matches!(short, Err(ConfigError::WeakHmacSecret { min_len: 32, len: 6, .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub fn hmac(iss: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        Self::new(iss, KeySource::Hmac(secret.as_ref().to_vec()))
    }

    /// An issuer with one PEM public key (`-----BEGIN PUBLIC KEY-----`, or
    /// `-----BEGIN RSA PUBLIC KEY-----`): RSA (2048 bits or more), EC P-256/P-384 or Ed25519.
    ///
    /// The key has no `alg` of its own: name its algorithms in
    /// [`algorithms`](crate::VerifierBuilder::algorithms).
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(Algorithm::ES256);
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": now() + 60}));
    /// let pem = key.public_key_pem().unwrap(); // -----BEGIN PUBLIC KEY-----
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::pem("https://issuer.example", pem))
    ///     .audience("api")
    ///     .algorithms([Algorithm::ES256])
    ///     .build()?;
    /// assert_eq!(verifier.verify(&token).await?.sub.as_deref(), Some("alice"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn pem(iss: impl Into<String>, pem: impl AsRef<[u8]>) -> Self {
        Self::new(iss, KeySource::Pem(pem.as_ref().to_vec()))
    }
}
