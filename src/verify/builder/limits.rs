//! The builder's size limits and its verified-token cache.

use super::VerifierBuilder;

impl<C> VerifierBuilder<C> {
    /// The longest token accepted, in bytes. Defaults to 16 KiB.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = || Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60, "pad": "x".repeat(300)}));
    /// assert!(token.len() > 400);
    /// assert!(builder().build()?.verify(&token).await.is_ok());
    /// let verifier = builder().max_token_len(400).build()?;
    /// assert_eq!(verifier.verify(&token).await.unwrap_err().code(), "too_large");
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_token_len(mut self, len: usize) -> Self {
        self.max_token_len = len;
        self
    }

    /// The deepest nesting of arrays and objects accepted in a claim set, checked by a scan before
    /// any parsing. Defaults to 16.
    ///
    /// # Example
    ///
    /// ```
    /// # use serde_json::json;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = |x: serde_json::Value| key.token(&json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60, "x": x}));
    /// let verifier = builder.max_claims_depth(2).build()?;
    /// assert!(verifier.verify(&token(json!({"a": 1}))).await.is_ok()); // 2 levels
    /// assert_eq!(verifier.verify(&token(json!([[1]]))).await.unwrap_err().code(), "malformed"); // 3
    /// # Ok(())
    /// # }
    /// ```
    pub fn max_claims_depth(mut self, depth: usize) -> Self {
        self.max_claims_depth = depth;
        self
    }

    /// The most keys read from one key set. Defaults to 100.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier, testing::{TestKey, jwks}};
    ///
    /// # let (a, b) = (TestKey::generate(Algorithm::ES256).with_kid("a"), TestKey::generate(Algorithm::ES256).with_kid("b"));
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::static_keys("https://issuer.example", jwks(&[&a, &b])))
    ///     .audience("api")
    ///     .max_keys(1)
    ///     .build()?;
    /// let status = &verifier.status()[0];
    /// assert_eq!((status.keys, status.skipped.len()), (1, 1)); // key "b" is skipped
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn max_keys(mut self, max: usize) -> Self {
        self.max_keys = max;
        self
    }

    /// The capacity of the verified-token cache, in tokens. Defaults to 10,000; 0 turns the cache
    /// off.
    ///
    /// A token seen before skips only its signature check: time (`exp`, `nbf`, `iat`) is checked
    /// again on every request, an entry never outlives the token's `exp`, and a token whose key a
    /// refresh removed is verified again (and refused). The cache belongs to one verifier, so
    /// every layer that shares it also shares its claim policy. Entries are keyed by the SHA-256 of
    /// the token, never by the token itself.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let verifier = builder.token_cache_capacity(1_000).build()?;
    /// let first = verifier.verify(&token).await?;
    /// let second = verifier.verify(&token).await?;
    /// assert!(Arc::ptr_eq(&first.0, &second.0)); // the same claims, served by the cache
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_cache_capacity(mut self, capacity: u64) -> Self {
        self.token_cache = Some(capacity);
        self
    }

    /// The byte budget of the verified-token cache. Defaults to 32 MiB
    /// ([`DEFAULT_TOKEN_CACHE_BYTES`](crate::DEFAULT_TOKEN_CACHE_BYTES)); 0 turns the cache off.
    ///
    /// Claims can be as large as the token size limit allows (16 KiB by default), so an entry
    /// bound alone would let 10,000 large tokens hold hundreds of MiB. Each entry is weighed at
    /// twice its claims' JSON size (the caller's type and the registered claims) plus 512 bytes,
    /// and at least `budget / capacity`, so the cache holds at most the capacity in tokens and
    /// about the budget in bytes, whichever comes first. Past it, moka evicts (a later request
    /// with an evicted token checks its signature again).
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let verifier = builder.token_cache_capacity(1_000).token_cache_max_bytes(0).build()?;
    /// let first = verifier.verify(&token).await?;
    /// let second = verifier.verify(&token).await?;
    /// assert!(!Arc::ptr_eq(&first.0, &second.0)); // no cache: verified twice
    /// # Ok(())
    /// # }
    /// ```
    pub fn token_cache_max_bytes(mut self, bytes: u64) -> Self {
        self.token_cache_bytes = bytes;
        self
    }

    /// Turns the verified-token cache off: every request checks its signature.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let builder = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api");
    /// # let token = key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "exp": now() + 60}));
    /// let verifier = builder.token_cache_capacity(1_000).disable_token_cache().build()?;
    /// let first = verifier.verify(&token).await?;
    /// let second = verifier.verify(&token).await?;
    /// assert!(!Arc::ptr_eq(&first.0, &second.0)); // verified twice, in full
    /// # Ok(())
    /// # }
    /// ```
    pub fn disable_token_cache(mut self) -> Self {
        self.token_cache = None;
        self
    }
}
