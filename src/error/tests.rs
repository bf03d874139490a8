//! Unit tests of the error types.

use super::*;

#[test]
fn display_is_the_fixed_description() {
    let err = AuthError::new(AuthErrorKind::Expired, "token expired");
    assert_eq!(err.to_string(), "token expired");
    assert_eq!(err.code(), "expired");
    assert_eq!(err.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(err.kind().rfc6750_error(), Some("invalid_token"));
}

#[test]
fn missing_and_keys_unavailable_carry_no_rfc6750_error() {
    assert_eq!(AuthErrorKind::Missing.rfc6750_error(), None);
    assert_eq!(AuthErrorKind::KeysUnavailable.rfc6750_error(), None);
    assert_eq!(
        AuthErrorKind::KeysUnavailable.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        AuthErrorKind::InvalidRequest.status(),
        StatusCode::BAD_REQUEST
    );
}
