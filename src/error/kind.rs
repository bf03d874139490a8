//! [`AuthErrorKind`]'s mapping to the answer: its code, HTTP status and RFC 6750 challenge.

use http::StatusCode;

use super::AuthErrorKind;

impl AuthErrorKind {
    /// The stable, machine-readable code for this reason (`"expired"`, `"bad_signature"`, …).
    ///
    /// ```
    /// use tower_jwt_auth::AuthErrorKind;
    ///
    /// assert_eq!(AuthErrorKind::Expired.code(), "expired");
    /// assert_eq!(AuthErrorKind::BadSignature.code(), "bad_signature");
    /// assert_eq!(AuthErrorKind::RevocationUnavailable.code(), "revocation_unavailable");
    /// ```
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::InvalidRequest => "invalid_request",
            Self::Malformed => "malformed",
            Self::TooLarge => "too_large",
            Self::AlgNotAllowed => "alg_not_allowed",
            Self::UnsupportedHeader => "unsupported_header",
            Self::WrongType => "wrong_type",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::InvalidClaim => "invalid_claim",
            Self::SenderConstrained => "sender_constrained",
            Self::KeysUnavailable => "keys_unavailable",
            Self::ClockUnavailable => "clock_unavailable",
            Self::InsufficientScope => "insufficient_scope",
            Self::Forbidden => "forbidden",
            Self::NotAccepted => "not_accepted",
            Self::Csrf => "csrf",
            Self::Revoked => "revoked",
            Self::RevocationUnavailable => "revocation_unavailable",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::DpopReplayed => "dpop_replayed",
            Self::UseDpopNonce => "use_dpop_nonce",
            Self::DpopRequired => "dpop_required",
            Self::BindingMismatch => "binding_mismatch",
            Self::ReplayCacheUnavailable => "replay_cache_unavailable",
        }
    }

    /// Whether the answer carries a `WWW-Authenticate` challenge (not for the CSRF guard: the
    /// token itself is fine; nor for 503s).
    ///
    /// ```
    /// use tower_jwt_auth::AuthErrorKind;
    ///
    /// assert!(AuthErrorKind::Expired.challenges());
    /// assert!(AuthErrorKind::InsufficientScope.challenges());
    /// assert!(!AuthErrorKind::Csrf.challenges());
    /// assert!(!AuthErrorKind::KeysUnavailable.challenges());
    /// ```
    #[must_use]
    pub const fn challenges(self) -> bool {
        !matches!(
            self,
            Self::Csrf
                | Self::KeysUnavailable
                | Self::ClockUnavailable
                | Self::RevocationUnavailable
                | Self::ReplayCacheUnavailable
        )
    }

    /// The HTTP status this reason answers with: 401 for a missing or refused token, 403 for a
    /// token that is fine but not enough, 400 for an ambiguous request, 503 when the server can't
    /// decide.
    ///
    /// ```
    /// use http::StatusCode;
    /// use tower_jwt_auth::AuthErrorKind;
    ///
    /// assert_eq!(AuthErrorKind::Missing.status(), StatusCode::UNAUTHORIZED);
    /// assert_eq!(AuthErrorKind::InsufficientScope.status(), StatusCode::FORBIDDEN);
    /// assert_eq!(AuthErrorKind::InvalidRequest.status(), StatusCode::BAD_REQUEST);
    /// assert_eq!(AuthErrorKind::KeysUnavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
    /// ```
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self {
            Self::Missing
            | Self::Malformed
            | Self::TooLarge
            | Self::AlgNotAllowed
            | Self::UnsupportedHeader
            | Self::WrongType
            | Self::UnknownKey
            | Self::BadSignature
            | Self::Expired
            | Self::NotYetValid
            | Self::WrongIssuer
            | Self::WrongAudience
            | Self::InvalidClaim
            | Self::SenderConstrained
            | Self::NotAccepted
            | Self::Revoked
            | Self::InvalidDpopProof
            | Self::DpopReplayed
            | Self::UseDpopNonce
            | Self::DpopRequired
            | Self::BindingMismatch => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope | Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::KeysUnavailable
            | Self::ClockUnavailable
            | Self::RevocationUnavailable
            | Self::ReplayCacheUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The challenge's `error` code (RFC 6750 §3.1; RFC 9449 §7.1 and §9 for
    /// `invalid_dpop_proof` and `use_dpop_nonce`), or `None` where the challenge carries none.
    ///
    /// ```
    /// use tower_jwt_auth::AuthErrorKind;
    ///
    /// assert_eq!(AuthErrorKind::Expired.rfc6750_error(), Some("invalid_token"));
    /// assert_eq!(AuthErrorKind::Forbidden.rfc6750_error(), Some("insufficient_scope"));
    /// assert_eq!(AuthErrorKind::InvalidRequest.rfc6750_error(), Some("invalid_request"));
    /// assert_eq!(AuthErrorKind::Missing.rfc6750_error(), None);
    /// assert_eq!(AuthErrorKind::DpopReplayed.rfc6750_error(), Some("invalid_dpop_proof"));
    /// assert_eq!(AuthErrorKind::UseDpopNonce.rfc6750_error(), Some("use_dpop_nonce"));
    /// ```
    #[must_use]
    pub const fn rfc6750_error(self) -> Option<&'static str> {
        match self {
            Self::Missing
            | Self::KeysUnavailable
            | Self::ClockUnavailable
            | Self::RevocationUnavailable
            | Self::ReplayCacheUnavailable
            | Self::Csrf => None,
            Self::InvalidDpopProof | Self::DpopReplayed => Some("invalid_dpop_proof"),
            Self::UseDpopNonce => Some("use_dpop_nonce"),
            Self::InvalidRequest => Some("invalid_request"),
            Self::InsufficientScope | Self::Forbidden => Some("insufficient_scope"),
            _ => Some("invalid_token"),
        }
    }
}
