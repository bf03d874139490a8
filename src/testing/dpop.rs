//! [`DpopProof`]: DPoP proofs for tests, well-formed or broken in any one way.

use serde_json::{Value, json};

use super::{TestKey, alg_name, now};

/// A DPoP proof (RFC 9449 §4.2) signed by a client key: `typ` `dpop+jwt`, the key's public JWK
/// in the header, `jti` (random), `htm`, `htu`, `iat` (now) and, once given the token, `ath`.
/// Every member can be changed or removed to test a check.
///
/// ```
/// use tower_jwt_auth::Algorithm;
/// use tower_jwt_auth::testing::{DpopProof, TestKey};
///
/// let client = TestKey::generate(Algorithm::ES256);
/// let proof = DpopProof::new(&client, "POST", "https://api.example/orders")
///     .access_token("eyJ.eyJ.sig")
///     .nonce("n-1");
/// assert_eq!(proof.claims()["htm"], "POST");
/// assert_eq!(proof.header()["typ"], "dpop+jwt");
/// let broken = proof.clone().claim("htm", "GET").remove_claim("ath").sign();
/// assert_eq!(broken.split('.').count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct DpopProof<'k> {
    key: &'k TestKey,
    header: Value,
    claims: Value,
}

impl<'k> DpopProof<'k> {
    /// A proof by `key` for a request of `method` to `url` (the `htu`), issued now.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey, now}};
    /// let client = TestKey::generate(Algorithm::EdDSA);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me");
    /// assert_eq!(proof.header()["jwk"], client.bare_jwk());
    /// assert!((proof.claims()["iat"].as_i64().unwrap() - now()).abs() <= 1);
    /// ```
    #[must_use]
    pub fn new(key: &'k TestKey, method: &str, url: &str) -> Self {
        let header =
            json!({ "typ": "dpop+jwt", "alg": alg_name(key.alg()), "jwk": key.bare_jwk() });
        let claims = json!({
            "jti": random_jti(),
            "htm": method,
            "htu": url,
            "iat": now(),
        });
        Self {
            key,
            header,
            claims,
        }
    }

    /// Sets `ath` to the hash of `token` (RFC 9449 §4.2).
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").access_token("a.b.c");
    /// assert_eq!(proof.claims()["ath"].as_str().unwrap().len(), 43);
    /// ```
    #[must_use]
    pub fn access_token(self, token: &str) -> Self {
        let ath = crate::b64::encode(super::sha256(token.as_bytes()));
        self.claim("ath", ath)
    }

    /// Sets the server nonce.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").nonce("abc");
    /// assert_eq!(proof.claims()["nonce"], "abc");
    /// ```
    #[must_use]
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", nonce)
    }

    /// Sets (or replaces) a claim: `jti`, `iat`, `htm`, `htu`, or anything else.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").claim("jti", "fixed");
    /// assert_eq!(proof.claims()["jti"], "fixed");
    /// ```
    #[must_use]
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims[name] = value.into();
        self
    }

    /// Removes a claim.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").remove_claim("jti");
    /// assert!(proof.claims().get("jti").is_none());
    /// ```
    #[must_use]
    pub fn remove_claim(mut self, name: &str) -> Self {
        if let Some(claims) = self.claims.as_object_mut() {
            claims.remove(name);
        }
        self
    }

    /// Sets (or replaces) a header member: `typ`, `alg`, `jwk`, …
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").header_member("typ", "JWT");
    /// assert_eq!(proof.header()["typ"], "JWT");
    /// ```
    #[must_use]
    pub fn header_member(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header[name] = value.into();
        self
    }

    /// Removes a header member.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").remove_header_member("jwk");
    /// assert!(proof.header().get("jwk").is_none());
    /// ```
    #[must_use]
    pub fn remove_header_member(mut self, name: &str) -> Self {
        if let Some(header) = self.header.as_object_mut() {
            header.remove(name);
        }
        self
    }

    /// The header as it stands.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// assert_eq!(DpopProof::new(&client, "GET", "https://api.example/me").header()["alg"], "ES256");
    /// ```
    #[must_use]
    pub fn header(&self) -> &Value {
        &self.header
    }

    /// The claims as they stand.
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// assert_eq!(DpopProof::new(&client, "GET", "https://api.example/me").claims()["htu"], "https://api.example/me");
    /// ```
    #[must_use]
    pub fn claims(&self) -> &Value {
        &self.claims
    }

    /// The compact proof, signed with the key's algorithm (whatever the header's `alg` says).
    ///
    /// ```
    /// # use tower_jwt_auth::{Algorithm, testing::{DpopProof, TestKey}};
    /// # let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "GET", "https://api.example/me").sign();
    /// assert_eq!(jsonwebtoken::decode_header(&proof)?.typ.as_deref(), Some("dpop+jwt"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign(&self) -> String {
        self.key.sign(&self.header, &self.claims)
    }
}

/// A random `jti`: 16 bytes from the system's generator, base64url.
fn random_jti() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .unwrap_or_else(|_| unreachable!("the system RNG fails only at boot"));
    crate::b64::encode(bytes)
}

impl TestKey {
    /// The RFC 7638 SHA-256 thumbprint of the public key, base64url: what a DPoP-bound token's
    /// `cnf.jkt` holds.
    ///
    /// ```
    /// use tower_jwt_auth::{Algorithm, testing::TestKey};
    ///
    /// let client = TestKey::generate(Algorithm::ES256);
    /// assert_eq!(client.thumbprint().len(), 43);
    /// assert_eq!(client.thumbprint(), client.clone().with_kid("k9").thumbprint());
    /// ```
    #[must_use]
    pub fn thumbprint(&self) -> String {
        crate::dpop::jwk_thumbprint(&self.bare_jwk().to_string()).unwrap_or_default()
    }
}
