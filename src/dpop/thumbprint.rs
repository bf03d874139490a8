//! RFC 7638 JWK thumbprints: SHA-256 of the key's required members in canonical JSON.

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The members a thumbprint covers (RFC 7638 §3.2): `crv`, `kty`, `x`, `y` for EC; `e`, `kty`,
/// `n` for RSA; `crv`, `kty`, `x` for OKP.
#[derive(Deserialize)]
struct Members {
    kty: String,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The base64url SHA-256 thumbprint of a public JWK, or `None` when a member it needs is
/// missing (the key was parsed first, so that does not happen for a usable key).
pub(crate) fn jwk_thumbprint(jwk: &str) -> Option<String> {
    let m: Members = serde_json::from_str(jwk).ok()?;
    // Member values are written as JSON strings (serde_json escapes), names in lexicographic
    // order, no whitespace.
    let s = |v: &str| serde_json::to_string(v).ok();
    let canonical = match m.kty.as_str() {
        "EC" => format!(
            r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#,
            s(m.crv.as_deref()?)?,
            s(m.x.as_deref()?)?,
            s(m.y.as_deref()?)?
        ),
        "RSA" => format!(
            r#"{{"e":{},"kty":"RSA","n":{}}}"#,
            s(m.e.as_deref()?)?,
            s(m.n.as_deref()?)?
        ),
        "OKP" => format!(
            r#"{{"crv":{},"kty":"OKP","x":{}}}"#,
            s(m.crv.as_deref()?)?,
            s(m.x.as_deref()?)?
        ),
        _ => return None,
    };
    Some(crate::b64::encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::jwk_thumbprint;

    #[test]
    fn rfc7638_example() {
        // RFC 7638 §3.1.
        let jwk = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
        assert_eq!(
            jwk_thumbprint(jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn member_order_and_extra_members_do_not_matter() {
        let a = r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AQ","kid":"k"}"#;
        let b = r#"{"y":"AQ","x":"AA","crv":"P-256","kty":"EC","use":"sig"}"#;
        assert_eq!(jwk_thumbprint(a), jwk_thumbprint(b));
        assert!(jwk_thumbprint(a).is_some());
        assert_eq!(
            jwk_thumbprint(r#"{"kty":"EC","crv":"P-256","x":"AA"}"#),
            None
        );
        assert_eq!(jwk_thumbprint(r#"{"kty":"oct","k":"AA"}"#), None);
    }
}
