//! Test kit (feature `testing`): key pairs, a token minter and JWKS documents.
//!
//! Keys are generated with aws-lc-rs, and tokens are signed with it directly, so the kit also
//! mints the tokens a careful verifier must refuse: any header (`alg: none`, `crit`, `jku`, …),
//! any payload, any signature.
//!
//! # Example
//!
//! ```
//! use tower_jwt_auth::Algorithm;
//! use tower_jwt_auth::testing::{TestKey, now};
//!
//! let key = TestKey::generate(Algorithm::EdDSA).with_kid("k1");
//! let token = key.token(&serde_json::json!({ "sub": "alice", "exp": now() + 60 }));
//! assert_eq!(token.split('.').count(), 3);
//! assert!(key.jwks().contains("\"kid\":\"k1\""));
//! ```

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use jsonwebtoken::Algorithm;
use serde_json::json;

/// The current time as a `NumericDate` (whole seconds since the epoch).
///
/// # Example
///
/// ```
/// use std::time::{SystemTime, UNIX_EPOCH};
/// use tower_jwt_auth::testing::now;
///
/// let system = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
/// assert!(now().abs_diff(system as i64) <= 1);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A clock tests move by hand (shared by its clones), starting at the current time.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::clock::Clock;
/// use tower_jwt_auth::testing::ManualClock;
///
/// let clock = ManualClock::at(1_700_000_000.0);
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(clock.now_unix_secs(), 1_700_000_001.5);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<std::sync::atomic::AtomicU64>);

impl ManualClock {
    /// A clock at the current time.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::clock::Clock;
    /// use tower_jwt_auth::testing::{ManualClock, now};
    ///
    /// let clock = ManualClock::new();
    /// assert!((clock.now_unix_secs() - now() as f64).abs() <= 1.0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        #[allow(clippy::cast_precision_loss)]
        Self::at(now() as f64)
    }

    /// A clock at `secs` seconds since the epoch.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::clock::Clock;
    /// use tower_jwt_auth::testing::ManualClock;
    ///
    /// assert_eq!(ManualClock::at(1_700_000_000.25).now_unix_secs(), 1_700_000_000.25);
    /// ```
    #[must_use]
    pub fn at(secs: f64) -> Self {
        Self(Arc::new(std::sync::atomic::AtomicU64::new(secs.to_bits())))
    }

    /// Moves the clock forward.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_jwt_auth::clock::Clock;
    /// use tower_jwt_auth::testing::ManualClock;
    ///
    /// let clock = ManualClock::at(100.0);
    /// let shared = clock.clone();
    /// clock.advance(Duration::from_secs(5));
    /// assert_eq!(shared.now_unix_secs(), 105.0);
    /// ```
    pub fn advance(&self, by: std::time::Duration) {
        self.set(crate::clock::Clock::now_unix_secs(self) + by.as_secs_f64());
    }

    /// Sets the clock to `secs` seconds since the epoch (backwards too).
    ///
    /// # Example
    ///
    /// A verifier on this clock sees a token expire, then become valid again:
    ///
    /// ```
    /// use tower_jwt_auth::testing::{ManualClock, TestKey};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let clock = ManualClock::at(1_000.0);
    /// # let verifier = Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]).clock(clock.clone()).build()?;
    /// # let token = TestKey::hmac(Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "exp": 1_100 }));
    /// clock.set(2_000.0); // past `exp` plus the 60 s leeway
    /// assert_eq!(verifier.verify(&token).await.unwrap_err().code(), "expired");
    /// clock.set(1_000.0);
    /// assert!(verifier.verify(&token).await.is_ok());
    /// # Ok(())
    /// # }
    /// ```
    pub fn set(&self, secs: f64) {
        self.0
            .store(secs.to_bits(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::clock::Clock for ManualClock {
    fn now_unix_secs(&self) -> f64 {
        f64::from_bits(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// A JWKS document (`{"keys": [...]}`) of these keys' public JWKs.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::Algorithm;
/// use tower_jwt_auth::testing::{TestKey, jwks};
///
/// let a = TestKey::generate(Algorithm::ES256).with_kid("a");
/// let b = TestKey::generate(Algorithm::EdDSA).with_kid("b");
/// let doc: serde_json::Value = serde_json::from_str(&jwks(&[&a, &b]))?;
/// assert_eq!(doc["keys"], serde_json::json!([a.public_jwk(), b.public_jwk()]));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn jwks(keys: &[&TestKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() }).to_string()
}

/// Every signature algorithm this crate verifies: HS256/384/512, then the asymmetric ones.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::Algorithm;
/// use tower_jwt_auth::testing::{ALGORITHMS, alg_name};
///
/// assert_eq!(ALGORITHMS[..3], [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512]);
/// assert!(ALGORITHMS.iter().all(|&alg| alg_name(alg) != "unknown"));
/// ```
pub const ALGORITHMS: [Algorithm; 12] = crate::keys::AlgSet::ALL;

/// Every asymmetric signature algorithm this crate verifies.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::testing::{ALGORITHMS, ASYMMETRIC_ALGORITHMS, alg_name};
///
/// assert_eq!(ASYMMETRIC_ALGORITHMS[..], ALGORITHMS[3..]);
/// assert!(ASYMMETRIC_ALGORITHMS.iter().all(|&alg| !alg_name(alg).starts_with("HS")));
/// ```
pub const ASYMMETRIC_ALGORITHMS: [Algorithm; 9] = {
    let mut asymmetric = [Algorithm::ES256; 9];
    let mut i = 0;
    while i < asymmetric.len() {
        asymmetric[i] = ALGORITHMS[i + 3];
        i += 1;
    }
    asymmetric
};

/// The registered name of an algorithm (`"RS256"`, `"EdDSA"`, …).
///
/// # Example
///
/// ```
/// use tower_jwt_auth::Algorithm;
/// use tower_jwt_auth::testing::alg_name;
///
/// assert_eq!(alg_name(Algorithm::PS384), "PS384");
/// assert_eq!(alg_name(Algorithm::EdDSA), "EdDSA");
/// ```
#[must_use]
pub fn alg_name(alg: Algorithm) -> &'static str {
    crate::keys::alg_name(alg)
}

/// SHA-256 of `data` (for tests that need a thumbprint or a digest).
///
/// # Example
///
/// ```
/// use tower_jwt_auth::testing::sha256;
///
/// let digest = sha256(b"abc");
/// assert_eq!(digest.len(), 32);
/// assert_eq!(digest[..4], [0xba, 0x78, 0x16, 0xbf]);
/// ```
#[must_use]
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

mod dpop;
mod key;
mod server;

pub use self::dpop::DpopProof;
pub use self::key::TestKey;
pub use self::server::{Behavior, JwksServer};
