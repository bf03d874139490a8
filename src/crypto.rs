//! The signature backend: the jsonwebtoken crypto provider this crate's features chose.

/// The signature backend this build verifies with: `"aws-lc-rs"` or `"rust-crypto"`.
///
/// With both features on, aws-lc-rs is used.
///
/// ```
/// let expected = if cfg!(feature = "aws-lc-rs") { "aws-lc-rs" } else { "rust-crypto" };
/// assert_eq!(tower_jwt_auth::crypto_backend(), expected);
/// ```
#[must_use]
pub const fn crypto_backend() -> &'static str {
    #[cfg(feature = "aws-lc-rs")]
    {
        "aws-lc-rs"
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        "rust-crypto"
    }
}

/// The jsonwebtoken crypto provider this crate's features chose.
///
/// Called directly, never through jsonwebtoken's process-wide default: feature unification can
/// turn both jsonwebtoken backends on in a user's build, and the default then panics on the first
/// verify.
pub(crate) fn provider() -> &'static jsonwebtoken::crypto::CryptoProvider {
    #[cfg(feature = "aws-lc-rs")]
    {
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER
    }
    #[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
    {
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER
    }
}
