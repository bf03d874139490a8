//! Claims handed to handlers: [`Claims<C>`] (your type, shared), [`RegisteredClaims`] (the RFC 7519
//! members every token has, with scopes normalized into a set).

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer};

use crate::de::{Loose, StrOrList};

/// The verified claims of a request, as your type `C`.
///
/// The layer inserts it into the request extensions; cloning is cheap (an [`Arc`] inside) and it
/// dereferences to `C`. With the `axum` feature it is an extractor, and `Option<Claims<C>>` works
/// for optional authentication. tonic handlers read `request.extensions().get::<Claims<C>>()`.
///
/// # Example
///
/// ```
/// use std::sync::Arc;
/// use tower_jwt_auth::{Claims, Verifier};
///
/// #[derive(Debug, serde::Deserialize)]
/// struct MyClaims { sub: String }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let token = tower_jwt_auth::testing::TestKey::hmac(tower_jwt_auth::Algorithm::HS256, [7u8; 32]).token(&serde_json::json!({"iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": tower_jwt_auth::testing::now() + 60}));
/// # let verifier: Verifier<MyClaims> = Verifier::builder().claims::<MyClaims>().issuer(tower_jwt_auth::Issuer::hmac("https://issuer.example", [7u8; 32])).audience("api").algorithms([tower_jwt_auth::Algorithm::HS256]).build()?;
/// let claims: Claims<MyClaims> = verifier.verify(&token).await?;
/// assert_eq!(claims.sub, "alice"); // through `Deref`
/// let copy = claims.clone();
/// assert!(Arc::ptr_eq(&claims.0, &copy.0)); // one allocation, shared
/// # Ok(()) }
/// ```
pub struct Claims<C>(pub Arc<C>);

impl<C> Clone for Claims<C> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<C> Deref for Claims<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.0
    }
}

impl<C: fmt::Debug> fmt::Debug for Claims<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Claims").field(&self.0).finish()
    }
}

/// A token's scopes, from `scope` (RFC 8693 §4.2, space-separated) and `scp` (a string or an
/// array of strings, as Microsoft Entra and Okta send it), merged into one set.
///
/// ```
/// use tower_jwt_auth::RegisteredClaims;
///
/// let claims: RegisteredClaims = serde_json::from_value(serde_json::json!({
///     "scope": "orders:read orders:write", "scp": ["admin", "orders:read"],
/// }))?;
/// let scopes: Vec<&str> = claims.scopes.iter().collect();
/// assert_eq!(scopes, ["admin", "orders:read", "orders:write"]);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    fn add_spaced(&mut self, value: &str) {
        self.0.extend(
            value
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
    }
}

/// The registered claims of RFC 7519 §4.1, plus the token's scopes.
///
/// The layer always inserts `Claims<RegisteredClaims>` into the request extensions, beside
/// `Claims<C>`, so scope checks work whatever `C` is. It can also be `C` itself, or be read from
/// your own claims type by deserializing twice.
///
/// Times are `NumericDate`s (seconds since the epoch), rounded down.
///
/// ```
/// use tower_jwt_auth::RegisteredClaims;
///
/// let claims: RegisteredClaims = serde_json::from_value(serde_json::json!({
///     "iss": "https://issuer.example", "aud": "api", "exp": 1_800_000_000.9, "scp": "read",
/// }))?;
/// assert_eq!(claims.aud, ["api"]);
/// assert_eq!(claims.exp, Some(1_800_000_000));
/// assert!(claims.scopes.contains("read"));
/// assert!(serde_json::from_value::<RegisteredClaims>(serde_json::json!({"exp": "soon"})).is_err());
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RegisteredClaims {
    /// `iss`: the issuer.
    pub iss: Option<String>,
    /// `sub`: the subject.
    pub sub: Option<String>,
    /// `aud`: the audiences (a single string becomes one element).
    pub aud: Vec<String>,
    /// `exp`: expiry time.
    pub exp: Option<i64>,
    /// `nbf`: not-before time.
    pub nbf: Option<i64>,
    /// `iat`: issued-at time.
    pub iat: Option<i64>,
    /// `jti`: the token's unique identifier.
    pub jti: Option<String>,
    /// `scope` and `scp`, merged.
    pub scopes: Scopes,
}

/// The claim set as the verifier reads it: registered members with their types recorded, the
/// presence of `cnf`, and which of the required claims appeared.
#[derive(Debug, Default)]
pub(crate) struct RawClaims {
    pub(crate) iss: Option<Loose<String>>,
    pub(crate) sub: Option<Loose<String>>,
    pub(crate) aud: Option<Loose<StrOrList>>,
    pub(crate) exp: Option<Loose<f64>>,
    pub(crate) nbf: Option<Loose<f64>>,
    pub(crate) iat: Option<Loose<f64>>,
    pub(crate) jti: Option<Loose<String>>,
    pub(crate) scope: Option<Loose<String>>,
    pub(crate) scp: Option<Loose<StrOrList>>,
    /// The `cnf` claim (RFC 7800): what the token is bound to.
    pub(crate) cnf: Option<Binding>,
    /// Microsoft Entra's tenant id, for multi-tenant issuers.
    pub(crate) tid: Option<Loose<String>>,
    /// RFC 9068 `client_id`.
    pub(crate) client_id: Option<Loose<String>>,
    /// Members only ID tokens carry (`nonce`, `at_hash`, `c_hash`, OIDC Core §2, §3.3.2.11).
    pub(crate) id_token_member: bool,
    /// Bit `i` is set when `required[i]` is present.
    pub(crate) required_found: u64,
}

/// What a sender-constrained token is bound to: the confirmation methods of its `cnf` claim this
/// crate checks (RFC 9449 §6.1 `jkt`, RFC 8705 §3.1 `x5t#S256`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The RFC 7638 SHA-256 thumbprint of the DPoP proof key.
    pub(crate) jkt: Option<Box<str>>,
    /// The SHA-256 thumbprint of the client certificate.
    pub(crate) x5t_s256: Option<Box<str>>,
    /// `cnf` is not an object, or one of the members above is not a single string: the token is
    /// bound to something no request can show.
    pub(crate) unreadable: bool,
}

/// Longest list of extra required claims (a bit each in [`RawClaims::required_found`]).
pub(crate) const MAX_REQUIRED_CLAIMS: usize = 64;

/// Reads a claim set in one pass; a duplicate of any member it reads is an error.
pub(crate) struct ClaimsSeed<'a> {
    pub(crate) required: &'a [String],
}

#[allow(clippy::cast_possible_truncation)]
fn floor_secs(v: f64) -> i64 {
    // `as` saturates at the i64 range, which is what an out-of-range NumericDate should become.
    v.floor() as i64
}

/// Why a registered claim could not be read into [`RegisteredClaims`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WrongClaimType(pub(crate) &'static str);

/// The claim names [`RawClaims`] reads itself.
pub(crate) const READ_CLAIMS: [&str; 12] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "scope",
    "scp",
    "cnf",
    "tid",
    "client_id",
];

impl RawClaims {
    /// Whether the registered claim `name` (one of [`READ_CLAIMS`]) is present.
    pub(crate) fn has(&self, name: &str) -> bool {
        match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "aud" => self.aud.is_some(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "jti" => self.jti.is_some(),
            "scope" => self.scope.is_some(),
            "scp" => self.scp.is_some(),
            "cnf" => self.cnf.is_some(),
            "tid" => self.tid.is_some(),
            "client_id" => self.client_id.is_some(),
            _ => false,
        }
    }

    /// The public view; fails on a registered claim of the wrong type.
    pub(crate) fn to_registered(&self) -> Result<RegisteredClaims, WrongClaimType> {
        fn string(
            v: Option<&Loose<String>>,
            name: &'static str,
        ) -> Result<Option<String>, WrongClaimType> {
            match v {
                None => Ok(None),
                Some(Loose::Ok(s)) => Ok(Some(s.clone())),
                Some(Loose::WrongType) => Err(WrongClaimType(name)),
            }
        }
        fn time(v: Option<&Loose<f64>>, name: &'static str) -> Result<Option<i64>, WrongClaimType> {
            match v {
                None => Ok(None),
                Some(Loose::Ok(t)) => Ok(Some(floor_secs(*t))),
                Some(Loose::WrongType) => Err(WrongClaimType(name)),
            }
        }
        let aud = match &self.aud {
            None => Vec::new(),
            Some(Loose::Ok(StrOrList::One(a))) => vec![a.clone()],
            Some(Loose::Ok(StrOrList::Many(list))) => list.clone(),
            Some(Loose::WrongType) => return Err(WrongClaimType("aud")),
        };
        let mut scopes = Scopes::default();
        match &self.scope {
            None => {}
            Some(Loose::Ok(s)) => scopes.add_spaced(s),
            Some(Loose::WrongType) => return Err(WrongClaimType("scope")),
        }
        match &self.scp {
            None => {}
            Some(Loose::Ok(StrOrList::One(s))) => scopes.add_spaced(s),
            Some(Loose::Ok(StrOrList::Many(list))) => {
                scopes
                    .0
                    .extend(list.iter().filter(|s| !s.is_empty()).cloned());
            }
            Some(Loose::WrongType) => return Err(WrongClaimType("scp")),
        }
        Ok(RegisteredClaims {
            iss: string(self.iss.as_ref(), "iss")?,
            sub: string(self.sub.as_ref(), "sub")?,
            aud,
            exp: time(self.exp.as_ref(), "exp")?,
            nbf: time(self.nbf.as_ref(), "nbf")?,
            iat: time(self.iat.as_ref(), "iat")?,
            jti: string(self.jti.as_ref(), "jti")?,
            scopes,
        })
    }
}

impl<'de> de::Deserialize<'de> for RegisteredClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = ClaimsSeed { required: &[] }.deserialize(d)?;
        raw.to_registered().map_err(|WrongClaimType(name)| {
            de::Error::custom(format_args!("`{name}` has the wrong type"))
        })
    }
}

mod scopes;
mod seed;
#[cfg(test)]
mod tests;
