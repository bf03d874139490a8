//! Trusted issuers: an exact `iss` and where its keys come from.

use std::fmt;

use super::Refresh;

mod sources;

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
/// let verifier = tower_jwt_auth::Verifier::builder().issuer(issuer).build()?;
/// assert_eq!(verifier.status()[0].iss, "https://login.example.com/");
/// assert_eq!(verifier.status()[0].keys, 1);
/// # Ok::<_, tower_jwt_auth::ConfigError>(())
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
    /// A JWKS file, read again in the background.
    JwksFile(std::path::PathBuf),
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
            KeySource::JwksFile(_) => "JWKS file",
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

    /// Accepts tokens from these tenants of a multi-tenant issuer.
    ///
    /// A multi-tenant issuer's `iss` is a template with `{tenantid}` in it: given directly, or
    /// named by the discovery document of Microsoft Entra's `common` or `organizations`
    /// endpoints. A token is accepted when its `iss` equals the template with its `tid` claim (a
    /// GUID) put in, and that `tid` is one of these. Everything else about `iss` stays byte-exact.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{ConfigError, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let token = |tid: &str| key.token(&serde_json::json!({"iss": format!("https://login.example.com/{tid}/v2.0"), "tid": tid, "aud": "api", "exp": now() + 60}));
    /// # let verifier = |issuer: Issuer| Verifier::builder().issuer(issuer).audience("api").build();
    /// const TENANT: &str = "6f1c2e4a-d9f0-4b7e-a1d2-3c4b5a697887";
    /// let template = Issuer::static_keys("https://login.example.com/{tenantid}/v2.0", key.jwks());
    /// let verifier = verifier(template.tenants([TENANT]))?;
    /// assert!(verifier.verify(&token(TENANT)).await.is_ok());
    /// let stranger = token("00000000-0000-0000-0000-000000000000");
    /// assert_eq!(verifier.verify(&stranger).await.unwrap_err().code(), "wrong_issuer");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// For Microsoft Entra:
    /// `Issuer::discover("https://login.microsoftonline.com/organizations/v2.0").tenants([...])`.
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
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{ConfigError, Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let token = |tid: &str| key.token(&serde_json::json!({"iss": format!("https://login.example.com/{tid}/v2.0"), "tid": tid, "aud": "api", "exp": now() + 60}));
    /// # let verifier = |issuer: Issuer| Verifier::builder().issuer(issuer).audience("api").build();
    /// let template = || Issuer::static_keys("https://login.example.com/{tenantid}/v2.0", key.jwks());
    /// assert!(matches!(verifier(template()), Err(ConfigError::TenantsMissing { .. })));
    /// let verifier = verifier(template().insecure_any_tenant())?;
    /// assert!(verifier.verify(&token("00000000-0000-0000-0000-000000000000")).await.is_ok());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn insecure_any_tenant(mut self) -> Self {
        self.tenants = Tenants::Any;
        self
    }

    /// Allows plain `http` URLs for this issuer's key set and discovery document, to any host.
    ///
    /// Dangerous: anyone on the network path can then replace the keys and mint tokens. Plain
    /// http to a loopback address is allowed without this.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{ConfigError, Issuer, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |issuer: Issuer| Verifier::builder().issuer(issuer).audience("api").build().map(drop);
    /// let plain = || Issuer::jwks_url("https://login.example.com/", "http://keys.example.com/jwks");
    /// assert!(matches!(build(plain()), Err(ConfigError::InvalidUrl { .. })));
    /// assert!(build(plain().insecure_allow_http()).is_ok());
    /// # }
    /// ```
    #[must_use]
    pub fn insecure_allow_http(mut self) -> Self {
        self.allow_http = true;
        self
    }

    /// How this issuer's key set is fetched and refreshed (see [`Refresh`]). Only for
    /// [`jwks_url`](Self::jwks_url), [`discover`](Self::discover) and
    /// [`jwks_file`](Self::jwks_file) issuers: `build()` refuses it on keys given in the
    /// configuration.
    ///
    /// # Example
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_jwt_auth::{ConfigError, Issuer, Refresh, Verifier};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// # let build = |issuer: Issuer| Verifier::builder().issuer(issuer).audience("api").build().map(drop);
    /// let remote = Issuer::jwks_url("https://login.example.com/", "https://login.example.com/jwks");
    /// let zero = build(remote.refresh(Refresh::default().interval(Duration::ZERO)));
    /// assert!(matches!(zero, Err(ConfigError::Zero { setting: "interval" }))); // read by build()
    /// let local = Issuer::hmac("https://issuer.example", [7u8; 32]).refresh(Refresh::default());
    /// assert!(matches!(build(local), Err(ConfigError::RefreshWithoutRemoteKeys { .. })));
    /// # }
    /// ```
    #[must_use]
    pub fn refresh(mut self, refresh: Refresh) -> Self {
        self.refresh = Some(refresh);
        self
    }

    /// Accepts these audiences for this issuer's tokens instead of the verifier-wide ones.
    ///
    /// Call it several times to accept several audiences.
    ///
    /// # Example
    ///
    /// ```
    /// # use tower_jwt_auth::{Issuer, Verifier, testing::{TestKey, now}};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let key = TestKey::generate(tower_jwt_auth::Algorithm::ES256).with_kid("k1");
    /// # let token = |aud: &str| key.token(&serde_json::json!({"iss": "https://issuer.example", "aud": aud, "exp": now() + 60}));
    /// let verifier = Verifier::builder()
    ///     .issuer(Issuer::static_keys("https://issuer.example", key.jwks()).audience("orders"))
    ///     .audience("api")
    ///     .build()?;
    /// assert!(verifier.verify(&token("orders")).await.is_ok());
    /// assert_eq!(verifier.verify(&token("api")).await.unwrap_err().code(), "wrong_audience");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience
            .get_or_insert_with(Vec::new)
            .push(audience.into());
        self
    }

    /// The issuer identifier, compared byte for byte with a token's `iss`.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Issuer;
    ///
    /// // Discovery drops the trailing `/` to find its document; the identifier keeps it.
    /// assert_eq!(Issuer::discover("https://login.example.com/").iss(), "https://login.example.com/");
    /// ```
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
