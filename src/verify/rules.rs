//! The time rules of a token (`exp`, `nbf`, `iat`, `max_token_age`) and the tenant match of a
//! multi-tenant issuer.

use super::*;

/// Checks `exp`, `nbf` and `iat` against the clock, with the leeway.
/// A clock that can't tell the time (not finite, before 1970) must not make `exp` or a proof's
/// `iat` meaningless: fail closed.
pub(crate) fn usable_clock(now: f64) -> Result<(), AuthError> {
    if now.is_finite() && now >= 0.0 {
        Ok(())
    } else {
        Err(AuthError::new(
            AuthErrorKind::ClockUnavailable,
            "server clock unavailable",
        ))
    }
}

pub(super) fn check_time(
    shared: &Shared,
    exp: f64,
    nbf: Option<f64>,
    iat: Option<f64>,
) -> Result<(), AuthError> {
    let now = shared.clock.now_unix_secs();
    usable_clock(now)?;
    if now >= exp + shared.leeway {
        return Err(AuthError::new(AuthErrorKind::Expired, "token expired"));
    }
    if nbf.is_some_and(|nbf| now + shared.leeway < nbf) {
        return Err(AuthError::new(
            AuthErrorKind::NotYetValid,
            "token not yet valid",
        ));
    }
    if iat.is_some_and(|iat| now + shared.leeway < iat) {
        return Err(AuthError::new(
            AuthErrorKind::NotYetValid,
            "token issued in the future",
        ));
    }
    if let Some(max_age) = shared.max_token_age {
        match iat {
            None => return Err(AuthError::new(AuthErrorKind::InvalidClaim, "iat missing")),
            Some(iat) if now - shared.leeway > iat + max_age => {
                return Err(AuthError::new(AuthErrorKind::Expired, "token too old"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The multi-tenant issuer whose template `iss` fills in with the token's `tid`, and the
/// template a discovery document taught it (`None` for a configured template).
pub(super) fn tenant_issuer(
    issuers: &[IssuerState],
    iss: &str,
    tid: Option<&Loose<String>>,
) -> Option<(usize, Option<Arc<String>>)> {
    let Some(Loose::Ok(tid)) = tid else {
        return None;
    };
    issuers.iter().enumerate().find_map(|(index, issuer)| {
        if !issuer.tenants.is_set() {
            return None;
        }
        let learned = issuer.remote.as_ref().and_then(|r| r.template());
        let template = learned
            .as_deref()
            .map_or(issuer.iss.as_str(), String::as_str);
        issuer
            .tenants
            .matches(template, iss, tid)
            .then_some((index, learned))
    })
}
