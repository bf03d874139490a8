//! Unit tests of compact JWS parsing and signature checks.

use super::*;

fn header(json: &str) -> String {
    format!("{}.e30.AAAA", b64::encode(json))
}

fn parse(token: &str) -> Result<Parsed<'_>, AuthError> {
    parse_compact(token, DEFAULT_MAX_TOKEN_LEN, None, &TypPolicy::default())
}

#[test]
fn compact_form_needs_exactly_three_segments() {
    for bad in ["a.b", "a.b.c.d", "a", "", "..", "a..b.c"] {
        assert_eq!(
            parse(bad).unwrap_err().kind(),
            AuthErrorKind::Malformed,
            "{bad:?}"
        );
    }
}

#[test]
fn header_must_be_an_object_without_duplicates() {
    let kind = |h: &str| parse(&header(h)).map(|_| ()).map_err(|e| e.kind());
    assert_eq!(kind(r#"["RS256"]"#), Err(AuthErrorKind::Malformed));
    assert_eq!(
        kind(r#"{"alg":"RS256","alg":"HS256"}"#),
        Err(AuthErrorKind::Malformed)
    );
    assert_eq!(
        kind(r#"{"alg":"RS256","kid":"a","kid":"b"}"#),
        Err(AuthErrorKind::Malformed)
    );
    let escaped = r#"{"alg":"RS256","\u0061lg":"HS256"}"#;
    assert_eq!(
        kind(escaped),
        Err(AuthErrorKind::Malformed),
        "escaped duplicate"
    );
    assert_eq!(kind(r#"{"alg":"RS256"} x"#), Err(AuthErrorKind::Malformed));
    assert_eq!(kind(r#"{"alg":"RS256"}"#), Ok(()));
}

#[test]
fn none_and_wrong_case_algorithms_are_refused() {
    for alg in [
        "none", "None", "NONE", "nOnE", "rs256", "Rs256", "ES512", "",
    ] {
        let h = format!(r#"{{"alg":"{alg}"}}"#);
        assert_eq!(
            parse(&header(&h)).unwrap_err().kind(),
            AuthErrorKind::AlgNotAllowed
        );
    }
    assert_eq!(
        parse(&header(r#"{"alg":null}"#)).unwrap_err().kind(),
        AuthErrorKind::AlgNotAllowed
    );
}

#[test]
fn crit_cty_and_b64_are_refused() {
    for h in [
        r#"{"alg":"RS256","crit":["exp"]}"#,
        r#"{"alg":"RS256","cty":"JWT"}"#,
        r#"{"alg":"RS256","b64":false,"crit":["b64"]}"#,
        r#"{"alg":"RS256","b64":false}"#,
    ] {
        assert_eq!(
            parse(&header(h)).unwrap_err().kind(),
            AuthErrorKind::UnsupportedHeader,
            "{h}"
        );
    }
}

#[test]
fn typ_is_checked_case_insensitively() {
    for ok in [
        "JWT",
        "jwt",
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "application/JWT",
    ] {
        let h = format!(r#"{{"alg":"RS256","typ":"{ok}"}}"#);
        assert!(parse(&header(&h)).is_ok(), "{ok}");
    }
    for bad in ["dpop+jwt", "secevent+jwt", "logout+jwt", "JWE", "JOSE", ""] {
        let h = format!(r#"{{"alg":"RS256","typ":"{bad}"}}"#);
        assert_eq!(
            parse(&header(&h)).unwrap_err().kind(),
            AuthErrorKind::WrongType,
            "{bad}"
        );
    }
    assert_eq!(
        parse(&header(r#"{"alg":"RS256","typ":1}"#))
            .unwrap_err()
            .kind(),
        AuthErrorKind::WrongType
    );
}

#[test]
fn oversized_tokens_are_refused_before_parsing() {
    let big = "a".repeat(DEFAULT_MAX_TOKEN_LEN + 1);
    assert_eq!(parse(&big).unwrap_err().kind(), AuthErrorKind::TooLarge);
}
