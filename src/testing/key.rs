//! [`TestKey`]: a signing key for tests, its public JWK, and a token minter.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, RsaKeyPair,
};
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::{alg_name, jwks};
use crate::b64;

mod sign;

#[derive(Clone)]
enum Secret {
    Rsa(Arc<RsaKeyPair>),
    Ec(Arc<EcdsaKeyPair>, &'static str),
    Ed(Arc<Ed25519KeyPair>),
    Hmac(Arc<Vec<u8>>),
}

/// A signing key for tests, with its public JWK.
///
/// Its `Debug` output shows the algorithm and key id, never the key material.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::testing::{TestKey, now};
/// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let key = TestKey::generate(Algorithm::EdDSA).with_kid("k1");
/// let verifier = Verifier::builder()
///     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
///     .audience("api")
///     .build()?;
/// let claims = serde_json::json!({
///     "iss": "https://issuer.example", "aud": "api", "exp": now() + 60,
/// });
/// assert!(verifier.verify(&key.token(&claims)).await.is_ok());
/// let stranger = TestKey::generate(Algorithm::EdDSA).with_kid("k1");
/// let err = verifier.verify(&stranger.token(&claims)).await.unwrap_err();
/// assert_eq!(err.code(), "bad_signature");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TestKey {
    alg: Algorithm,
    kid: Option<String>,
    secret: Secret,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TestKey {
    /// Generates a key for `alg`: RSA 2048 bits for RS*/PS*, P-256 for ES256, P-384 for ES384,
    /// Ed25519 for EdDSA, a random secret of the hash's size for HS*.
    ///
    /// # Panics
    ///
    /// If the system's random source fails.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// assert_eq!(TestKey::generate(Algorithm::ES384).public_jwk()["crv"], "P-384");
    /// assert_eq!(TestKey::generate(Algorithm::HS512).secret().map(<[u8]>::len), Some(64));
    /// ```
    #[must_use]
    pub fn generate(alg: Algorithm) -> Self {
        let secret = match alg {
            Algorithm::ES256 => Secret::Ec(
                Arc::new(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("keygen")),
                "P-256",
            ),
            Algorithm::ES384 => Secret::Ec(
                Arc::new(EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).expect("keygen")),
                "P-384",
            ),
            Algorithm::EdDSA => Secret::Ed(Arc::new(Ed25519KeyPair::generate().expect("keygen"))),
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                let mut bytes = vec![0u8; crate::keys::hmac_min_len(alg)];
                SystemRandom::new().fill(&mut bytes).expect("random bytes");
                Secret::Hmac(Arc::new(bytes))
            }
            _ => Secret::Rsa(Arc::new(
                RsaKeyPair::generate(KeySize::Rsa2048).expect("keygen"),
            )),
        };
        Self {
            alg,
            kid: None,
            secret,
        }
    }

    /// An HMAC key with a given secret (any length: also for keys a verifier must refuse).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).build()?;
    /// # let claims = serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "exp": now() + 60 });
    /// let key = TestKey::hmac(Algorithm::HS256, [7u8; 32]);
    /// assert!(verifier.verify(&key.token(&claims)).await.is_ok());
    /// assert_eq!(TestKey::hmac(Algorithm::HS256, *b"short").secret(), Some(&b"short"[..]));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn hmac(alg: Algorithm, secret: impl Into<Vec<u8>>) -> Self {
        Self {
            alg,
            kid: None,
            secret: Secret::Hmac(Arc::new(secret.into())),
        }
    }

    /// Sets the key id written into the JWK and into token headers.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let key = TestKey::generate(Algorithm::ES256).with_kid("2024-05");
    /// assert_eq!(key.public_jwk()["kid"], "2024-05");
    /// let header = jsonwebtoken::decode_header(&key.token(&serde_json::json!({})))?;
    /// assert_eq!(header.kid.as_deref(), Some("2024-05"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The same key, used with another algorithm of its family (e.g. PS256 with an RS256 key).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::TestKey;
    /// use tower_jwt_auth::{Algorithm, JwsVerifier};
    ///
    /// let rs = TestKey::generate(Algorithm::RS256);
    /// let ps = rs.clone().with_alg(Algorithm::PS256);
    /// let jws = ps.sign_parts(r#"{"alg":"PS256"}"#, b"hello");
    /// let rs_only = JwsVerifier::from_jwks(&rs.jwks(), [Algorithm::RS256])?;
    /// assert!(rs_only.verify(&jws).is_err());
    /// assert!(JwsVerifier::from_jwks(&ps.jwks(), [Algorithm::PS256])?.verify(&jws).is_ok());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_alg(mut self, alg: Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The algorithm.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let key = TestKey::hmac(Algorithm::HS384, [7u8; 48]);
    /// assert_eq!(key.alg(), Algorithm::HS384);
    /// assert_eq!(key.with_alg(Algorithm::HS512).alg(), Algorithm::HS512);
    /// ```
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key id.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let key = TestKey::generate(Algorithm::EdDSA);
    /// assert_eq!(key.kid(), None);
    /// assert_eq!(key.with_kid("k1").kid(), Some("k1"));
    /// ```
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The HMAC secret, for HS* keys.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// assert_eq!(TestKey::hmac(Algorithm::HS256, [7u8; 32]).secret(), Some(&[7u8; 32][..]));
    /// assert_eq!(TestKey::generate(Algorithm::ES256).secret(), None);
    /// ```
    #[must_use]
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Hmac(s) => Some(s),
            _ => None,
        }
    }

    /// The public JWK, with `alg`, `use: sig` and `kid` (if set). HS* keys give an `oct` JWK.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let jwk = TestKey::generate(Algorithm::ES256).with_kid("k1").public_jwk();
    /// assert_eq!([&jwk["kty"], &jwk["crv"]], ["EC", "P-256"]);
    /// assert_eq!([&jwk["alg"], &jwk["use"], &jwk["kid"]], ["ES256", "sig", "k1"]);
    /// assert_eq!(TestKey::hmac(Algorithm::HS256, [7u8; 32]).public_jwk()["kty"], "oct");
    /// ```
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.bare_jwk();
        jwk["alg"] = json!(alg_name(self.alg));
        jwk["use"] = json!("sig");
        if let Some(kid) = &self.kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }

    /// The public JWK with only the key material (no `alg`, `use` or `kid`).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let jwk = TestKey::generate(Algorithm::EdDSA).with_kid("k1").bare_jwk();
    /// let members: Vec<&str> = jwk.as_object().unwrap().keys().map(String::as_str).collect();
    /// assert_eq!(members, ["crv", "kty", "x"]);
    /// ```
    #[must_use]
    pub fn bare_jwk(&self) -> Value {
        match &self.secret {
            Secret::Rsa(kp) => {
                let c = PublicKeyComponents::<Vec<u8>>::from(kp.public_key());
                json!({ "kty": "RSA", "n": b64::encode(&c.n), "e": b64::encode(&c.e) })
            }
            Secret::Ec(kp, crv) => {
                let point = kp.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                json!({
                    "kty": "EC", "crv": crv,
                    "x": b64::encode(&point[1..=half]), "y": b64::encode(&point[1 + half..]),
                })
            }
            Secret::Ed(kp) => {
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64::encode(kp.public_key().as_ref()) })
            }
            Secret::Hmac(s) => json!({ "kty": "oct", "k": b64::encode(s.as_slice()) }),
        }
    }

    /// A JWKS document holding this key's public JWK.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// let doc: serde_json::Value = serde_json::from_str(&key.jwks())?;
    /// assert_eq!(doc["keys"], serde_json::json!([key.public_jwk()]));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn jwks(&self) -> String {
        jwks(&[self])
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), for asymmetric keys.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let claims = serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "exp": now() + 60 });
    /// let key = TestKey::generate(Algorithm::ES256);
    /// let pem = key.public_key_pem().unwrap();
    /// # let verifier = Verifier::builder().issuer(Issuer::pem("https://issuer.example", &pem)).audience("api").algorithms([Algorithm::ES256]).build()?;
    /// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    /// assert!(verifier.verify(&key.token(&claims)).await.is_ok());
    /// assert_eq!(TestKey::hmac(Algorithm::HS256, [7u8; 32]).public_key_pem(), None);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn public_key_pem(&self) -> Option<String> {
        let der: Vec<u8> = match &self.secret {
            Secret::Rsa(kp) => kp.public_key().as_der().ok()?.as_ref().to_vec(),
            Secret::Ec(kp, _) => kp.public_key().as_der().ok()?.as_ref().to_vec(),
            Secret::Ed(kp) => kp.public_key().as_der().ok()?.as_ref().to_vec(),
            Secret::Hmac(_) => return None,
        };
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Some(pem)
    }
}
