//! OpenID Connect Discovery 1.0 §4: the configuration document's `jwks_uri`.

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::fetch::{self, FetchError, Fetched};
use crate::jwks::TENANT_PLACEHOLDER;

/// Largest discovery document read.
const MAX_DISCOVERY_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct Configuration {
    issuer: String,
    jwks_uri: String,
}

/// The configuration URL of an issuer: one trailing `/` stripped, then
/// `/.well-known/openid-configuration` appended.
pub(crate) fn configuration_url(issuer: &str) -> Result<Url, String> {
    let base = issuer.strip_suffix('/').unwrap_or(issuer);
    Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|e| format!("issuer {issuer:?} is not a URL: {e}"))
}

/// What a discovery document told.
#[derive(Debug)]
pub(crate) struct Discovered {
    pub(crate) jwks_uri: Url,
    /// The issuer template, for a multi-tenant document (`{tenantid}` in its `issuer`).
    pub(crate) template: Option<String>,
}

/// Fetches the configuration and returns its `jwks_uri`, after checking that its `issuer` is
/// byte-equal to the configured one, or (for an issuer configured with tenants) a
/// `{tenantid}` template.
pub(crate) async fn discover(
    client: &reqwest::Client,
    config: &Url,
    issuer: &str,
    multi_tenant: bool,
    timeout: Duration,
    allow_http: bool,
) -> Result<Discovered, FetchError> {
    let fetched = fetch::fetch(
        client,
        config,
        None,
        "application/json",
        timeout,
        MAX_DISCOVERY_BYTES,
        allow_http,
    )
    .await?;
    let Fetched::Body { body, .. } = fetched else {
        return Err(FetchError::Invalid(
            "discovery answered 304 to an unconditional request".into(),
        ));
    };
    let doc: Configuration = serde_json::from_slice(&body).map_err(|_| {
        FetchError::Invalid("discovery document without string `issuer` and `jwks_uri`".into())
    })?;
    let mut template = None;
    if doc.issuer != issuer {
        if !doc.issuer.contains(TENANT_PLACEHOLDER) {
            return Err(FetchError::Invalid(format!(
                "discovery document names issuer {:?}, not the configured {issuer:?}",
                doc.issuer
            )));
        }
        if !multi_tenant {
            return Err(FetchError::Invalid(format!(
                "discovery document is multi-tenant (issuer {:?}): configure the issuer's \
                 `.tenants([...])`, or `insecure_any_tenant()`",
                doc.issuer
            )));
        }
        template = Some(doc.issuer);
    } else if multi_tenant {
        // Tenants were configured, but the document is single-tenant: no token could match.
        return Err(FetchError::Invalid(format!(
            "discovery document is not multi-tenant (issuer {:?}): remove the issuer's \
             `.tenants([...])`",
            doc.issuer
        )));
    }
    let jwks = Url::parse(&doc.jwks_uri)
        .map_err(|_| FetchError::Invalid("`jwks_uri` is not a URL".into()))?;
    fetch::check_discovered_scheme(config, &jwks, allow_http).map_err(FetchError::Invalid)?;
    Ok(Discovered {
        jwks_uri: jwks,
        template,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_slash_is_stripped() {
        assert_eq!(
            configuration_url("https://login.example.com/")
                .unwrap()
                .as_str(),
            "https://login.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            configuration_url("https://login.example.com/tenant")
                .unwrap()
                .as_str(),
            "https://login.example.com/tenant/.well-known/openid-configuration"
        );
        assert!(configuration_url("not a url").is_err());
    }
}
