//! Verification keys: JWK parsing key by key, PEM keys, HMAC secrets, and the per-issuer key index.
//!
//! A JSON Web Key Set is read member by member: a key this crate can't or won't use (an unknown
//! `kty` or curve, `use: enc`, an RSA modulus under 2048 bits, private key material, a malformed
//! member) is skipped with a reason, and the rest of the set still works.

/// The most keys a token without `kid` is tried against.
///
/// A token without `kid` is checked against at most this many keys of its algorithm's family, in
/// key-set order, so a kid-less token costs at most this many signature checks.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::testing::{TestKey, jwks, now};
/// use tower_jwt_auth::{Algorithm, Issuer, MAX_KIDLESS_CANDIDATES, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Five kid-less keys: a token of the fifth is never checked against it.
/// let keys: Vec<TestKey> = (0..=MAX_KIDLESS_CANDIDATES).map(|_| TestKey::generate(Algorithm::ES256)).collect();
/// let set = jwks(&keys.iter().collect::<Vec<_>>());
/// let verifier = Verifier::builder()
///     .issuer(Issuer::static_keys("https://issuer.example", set))
///     .audience("api")
///     .build()?;
/// let claims = serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "exp": now() + 60 });
/// assert!(verifier.verify(&keys[0].token(&claims)).await.is_ok());
/// let last = keys[MAX_KIDLESS_CANDIDATES].token(&claims);
/// assert!(verifier.verify(&last).await.is_err());
/// # Ok(())
/// # }
/// ```
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

mod alg;
mod jwk;
mod pem;
mod prepared;
mod store;
#[cfg(test)]
mod tests;

pub(crate) use self::alg::*;
pub(crate) use self::jwk::*;
pub(crate) use self::pem::*;
pub use self::prepared::SkippedKey;
pub(crate) use self::prepared::*;
pub(crate) use self::store::*;
