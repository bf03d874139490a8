//! [`TestKey`]'s token minter: well-formed tokens, and tokens with any header or payload.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384,
    RSA_PSS_SHA512, RsaEncoding,
};
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::{Secret, TestKey};
use crate::b64;
use crate::testing::alg_name;

fn rsa_padding(alg: Algorithm) -> &'static dyn RsaEncoding {
    match alg {
        Algorithm::RS384 => &RSA_PKCS1_SHA384,
        Algorithm::RS512 => &RSA_PKCS1_SHA512,
        Algorithm::PS256 => &RSA_PSS_SHA256,
        Algorithm::PS384 => &RSA_PSS_SHA384,
        Algorithm::PS512 => &RSA_PSS_SHA512,
        _ => &RSA_PKCS1_SHA256,
    }
}

impl TestKey {
    /// A token for `claims`, with the header `{"alg", "typ": "JWT", "kid"}`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// # let verifier = Verifier::builder().issuer(Issuer::static_keys("https://issuer.example", key.jwks())).audience("api").build()?;
    /// let token = key.token(&serde_json::json!({
    ///     "iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": now() + 60,
    /// }));
    /// let header = jsonwebtoken::decode_header(&token)?;
    /// assert_eq!((header.alg, header.kid.as_deref()), (Algorithm::ES256, Some("k1")));
    /// assert_eq!(verifier.verify(&token).await?.sub.as_deref(), Some("alice"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn token(&self, claims: &Value) -> String {
        let mut header = json!({ "alg": alg_name(self.alg), "typ": "JWT" });
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        self.sign(&header, claims)
    }

    /// A token with exactly this header and these claims, signed with this key's algorithm
    /// (whatever the header's `alg` says).
    ///
    /// # Example
    ///
    /// A validly signed token whose header carries `crit`, which a verifier must refuse:
    ///
    /// ```
    /// use serde_json::json;
    /// use tower_jwt_auth::testing::{TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let key = TestKey::hmac(Algorithm::HS256, [7u8; 32]);
    /// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).build()?;
    /// # let claims = json!({ "iss": "https://issuer.example", "aud": "api", "exp": now() + 60 });
    /// let token = key.sign(&json!({ "alg": "HS256", "crit": ["exp"], "exp": 0 }), &claims);
    /// let err = verifier.verify(&token).await.unwrap_err();
    /// assert_eq!(err.code(), "unsupported_header");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_parts(&header.to_string(), claims.to_string().as_bytes())
    }

    /// A token whose header and payload are these exact bytes (base64url-encoded here).
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::TestKey;
    /// use tower_jwt_auth::{Algorithm, JwsVerifier};
    ///
    /// let key = TestKey::generate(Algorithm::EdDSA);
    /// let jws = key.sign_parts(r#"{"alg":"EdDSA"}"#, b"not JSON at all");
    /// let verified = JwsVerifier::from_jwks(&key.jwks(), [Algorithm::EdDSA])?.verify(&jws)?;
    /// assert_eq!(verified.payload(), b"not JSON at all");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sign_parts(&self, header_json: &str, payload: &[u8]) -> String {
        let signing_input = format!("{}.{}", b64::encode(header_json), b64::encode(payload));
        let signature = self.signature(signing_input.as_bytes());
        format!("{signing_input}.{}", b64::encode(signature))
    }

    /// The raw signature of `message`.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs fails to sign.
    ///
    /// # Example
    ///
    /// A token's last segment is the signature of the two before it:
    ///
    /// ```
    /// use base64::Engine as _;
    /// use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::TestKey;
    ///
    /// let key = TestKey::hmac(Algorithm::HS384, [7u8; 48]);
    /// let token = key.token(&serde_json::json!({ "sub": "alice" }));
    /// let (input, signature) = token.rsplit_once('.').unwrap();
    /// assert_eq!(URL_SAFE_NO_PAD.decode(signature)?, key.signature(input.as_bytes()));
    /// assert_eq!(key.signature(b"x").len(), 48);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn signature(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.secret {
            Secret::Rsa(kp) => {
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(rsa_padding(self.alg), &rng, message, &mut sig)
                    .expect("RSA signing");
                sig
            }
            Secret::Ec(kp, _) => kp
                .sign(&rng, message)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            Secret::Ed(kp) => kp.sign(message).as_ref().to_vec(),
            Secret::Hmac(secret) => {
                let alg = match self.alg {
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    Algorithm::HS512 => hmac::HMAC_SHA512,
                    _ => hmac::HMAC_SHA256,
                };
                hmac::sign(&hmac::Key::new(alg, secret), message)
                    .as_ref()
                    .to_vec()
            }
        }
    }
}
