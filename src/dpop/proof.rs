//! The checks of one DPoP proof (RFC 9449 §4.3): header, key, claims, nonce, signature.

use std::sync::LazyLock;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::Dpop;
use super::nonce::NonceCheck;
use super::thumbprint::jwk_thumbprint;
use crate::de::{Loose, is_json_object, json_depth, present};
use crate::error::{AuthError, AuthErrorKind, JsonError};
use crate::keys::{KeySetRules, parse_jwk};
use crate::verify::jws::{self, TypPolicy};

/// The `typ` a proof must carry (`dpop+jwt`), built once for the process.
static PROOF_TYP: LazyLock<TypPolicy> = LazyLock::new(|| TypPolicy {
    allow_absent: false,
    accepted: vec!["dpop+jwt".to_owned()],
});

/// The longest `jti` a proof may carry, in bytes.
const MAX_JTI_LEN: usize = 256;

/// The proof claims this crate reads. Derived, so a duplicate member is refused.
#[derive(Deserialize)]
struct RawProof {
    #[serde(default, deserialize_with = "present")]
    jti: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    htm: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    htu: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    iat: Option<Loose<f64>>,
    #[serde(default, deserialize_with = "present")]
    ath: Option<Loose<String>>,
    #[serde(default, deserialize_with = "present")]
    nonce: Option<Loose<String>>,
}

/// The request a proof must name.
pub(crate) struct ProofRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    /// The access token the proof came with (its hash is the proof's `ath`); `None` for a
    /// proof without one (a token request), whose `ath` is not read.
    pub(crate) access_token: Option<&'a str>,
    /// Seconds since the epoch on the verifier's clock.
    pub(crate) now: f64,
}

/// A proof that passed every check.
#[derive(Debug)]
pub(crate) struct Proof {
    /// The RFC 7638 thumbprint of the proof's key.
    pub(crate) jkt: String,
    pub(crate) jti: String,
    pub(crate) iat: f64,
    /// How the proof's nonce compared (`Current` when nonces are off).
    pub(crate) nonce: NonceCheck,
}

fn invalid(description: &'static str) -> AuthError {
    AuthError::new(AuthErrorKind::InvalidDpopProof, description)
}

/// A string member that must be present.
fn string(member: Option<Loose<String>>, missing: &'static str) -> Result<String, AuthError> {
    match member {
        Some(Loose::Ok(value)) => Ok(value),
        _ => Err(invalid(missing)),
    }
}

impl Dpop {
    /// Verifies a proof for a request: every check of RFC 9449 §4.3 but the replay one, which
    /// comes last (after the token), so only proofs of valid requests take cache space.
    pub(crate) fn verify_proof(
        &self,
        proof: &str,
        request: &ProofRequest<'_>,
    ) -> Result<Proof, AuthError> {
        crate::verify::usable_clock(request.now)?;
        let parsed = jws::parse_compact(proof, self.max_proof_len, Some(self.algs), &PROOF_TYP)
            .map_err(|e| match e.kind() {
                AuthErrorKind::TooLarge => invalid("proof too large"),
                AuthErrorKind::WrongType => invalid("proof typ is not dpop+jwt"),
                AuthErrorKind::AlgNotAllowed => invalid("proof algorithm not allowed"),
                AuthErrorKind::UnsupportedHeader => invalid("proof header member not supported"),
                _ => invalid("proof is not a well-formed JWS"),
            })?;
        let Some(jwk) = parsed.jwk.as_deref() else {
            return Err(invalid("proof has no jwk"));
        };
        let rules = KeySetRules {
            allow_oct: false,
            max_keys: 1,
            allowed: Some(self.algs),
        };
        let key = parse_jwk(jwk.get(), rules).map_err(|(_, reason)| {
            if reason == crate::keys::PRIVATE_KEY_MATERIAL {
                invalid("proof jwk holds a private key")
            } else {
                invalid("proof jwk is not a usable public key")
            }
        })?;
        if !key.usable_with(parsed.alg, Some(self.algs)) {
            return Err(invalid("proof algorithm does not fit its jwk"));
        }
        let payload =
            jws::decode_payload(&parsed).map_err(|_| invalid("proof is not a well-formed JWS"))?;
        if !is_json_object(&payload) || json_depth(&payload) > 4 {
            return Err(invalid("proof claims are not a JSON object"));
        }
        let claims: RawProof = serde_json::from_slice(&payload).map_err(|e| {
            invalid("proof claims are not a valid JSON object").with_source(JsonError::from(&e))
        })?;

        let jti = string(claims.jti, "proof jti missing")?;
        if jti.is_empty() || jti.len() > MAX_JTI_LEN {
            return Err(invalid("proof jti empty or too long"));
        }
        if string(claims.htm, "proof htm missing")? != request.method {
            return Err(invalid("proof htm does not match the request method"));
        }
        if !self
            .base
            .matches(&string(claims.htu, "proof htu missing")?, request.path)
        {
            return Err(invalid("proof htu does not match the request URL"));
        }
        let iat = match claims.iat {
            Some(Loose::Ok(iat)) if iat.is_finite() => iat,
            _ => return Err(invalid("proof iat missing")),
        };
        if (request.now - iat).abs() > self.window.as_secs_f64() {
            return Err(invalid("proof iat outside the accepted window"));
        }
        if let Some(token) = request.access_token {
            let ath = string(claims.ath, "proof ath missing")?;
            if ath != crate::b64::encode(Sha256::digest(token.as_bytes())) {
                return Err(invalid("proof ath does not match the token"));
            }
        }
        let nonce = match &self.nonce {
            None => NonceCheck::Current,
            Some(nonces) => {
                let given = match &claims.nonce {
                    Some(Loose::Ok(nonce)) => Some(nonce.as_str()),
                    _ => None,
                };
                match nonces.check(given, request.now) {
                    NonceCheck::Refused => {
                        return Err(AuthError::new(
                            AuthErrorKind::UseDpopNonce,
                            "proof needs a current nonce",
                        )
                        .with_dpop_nonce(nonces.current(request.now)));
                    }
                    check => check,
                }
            }
        };
        if !jws::verify_with(&parsed, &key) {
            return Err(invalid("proof signature invalid"));
        }
        let jkt = jwk_thumbprint(jwk.get())
            .ok_or_else(|| invalid("proof jwk is not a usable public key"))?;
        Ok(Proof {
            jkt,
            jti,
            iat,
            nonce,
        })
    }
}
