//! Unit tests of the token sources.

use super::*;
use http::HeaderValue;

fn headers(pairs: &[(&str, &[u8])]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    map
}

fn bearer(pairs: &[(&str, &[u8])]) -> Result<Option<String>, AuthErrorKind> {
    match TokenSource::bearer().find(&headers(pairs), None, 16 * 1024) {
        Found::Nothing => Ok(None),
        Found::Token(t) => Ok(Some(t.to_owned())),
        Found::Invalid(e) => Err(e.kind()),
    }
}

fn cookie(pairs: &[(&str, &[u8])]) -> Result<Option<String>, AuthErrorKind> {
    match TokenSource::cookie("at")
        .unwrap()
        .find(&headers(pairs), None, 16 * 1024)
    {
        Found::Nothing => Ok(None),
        Found::Token(t) => Ok(Some(t.to_owned())),
        Found::Invalid(e) => Err(e.kind()),
    }
}

#[test]
fn bearer_scheme_is_case_insensitive_with_one_or_more_spaces() {
    for v in [
        "Bearer a.b.c",
        "bearer a.b.c",
        "BEARER   a.b.c",
        "Bearer a.b.c  ",
    ] {
        assert_eq!(
            bearer(&[("authorization", v.as_bytes())]),
            Ok(Some("a.b.c".into())),
            "{v}"
        );
    }
}

#[test]
fn other_schemes_are_no_token() {
    for v in [
        "Basic dXNlcjpwYXNz",
        "DPoP a.b.c",
        "a.b.c",
        "Bearera.b.c",
        "Token Bearer a.b.c",
    ] {
        assert_eq!(bearer(&[("authorization", v.as_bytes())]), Ok(None), "{v}");
    }
    assert_eq!(bearer(&[]), Ok(None));
}

#[test]
fn empty_or_malformed_bearer_is_invalid_token() {
    for v in [
        &b"Bearer"[..],
        b"Bearer    ",
        b"Bearer a b",
        b"Bearer a\"b",
        b"Bearer \xc3\xa9",
        b"Bearer =",
    ] {
        assert_eq!(
            bearer(&[("authorization", v)]),
            Err(AuthErrorKind::Malformed),
            "{v:?}"
        );
    }
    assert_eq!(
        bearer(&[("authorization", b"Bearer abc==")]),
        Ok(Some("abc==".into()))
    );
}

#[test]
fn two_different_bearer_tokens_conflict_but_duplicates_are_fine() {
    let a = &[
        ("authorization", &b"Bearer a.b.c"[..]),
        ("authorization", b"Bearer x.y.z"),
    ];
    assert_eq!(bearer(a), Err(AuthErrorKind::InvalidRequest));
    let same = &[
        ("authorization", &b"Bearer a.b.c"[..]),
        ("authorization", b"bearer  a.b.c"),
    ];
    assert_eq!(bearer(same), Ok(Some("a.b.c".into())));
    let mixed = &[
        ("authorization", &b"Basic Zm9v"[..]),
        ("authorization", b"Bearer a.b.c"),
    ];
    assert_eq!(bearer(mixed), Ok(Some("a.b.c".into())));
}

#[test]
fn too_many_header_values_are_an_invalid_request() {
    let many: Vec<(&str, &[u8])> = (0..33)
        .map(|_| ("authorization", &b"Bearer a.b.c"[..]))
        .collect();
    assert_eq!(bearer(&many), Err(AuthErrorKind::InvalidRequest));
    assert_eq!(bearer(&many[..32]), Ok(Some("a.b.c".into())));
    let cookies: Vec<(&str, &[u8])> = (0..40).map(|_| ("cookie", &b"x=1"[..])).collect();
    assert_eq!(cookie(&cookies), Err(AuthErrorKind::InvalidRequest));
}

#[test]
fn oversized_token_is_refused() {
    let big = format!("Bearer {}", "a".repeat(20_000));
    assert_eq!(
        bearer(&[("authorization", big.as_bytes())]),
        Err(AuthErrorKind::TooLarge)
    );
}

#[test]
fn cookies_are_read_from_every_cookie_header() {
    assert_eq!(
        cookie(&[("cookie", b"x=1; at=a.b.c; y=2")]),
        Ok(Some("a.b.c".into()))
    );
    assert_eq!(
        cookie(&[("cookie", b"x=1"), ("cookie", b"at=a.b.c")]),
        Ok(Some("a.b.c".into()))
    );
    assert_eq!(
        cookie(&[("cookie", b"at=\"a.b.c\"")]),
        Ok(Some("a.b.c".into()))
    );
    assert_eq!(cookie(&[("cookie", b"xat=a.b.c; at_=1")]), Ok(None));
    assert_eq!(cookie(&[("cookie", b"at=")]), Ok(None));
    assert_eq!(
        cookie(&[("cookie", b"at=a.b.c"), ("cookie", b"at=x.y.z")]),
        Err(AuthErrorKind::InvalidRequest)
    );
    assert_eq!(
        cookie(&[("cookie", b"at=a.b.c; at=a.b.c")]),
        Ok(Some("a.b.c".into()))
    );
    assert_eq!(
        cookie(&[("cookie", b"at=a%20b")]),
        Err(AuthErrorKind::Malformed)
    );
}

#[test]
fn custom_header_holds_the_bare_token() {
    let src = TokenSource::header(HeaderName::from_static("x-auth"));
    let map = headers(&[("x-auth", b" a.b.c ")]);
    assert!(matches!(src.find(&map, None, 100), Found::Token("a.b.c")));
    let map = headers(&[("x-auth", b"Bearer a.b.c")]);
    assert!(matches!(src.find(&map, None, 100), Found::Invalid(_)));
}
