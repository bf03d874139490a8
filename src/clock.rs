//! Where the verifier reads the current time from.
//!
//! Token times (`exp`, `nbf`) are checked against a [`Clock`], so tests and simulations can move time
//! without sleeping. The default is [`SystemClock`].
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use tower_jwt_auth::clock::Clock;
//!
//! #[derive(Debug, Default)]
//! struct ManualClock(AtomicU64);
//!
//! impl Clock for ManualClock {
//!     fn now_unix_secs(&self) -> f64 {
//!         self.0.load(Ordering::Relaxed) as f64
//!     }
//! }
//!
//! let clock = Arc::new(ManualClock::default());
//! clock.0.store(1_700_000_000, Ordering::Relaxed);
//! assert_eq!(clock.now_unix_secs(), 1_700_000_000.0);
//! ```

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time, as seconds since the Unix epoch (a JWT `NumericDate`).
///
/// The verifier checks `exp` and `nbf` against the clock it was given
/// ([`VerifierBuilder::clock`](crate::VerifierBuilder::clock)):
///
/// ```
/// use tower_jwt_auth::clock::FixedClock;
/// # use tower_jwt_auth::{Algorithm, Issuer, Verifier};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let key = tower_jwt_auth::testing::TestKey::hmac(Algorithm::HS256, [7u8; 32]);
/// # let builder = || Verifier::builder().issuer(Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([Algorithm::HS256]);
/// // A token that expired in 2001.
/// let token = key.token(&serde_json::json!({
///     "iss": "https://issuer.example", "aud": "api", "exp": 1_000_000_000,
/// }));
/// let in_2001 = builder().clock(FixedClock(999_999_000.0)).build()?;
/// assert!(in_2001.verify(&token).await.is_ok());
/// let today = builder().build()?;
/// assert_eq!(today.verify(&token).await.unwrap_err().code(), "expired");
/// # Ok(()) }
/// ```
pub trait Clock: fmt::Debug + Send + Sync + 'static {
    /// The current time in seconds since 1970-01-01T00:00:00Z UTC.
    fn now_unix_secs(&self) -> f64;
}

/// A shared clock is a clock: hand one `Arc` to the verifier and keep another to read or move it.
///
/// ```
/// use std::sync::Arc;
/// use tower_jwt_auth::clock::{Clock, FixedClock};
///
/// fn read(clock: impl Clock) -> f64 {
///     clock.now_unix_secs()
/// }
/// let shared = Arc::new(FixedClock(1_700_000_000.0));
/// let erased: Arc<dyn Clock> = shared.clone();
/// assert_eq!(read(shared), 1_700_000_000.0);
/// assert_eq!(read(erased), 1_700_000_000.0);
/// ```
impl<T: Clock + ?Sized> Clock for std::sync::Arc<T> {
    fn now_unix_secs(&self) -> f64 {
        (**self).now_unix_secs()
    }
}

/// The system's wall clock: the verifier's default.
///
/// ```
/// use std::time::{SystemTime, UNIX_EPOCH};
/// use tower_jwt_auth::clock::{Clock, SystemClock};
///
/// let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
/// assert!((SystemClock.now_unix_secs() - now).abs() < 5.0);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_secs(&self) -> f64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            // A clock before 1970 is broken: the verifier refuses every token while it is.
            Err(e) => -e.duration().as_secs_f64(),
        }
    }
}

/// A clock that always answers the same instant; handy in tests.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::clock::{Clock, FixedClock};
/// assert_eq!(FixedClock(1_700_000_000.0).now_unix_secs(), 1_700_000_000.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedClock(pub f64);

impl Clock for FixedClock {
    fn now_unix_secs(&self) -> f64 {
        self.0
    }
}
