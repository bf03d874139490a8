//! [`TestKey`]: a signing key for tests, its public JWK, and a token minter.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256,
    RSA_PSS_SHA384, RSA_PSS_SHA512, RsaEncoding, RsaKeyPair,
};
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::{alg_name, jwks};
use crate::b64;

#[derive(Clone)]
enum Secret {
    Rsa(Arc<RsaKeyPair>),
    Ec(Arc<EcdsaKeyPair>, &'static str),
    Ed(Arc<Ed25519KeyPair>),
    Hmac(Arc<Vec<u8>>),
}

/// A signing key for tests, with its public JWK.
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
    /// Generates a key for `alg`: RSA 2048 bits for RS*/PS*, P-256 for ES256, P-384 for ES384,
    /// Ed25519 for EdDSA, a random secret of the hash's size for HS*.
    ///
    /// # Panics
    ///
    /// If the system's random source fails.
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
    #[must_use]
    pub fn hmac(alg: Algorithm, secret: impl Into<Vec<u8>>) -> Self {
        Self {
            alg,
            kid: None,
            secret: Secret::Hmac(Arc::new(secret.into())),
        }
    }

    /// Sets the key id written into the JWK and into token headers.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The same key, used with another algorithm of its family (e.g. PS256 with an RS256 key).
    #[must_use]
    pub fn with_alg(mut self, alg: Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key id.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The HMAC secret, for HS* keys.
    #[must_use]
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Hmac(s) => Some(s),
            _ => None,
        }
    }

    /// The public JWK, with `alg`, `use: sig` and `kid` (if set). HS* keys give an `oct` JWK.
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
    #[must_use]
    pub fn jwks(&self) -> String {
        jwks(&[self])
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), for asymmetric keys.
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

    /// A token for `claims`, with the header `{"alg", "typ": "JWT", "kid"}`.
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
    #[must_use]
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_parts(&header.to_string(), claims.to_string().as_bytes())
    }

    /// A token whose header and payload are these exact bytes (base64url-encoded here).
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
