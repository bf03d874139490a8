//! Unit tests of the Redis store that need no server.

use super::wire::revoked_at;
use super::*;

#[test]
fn keys_follow_the_documented_layout() {
    let store = RedisRevocation::new("redis://127.0.0.1:6379").expect("url");
    assert_eq!(
        store.jti_key("https://issuer.example", "t-1"),
        "jwt:revoked:jti:https://issuer.example:t-1"
    );
    assert_eq!(
        store.subject_key("https://issuer.example", "alice"),
        "jwt:revoked:sub:https://issuer.example:alice"
    );
    let store = store.prefix("app1:");
    assert_eq!(store.jti_key("i", "j"), "app1:jti:i:j");
}

#[test]
fn subject_values_are_numeric_dates() {
    assert_eq!(revoked_at("1767225600"), Some(1_767_225_600));
    assert_eq!(revoked_at(" 1767225600.9 "), Some(1_767_225_600));
    assert_eq!(revoked_at("yes"), None);
    assert_eq!(revoked_at("NaN"), None);
    assert_eq!(revoked_at("+5"), Some(5));
    assert_eq!(revoked_at("-5.5"), Some(-6));
    for not_a_time in ["1e9", "inf", "-inf", "0x10", ".5", "\u{b}5", "5 5", ""] {
        assert_eq!(revoked_at(not_a_time), None, "{not_a_time:?}");
    }
}

#[test]
fn questions_differ_when_any_part_differs() {
    let base = digest(&[Some("i"), Some("j"), Some("s")], Some(1));
    assert_ne!(base, digest(&[Some("i"), Some("js"), None], Some(1)));
    assert_ne!(base, digest(&[Some("i"), Some("j"), Some("s")], Some(2)));
    assert_ne!(base, digest(&[Some("i"), Some("j"), Some("s")], None));
    assert_ne!(base, digest(&[Some("ij"), None, Some("s")], Some(1)));
}
