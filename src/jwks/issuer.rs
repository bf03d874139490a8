//! Trusted issuers: an exact `iss` and where its keys come from.

use std::fmt;

use super::Refresh;

/// A trusted token issuer: its exact `iss` value and where its verification keys come from.
///
/// Add one or more to a builder with [`VerifierBuilder::issuer`](crate::VerifierBuilder::issuer).
/// A token is checked only against the keys of the issuer its `iss` names, byte for byte.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::Issuer;
///
/// let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","kid":"k1",
///     "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;
/// let issuer = Issuer::static_keys("https://login.example.com/", jwks)
///     .audience("api://orders"); // overrides the verifier-wide audience for this issuer
/// # let _ = issuer;
/// ```
#[derive(Clone)]
pub struct Issuer {
    pub(crate) iss: String,
    pub(crate) keys: KeySource,
    pub(crate) audience: Option<Vec<String>>,
    pub(crate) allow_http: bool,
    pub(crate) tenants: Tenants,
    pub(crate) refresh: Option<Refresh>,
}

/// Which tenants a multi-tenant issuer accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tenants {
    /// Not configured: a `{tenantid}` template is refused.
    Unset,
    /// Only these tenant ids.
    Only(Vec<String>),
    /// Any tenant (`insecure_any_tenant`).
    Any,
}

/// The placeholder of a multi-tenant issuer template (Microsoft Entra's `common` and
/// `organizations` discovery documents).
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

#[derive(Clone)]
pub(crate) enum KeySource {
    Jwks(String),
    Hmac(Vec<u8>),
    Pem(Vec<u8>),
    /// A JWKS URL, fetched and refreshed in the background.
    JwksUrl(String),
    /// OIDC discovery from the issuer identifier.
    Discover,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.keys {
            KeySource::Jwks(_) => "static JWKS",
            KeySource::Hmac(_) => "HMAC secret <redacted>",
            KeySource::Pem(_) => "PEM public key",
            KeySource::JwksUrl(_) => "remote JWKS",
            KeySource::Discover => "OIDC discovery",
        };
        f.debug_struct("Issuer")
            .field("iss", &self.iss)
            .field("keys", &keys)
            .field("audience", &self.audience)
            .field("allow_http", &self.allow_http)
            .field("tenants", &self.tenants)
            .field("refresh", &self.refresh)
            .finish()
    }
}

impl Issuer {
    fn new(iss: impl Into<String>, keys: KeySource) -> Self {
        Self {
            iss: iss.into(),
            keys,
            audience: None,
            allow_http: false,
            tenants: Tenants::Unset,
            refresh: None,
        }
    }

    /// An issuer whose keys are the JWKS at `url`, fetched in the background and refreshed
    /// (see [`Refresh`] for the refresh model and its defaults).
    ///
    /// The URL must be `https`, or `http` to a loopback host (`127.0.0.0/8`, `[::1]`,
    /// `localhost`), unless [`insecure_allow_http`](Self::insecure_allow_http) is called.
    /// Redirects are followed only within the URL's origin.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::{Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tower_jwt_auth::ConfigError> {
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::jwks_url(
    ///         "https://login.example.com/",
    ///         "https://login.example.com/.well-known/jwks.json",
    ///     ))
    ///     .audience("api://orders")
    ///     .build()?; // spawns the refresher: needs a tokio runtime
    /// assert_eq!(verifier.status()[0].iss, "https://login.example.com/");
    /// # Ok(())
    /// # }
    /// ```
    pub fn jwks_url(iss: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(iss, KeySource::JwksUrl(url.into()))
    }

    /// An issuer whose keys are found by OpenID Connect Discovery: one trailing `/` is stripped
    /// from `iss`, `/.well-known/openid-configuration` appended, and the document's `jwks_uri`
    /// fetched like [`jwks_url`](Self::jwks_url). The document's `issuer` must be byte-equal to
    /// `iss`.
    pub fn discover(iss: impl Into<String>) -> Self {
        Self::new(iss, KeySource::Discover)
    }

    /// Accepts tokens from these tenants of a multi-tenant issuer.
    ///
    /// A multi-tenant issuer's `iss` is a template with `{tenantid}` in it: given directly, or
    /// named by the discovery document of Microsoft Entra's `common` or `organizations`
    /// endpoints. A token is accepted when its `iss` equals the template with its `tid` claim (a
    /// GUID) put in, and that `tid` is one of these. Everything else about `iss` stays byte-exact.
    ///
    /// # Example
    ///
    /// ```no_run
    /// use tower_jwt_auth::Issuer;
    ///
    /// let entra = Issuer::discover("https://login.microsoftonline.com/organizations/v2.0")
    ///     .tenants(["6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887"]);
    /// # let _ = entra;
    /// ```
    #[must_use]
    pub fn tenants<I, S>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tenants = Tenants::Only(tenants.into_iter().map(Into::into).collect());
        self
    }

    /// Accepts tokens from every tenant of a multi-tenant issuer.
    ///
    /// Dangerous: anyone can create a tenant and get tokens from it, so this accepts tokens
    /// from people who have nothing to do with you. Check the tenant (`tid`) yourself.
    #[must_use]
    pub fn insecure_any_tenant(mut self) -> Self {
        self.tenants = Tenants::Any;
        self
    }

    /// Allows plain `http` URLs for this issuer's key set and discovery document, to any host.
    ///
    /// Dangerous: anyone on the network path can then replace the keys and mint tokens. Plain
    /// http to a loopback address is allowed without this.
    #[must_use]
    pub fn insecure_allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// An issuer whose keys are a JWKS document given as JSON (RFC 7517 §5).
    ///
    /// The set is read key by key: a key that can't be used (unknown `kty` or curve, `use: enc`,
    /// RSA under 2048 bits, private members, malformed members) is skipped, and the others work.
    /// `oct` keys are accepted here, since the set comes from the application itself. A key with
    /// an `alg` member is usable only with that algorithm; a key without one only with the
    /// algorithms named in [`algorithms`](crate::VerifierBuilder::algorithms).
    pub fn static_keys(iss: impl Into<String>, jwks: impl Into<String>) -> Self {
        Self::new(iss, KeySource::Jwks(jwks.into()))
    }

    /// An issuer that signs with a shared HMAC secret (HS256/HS384/HS512).
    ///
    /// Name the algorithm in [`algorithms`](crate::VerifierBuilder::algorithms). `build()` refuses
    /// a secret shorter than the hash of an allowed HS* algorithm: 32, 48 or 64 bytes
    /// (RFC 7518 §3.2).
    pub fn hmac(iss: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        Self::new(iss, KeySource::Hmac(secret.as_ref().to_vec()))
    }

    /// An issuer with one PEM public key (`-----BEGIN PUBLIC KEY-----`, or
    /// `-----BEGIN RSA PUBLIC KEY-----`): RSA (2048 bits or more), EC P-256/P-384 or Ed25519.
    ///
    /// The key has no `alg` of its own: name its algorithms in
    /// [`algorithms`](crate::VerifierBuilder::algorithms).
    pub fn pem(iss: impl Into<String>, pem: impl AsRef<[u8]>) -> Self {
        Self::new(iss, KeySource::Pem(pem.as_ref().to_vec()))
    }

    /// How this issuer's remote key set is fetched and refreshed (see [`Refresh`]). Only for
    /// [`jwks_url`](Self::jwks_url) and [`discover`](Self::discover) issuers: `build()` refuses
    /// it on keys given in the configuration.
    #[must_use]
    pub fn refresh(mut self, refresh: Refresh) -> Self {
        self.refresh = Some(refresh);
        self
    }

    /// Accepts these audiences for this issuer's tokens instead of the verifier-wide ones.
    ///
    /// Call it several times to accept several audiences.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience
            .get_or_insert_with(Vec::new)
            .push(audience.into());
        self
    }

    /// The issuer identifier, compared byte for byte with a token's `iss`.
    #[must_use]
    pub fn iss(&self) -> &str {
        &self.iss
    }
}

impl Tenants {
    pub(crate) fn is_set(&self) -> bool {
        *self != Self::Unset
    }

    /// Whether `iss` is `template` with `tid` in place of `{tenantid}`, and `tid` a GUID this
    /// rule accepts.
    pub(crate) fn matches(&self, template: &str, iss: &str, tid: &str) -> bool {
        let allowed = match self {
            Self::Unset => false,
            Self::Any => true,
            Self::Only(list) => list.iter().any(|t| t == tid),
        };
        let Some((prefix, suffix)) = template.split_once(TENANT_PLACEHOLDER) else {
            return false;
        };
        allowed
            && is_guid(tid)
            && iss.len() == prefix.len() + tid.len() + suffix.len()
            && iss.starts_with(prefix)
            && iss.ends_with(suffix)
            && &iss[prefix.len()..iss.len() - suffix.len()] == tid
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal.
fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887";
    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

    #[test]
    fn tenant_templates_match_exactly() {
        let only = Tenants::Only(vec![T.to_owned()]);
        let iss = format!("https://login.microsoftonline.com/{T}/v2.0");
        assert!(only.matches(TEMPLATE, &iss, T));
        assert!(Tenants::Any.matches(TEMPLATE, &iss, T));
        assert!(!Tenants::Unset.matches(TEMPLATE, &iss, T));
        let other = "00000000-0000-0000-0000-000000000000";
        assert!(
            !only.matches(TEMPLATE, &iss.replace(T, other), other),
            "tenant not allowed"
        );
        assert!(
            !only.matches(TEMPLATE, &iss, other),
            "tid must be the one in iss"
        );
        assert!(
            !only.matches(TEMPLATE, &format!("{iss}/"), T),
            "suffix is exact"
        );
        assert!(!Tenants::Any.matches(TEMPLATE, "https://login.microsoftonline.com/x/v2.0", "x"));
    }
}
