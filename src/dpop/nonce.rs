//! [`DpopNonce`]: stateless server nonces (RFC 9449 §8), shared by replicas that share a secret.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use http::HeaderValue;
use sha2::Sha256;

use crate::error::ConfigError;

/// Default nonce rotation: a nonce is issued for a 5-minute step and accepted during that step
/// and the next one.
///
/// ```
/// assert_eq!(tower_jwt_auth::dpop::DEFAULT_NONCE_ROTATION.as_secs(), 300);
/// ```
pub const DEFAULT_NONCE_ROTATION: Duration = Duration::from_secs(300);

/// Server-provided DPoP nonces (RFC 9449 §8), without server state.
///
/// A nonce is `base64url(step ‖ HMAC-SHA256(secret, step)[..16])` where `step` counts rotation
/// periods on the verifier's clock. A proof must carry the nonce of the current step, of the one
/// before, or of the next one (a replica whose clock is a little ahead may have issued it), so
/// every replica sharing the secret accepts the nonces of every other one, and a nonce stays
/// usable for at least one rotation period. The proofs' `iat` window still bounds
/// how long one proof is good for; the nonce bounds how far ahead a client can mint proofs.
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::dpop::DpopNonce;
///
/// let nonce = DpopNonce::new([7u8; 32])?.rotation(Duration::from_secs(60));
/// assert!(DpopNonce::new([7u8; 16]).is_err(), "a short secret is refused");
/// # let _ = nonce;
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct DpopNonce {
    /// HMAC-SHA256 keyed with the secret and fed the prefix, once: each nonce clones it.
    keyed: Hmac<Sha256>,
    rotation: Duration,
}

impl fmt::Debug for DpopNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopNonce")
            .field("secret", &"<redacted>")
            .field("rotation", &self.rotation)
            .finish()
    }
}

/// How a proof's nonce compares with the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NonceCheck {
    /// The nonce of the current step.
    Current,
    /// The nonce of the step before: accepted, and the answer carries the current one.
    Previous,
    /// Missing, forged, or too old.
    Refused,
}

const NONCE_BYTES: usize = 8 + 16;

impl DpopNonce {
    /// Nonces keyed by `secret` (at least 32 bytes; give every replica the same one), rotated
    /// every [`DEFAULT_NONCE_ROTATION`].
    ///
    /// # Errors
    ///
    /// [`ConfigError::ShortNonceSecret`] for a secret shorter than 32 bytes.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::DpopNonce;
    ///
    /// let nonce = DpopNonce::new(b"0123456789abcdef0123456789abcdef")?;
    /// assert!(format!("{nonce:?}").contains("<redacted>"));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    pub fn new(secret: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        let secret = secret.as_ref();
        if secret.len() < 32 {
            return Err(ConfigError::ShortNonceSecret { len: secret.len() });
        }
        Ok(Self {
            keyed: {
                // `new_from_slice` takes a key of any length.
                let mut mac = Hmac::<Sha256>::new_from_slice(secret)
                    .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
                mac.update(b"tower-jwt-auth DPoP nonce v1");
                mac
            },
            rotation: DEFAULT_NONCE_ROTATION,
        })
    }

    /// How often the nonce changes (default [`DEFAULT_NONCE_ROTATION`]; at least one second).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::dpop::DpopNonce;
    ///
    /// let nonce = DpopNonce::new([7u8; 32])?.rotation(Duration::from_secs(30));
    /// assert_eq!(nonce.get_rotation(), Duration::from_secs(30));
    /// let floor = DpopNonce::new([7u8; 32])?.rotation(Duration::ZERO);
    /// assert_eq!(floor.get_rotation(), Duration::from_secs(1));
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn rotation(mut self, every: Duration) -> Self {
        self.rotation = every.max(Duration::from_secs(1));
        self
    }

    /// The rotation period.
    ///
    /// ```
    /// use tower_jwt_auth::dpop::{DEFAULT_NONCE_ROTATION, DpopNonce};
    ///
    /// assert_eq!(DpopNonce::new([7u8; 32])?.get_rotation(), DEFAULT_NONCE_ROTATION);
    /// # Ok::<_, tower_jwt_auth::ConfigError>(())
    /// ```
    #[must_use]
    pub fn get_rotation(&self) -> Duration {
        self.rotation
    }

    fn step(&self, now: f64) -> u64 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let step = (now.max(0.0) / self.rotation.as_secs_f64()).floor() as u64;
        step
    }

    /// The HMAC of a step, to finish or verify.
    fn mac(&self, step: u64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(&step.to_be_bytes());
        mac
    }

    fn nonce_for(&self, step: u64) -> String {
        let tag = self.mac(step).finalize().into_bytes();
        let mut bytes = [0u8; NONCE_BYTES];
        bytes[..8].copy_from_slice(&step.to_be_bytes());
        bytes[8..].copy_from_slice(&tag[..16]);
        crate::b64::encode(bytes)
    }

    /// The nonce of the current step, as the `DPoP-Nonce` header value.
    pub(crate) fn current(&self, now: f64) -> HeaderValue {
        HeaderValue::try_from(self.nonce_for(self.step(now)))
            .unwrap_or_else(|_| unreachable!("base64url is a valid header value"))
    }

    /// Checks a proof's `nonce` against the steps accepted at `now`.
    pub(crate) fn check(&self, nonce: Option<&str>, now: f64) -> NonceCheck {
        let Some(bytes) = nonce.and_then(|n| crate::b64::decode(n).ok()) else {
            return NonceCheck::Refused;
        };
        if bytes.len() != NONCE_BYTES {
            return NonceCheck::Refused;
        }
        let mut step = [0u8; 8];
        step.copy_from_slice(&bytes[..8]);
        let step = u64::from_be_bytes(step);
        let current = self.step(now);
        let verdict = if step == current || current.checked_add(1) == Some(step) {
            NonceCheck::Current
        } else if current.checked_sub(1) == Some(step) {
            NonceCheck::Previous
        } else {
            return NonceCheck::Refused;
        };
        // Constant-time comparison of the truncated tag.
        match self.mac(step).verify_truncated_left(&bytes[8..]) {
            Ok(()) => verdict,
            Err(_) => NonceCheck::Refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_and_previous_steps_are_accepted_and_nothing_else() {
        let nonce = DpopNonce::new([1u8; 32])
            .unwrap()
            .rotation(Duration::from_secs(60));
        let at = 6_000.0;
        let issued = nonce.current(at);
        let issued = issued.to_str().unwrap();
        assert_eq!(nonce.check(Some(issued), at + 59.0), NonceCheck::Current);
        assert_eq!(nonce.check(Some(issued), at + 60.0), NonceCheck::Previous);
        assert_eq!(nonce.check(Some(issued), at + 119.0), NonceCheck::Previous);
        assert_eq!(nonce.check(Some(issued), at + 120.0), NonceCheck::Refused);
        assert_eq!(
            nonce.check(Some(issued), at - 1.0),
            NonceCheck::Current,
            "a clock behind"
        );
        assert_eq!(nonce.check(Some(issued), at - 61.0), NonceCheck::Refused);
        assert_eq!(nonce.check(None, at), NonceCheck::Refused);
        assert_eq!(nonce.check(Some("AAAA"), at), NonceCheck::Refused);
        let other = DpopNonce::new([2u8; 32])
            .unwrap()
            .rotation(Duration::from_secs(60));
        assert_eq!(
            other.check(Some(issued), at),
            NonceCheck::Refused,
            "another secret's nonce"
        );
        let mut forged = crate::b64::decode(issued).unwrap();
        forged[20] ^= 1;
        assert_eq!(
            nonce.check(Some(&crate::b64::encode(forged)), at),
            NonceCheck::Refused
        );
    }
}
