//! Unit tests of the in-memory store and the failure policy.

use super::*;
use crate::clock::{Clock, SystemClock};

fn claims(jti: Option<&str>, sub: Option<&str>, iat: Option<i64>) -> RegisteredClaims {
    RegisteredClaims {
        iss: Some("https://issuer.example".to_owned()),
        jti: jti.map(str::to_owned),
        sub: sub.map(str::to_owned),
        iat,
        exp: Some(4_000_000_000),
        ..RegisteredClaims::default()
    }
}

#[test]
fn memory_revokes_by_jti_and_by_subject_as_of_iat() {
    let store = MemoryRevocation::new();
    let status = |c: &RegisteredClaims| store.status(c);
    assert_eq!(
        status(&claims(Some("a"), Some("alice"), Some(100))),
        RevocationStatus::NotRevoked
    );

    store
        .revoke_jti("https://issuer.example", "a", 4_000_000_000)
        .unwrap();
    assert_eq!(
        status(&claims(Some("a"), None, None)),
        RevocationStatus::Revoked
    );
    assert_eq!(
        status(&claims(Some("b"), None, None)),
        RevocationStatus::NotRevoked
    );

    store
        .revoke_subject(
            "https://issuer.example",
            "alice",
            100,
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        status(&claims(None, Some("alice"), Some(99))),
        RevocationStatus::Revoked
    );
    assert_eq!(
        status(&claims(None, Some("alice"), Some(100))),
        RevocationStatus::Revoked
    );
    assert_eq!(
        status(&claims(None, Some("alice"), Some(101))),
        RevocationStatus::NotRevoked
    );
    // Without `iat`, a revoked subject's token is revoked.
    assert_eq!(
        status(&claims(None, Some("alice"), None)),
        RevocationStatus::Revoked
    );
    assert_eq!(
        status(&claims(None, Some("bob"), None)),
        RevocationStatus::NotRevoked
    );

    // An earlier revocation does not undo a later one.
    store
        .revoke_subject(
            "https://issuer.example",
            "alice",
            50,
            Duration::from_secs(60),
        )
        .unwrap();
    assert_eq!(
        status(&claims(None, Some("alice"), Some(100))),
        RevocationStatus::Revoked
    );
    store.unrevoke_subject("https://issuer.example", "alice");
    assert_eq!(
        status(&claims(None, Some("alice"), Some(100))),
        RevocationStatus::NotRevoked
    );
}

#[test]
fn a_clock_that_cannot_tell_the_time_keeps_revocations() {
    let store = MemoryRevocation::with_clock(crate::clock::FixedClock(f64::NAN));
    assert_eq!(store.revoke_jti("https://issuer.example", "a", 1), Ok(true));
    store
        .revoke_subject("https://issuer.example", "alice", 100, Duration::ZERO)
        .unwrap();
    assert_eq!(
        store.status(&claims(Some("a"), None, None)),
        RevocationStatus::Revoked
    );
    assert_eq!(
        store.status(&claims(None, Some("alice"), Some(100))),
        RevocationStatus::Revoked
    );
}

#[allow(clippy::cast_possible_truncation)]
fn now_secs() -> i64 {
    SystemClock.now_unix_secs() as i64
}

#[test]
fn memory_skips_expired_tokens_and_scopes_by_issuer() {
    let store = MemoryRevocation::new();
    assert_eq!(
        store.revoke_jti("https://issuer.example", "old", 1),
        Ok(false)
    );
    assert_eq!(store.inner.read().tokens.len(), 0);
    // Expired, but still within the verifier's leeway: kept.
    assert_eq!(
        store.revoke_jti("https://issuer.example", "recent", now_secs() - 30),
        Ok(true)
    );
    assert_eq!(
        store.status(&claims(Some("recent"), None, None)),
        RevocationStatus::Revoked
    );
    store
        .revoke_jti("https://other.example", "a", 4_000_000_000)
        .unwrap();
    assert_eq!(
        store.status(&claims(Some("a"), None, None)),
        RevocationStatus::NotRevoked
    );
    let mut token = claims(Some("a"), None, None);
    assert_eq!(store.revoke_token(&token), Ok(true));
    assert_eq!(store.status(&token), RevocationStatus::Revoked);
    token.jti = None;
    assert_eq!(store.revoke_token(&token), Ok(false));
}
