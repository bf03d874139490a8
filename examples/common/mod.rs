//! What every example shares: its settings from the environment, and the embedded issuer it runs
//! on when none of the `JWT_*` variables is set.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `BIND` | address to listen on | per example |
//! | `JWT_JWKS_URL` | the provider's JWKS, refreshed in the background | embedded issuer |
//! | `JWT_ISSUER` | the exact `iss` of its tokens; alone, its keys are found by OIDC discovery | embedded issuer |
//! | `JWT_AUDIENCE` | the audience this API accepts | `quickstart` |
//! | `JWT_ALGORITHMS` | comma-separated: RS256..512, PS256..512, ES256, ES384, EdDSA | `RS256,ES256` |
//! | `JWT_COOKIE` | cookie read after the bearer header | `access_token` |
//! | `JWT_PROFILE` | `rfc9068`: only RFC 9068 `at+jwt` access tokens | any JWT access token |
//! | `JWT_RESOURCE` | this API's resource identifier URL: serves RFC 9728 metadata | not served |
//! | `REDIS_URL` | revocation checks in this Redis (`redis://127.0.0.1:6379`); needs `--features redis` | no revocation |
//! | `JWT_REVOCATION_FAIL` | `open`: pass requests while Redis can't answer; `closed`: 503 | `closed` |
#![allow(dead_code, unreachable_pub, clippy::exit)]

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use serde_json::json;
use tower_jwt_auth::testing::{TestKey, now};
use tower_jwt_auth::{
    Algorithm, ConfigError, Issuer, JwtAuthLayer, TokenSource, Verifier, VerifierBuilder,
};

/// An example's settings.
pub struct Settings {
    pub bind: SocketAddr,
    pub jwks_url: Option<String>,
    pub issuer: Option<String>,
    pub audience: String,
    pub algorithms: Vec<Algorithm>,
    pub cookie: String,
    pub rfc9068: bool,
    pub resource: Option<String>,
    /// Revocation checks in Redis (`REDIS_URL`).
    #[cfg(feature = "redis")]
    pub revocation: Option<tower_jwt_auth::revocation::RedisRevocation>,
    /// `JWT_REVOCATION_FAIL=open`.
    pub revocation_fail_open: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    // Names are case-sensitive (RFC 7518 §3.1); HMAC has no place in a remote key set.
    match name.trim().parse::<Algorithm>() {
        Ok(alg) if !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) => {
            Ok(alg)
        }
        _ => Err(format!(
            "JWT_ALGORITHMS: {name:?} is not one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA"
        )),
    }
}

/// Reads the settings; a missing or invalid one is an error message.
pub fn settings(default_bind: &str) -> Result<Settings, String> {
    let bind = var("BIND").unwrap_or_else(|| default_bind.to_owned());
    let bind = bind
        .parse()
        .map_err(|_| format!("BIND: {bind:?} is not an address like {default_bind}"))?;
    let jwks_url = var("JWT_JWKS_URL");
    let issuer = var("JWT_ISSUER");
    if jwks_url.is_some() && issuer.is_none() {
        return Err(
            "JWT_ISSUER is required with JWT_JWKS_URL: the exact `iss` of your tokens".to_owned(),
        );
    }
    let algorithms = var("JWT_ALGORITHMS")
        .unwrap_or_else(|| "RS256,ES256".to_owned())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(parse_algorithm)
        .collect::<Result<Vec<_>, _>>()?;
    if algorithms.is_empty() {
        return Err("JWT_ALGORITHMS: name at least one algorithm".to_owned());
    }
    let revocation_fail_open = match var("JWT_REVOCATION_FAIL").as_deref() {
        None | Some("closed") => false,
        Some("open") => true,
        Some(other) => {
            return Err(format!(
                "JWT_REVOCATION_FAIL: {other:?} is not `open` or `closed`"
            ));
        }
    };
    #[cfg(feature = "redis")]
    let revocation = match var("REDIS_URL") {
        Some(url) => Some(
            tower_jwt_auth::revocation::RedisRevocation::new(&url)
                .map_err(|e| format!("REDIS_URL: not a Redis URL ({e})"))?,
        ),
        None => None,
    };
    #[cfg(not(feature = "redis"))]
    if var("REDIS_URL").is_some() {
        return Err(
            "REDIS_URL is set, but this build has no Redis revocation: run it with \
             `--features redis` (it will not start without the revocation checks you asked for)"
                .to_owned(),
        );
    }
    Ok(Settings {
        bind,
        jwks_url,
        issuer,
        audience: var("JWT_AUDIENCE").unwrap_or_else(|| "quickstart".to_owned()),
        algorithms,
        cookie: var("JWT_COOKIE").unwrap_or_else(|| "access_token".to_owned()),
        rfc9068: match var("JWT_PROFILE").as_deref() {
            None => false,
            Some("rfc9068") => true,
            Some(other) => return Err(format!("JWT_PROFILE: {other:?} is not `rfc9068`")),
        },
        resource: var("JWT_RESOURCE"),
        #[cfg(feature = "redis")]
        revocation,
        revocation_fail_open,
    })
}

/// Serves the crate's metrics in Prometheus text at `http://<METRICS_BIND>/metrics` when
/// `METRICS_BIND` is set (with the `metrics` feature; without it, a set `METRICS_BIND` is a bad
/// setting rather than silently ignored). Call it inside the tokio runtime.
pub fn serve_metrics(program: &str) {
    let Some(bind) = std::env::var("METRICS_BIND")
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
    else {
        return;
    };
    #[cfg(feature = "metrics")]
    {
        let addr: SocketAddr = bind
            .parse()
            .unwrap_or_else(|e| bad_setting(program, format!("METRICS_BIND: {e}")));
        // Bound here and kept, so a taken address is a bad setting, not a background error.
        let listener = std::net::TcpListener::bind(addr)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(tokio::net::TcpListener::from_std)
            .unwrap_or_else(|e| bad_setting(program, format!("METRICS_BIND: {e}")));
        let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .unwrap_or_else(|e| bad_setting(program, format!("metrics recorder: {e}")));
        let upkeep = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                upkeep.run_upkeep();
            }
        });
        let text = [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )];
        let metrics = Router::new().route(
            "/metrics",
            get(move || std::future::ready((text, handle.render()))),
        );
        tokio::spawn(async move { axum::serve(listener, metrics).await });
    }
    #[cfg(not(feature = "metrics"))]
    bad_setting(
        program,
        format!(
            "METRICS_BIND={bind} is set, but this build has no metrics: run it with `--features metrics`"
        ),
    );
}

/// Prints the message and ends the program with exit code 2 (a bad setting).
pub fn bad_setting(name: &str, message: impl std::fmt::Display) -> ! {
    eprintln!("{name}: {message}");
    std::process::exit(2)
}

/// Listens on `BIND`, or ends the program with exit code 2 saying why it can't.
pub async fn listen(settings: &Settings, program: &str) -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .unwrap_or_else(|e| {
            bad_setting(program, format!("cannot listen on {}: {e}", settings.bind))
        });
    let base = format!("http://{}", listener.local_addr().unwrap_or(settings.bind));
    (listener, base)
}

/// The embedded issuer: a generated RS256 key whose JWKS and discovery document are served over
/// HTTP, so the layer fetches them like any provider's.
pub struct Embedded {
    pub key: TestKey,
    pub iss: String,
}

impl Embedded {
    pub fn new(iss: String, kid: &str) -> Self {
        Self {
            key: TestKey::generate(Algorithm::RS256).with_kid(kid),
            iss,
        }
    }

    /// `/.well-known/jwks.json` and `/.well-known/openid-configuration`.
    pub fn routes(&self) -> Router {
        let jwks = self.key.jwks();
        let discovery = json!({ "issuer": self.iss, "jwks_uri": format!("{}/.well-known/jwks.json", self.iss) })
            .to_string();
        Router::new()
            .route(
                "/.well-known/jwks.json",
                get(move || async move { ([("content-type", "application/jwk-set+json")], jwks.clone()) }),
            )
            .route(
                "/.well-known/openid-configuration",
                get(move || async move { ([("content-type", "application/json")], discovery.clone()) }),
            )
    }

    /// Serves the issuer on its own loopback port (for examples whose own port speaks gRPC).
    pub async fn spawn(kid: &str) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let embedded = Self::new(format!("http://{}", listener.local_addr()?), kid);
        let app = embedded.routes();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(embedded)
    }

    /// The issuer the layer trusts: this one's JWKS over HTTP.
    pub fn issuer(&self) -> Issuer {
        Issuer::jwks_url(
            self.iss.clone(),
            format!("{}/.well-known/jwks.json", self.iss),
        )
    }

    /// A token for `sub` with these scopes, valid for `seconds`; `at+jwt` under RFC 9068.
    pub fn token(
        &self,
        sub: &str,
        scope: &str,
        audience: &str,
        seconds: i64,
        rfc9068: bool,
    ) -> String {
        let claims = json!({
            "iss": self.iss, "aud": audience, "sub": sub, "client_id": "example-cli",
            "scope": scope, "iat": now(), "exp": now() + seconds, "jti": format!("{sub}-{}", now()),
        });
        let typ = if rfc9068 { "at+jwt" } else { "JWT" };
        let header = json!({ "alg": "RS256", "kid": self.key.kid(), "typ": typ });
        self.key.sign(&header, &claims)
    }
}

/// The issuer from the settings: by JWKS URL, by discovery from `JWT_ISSUER` alone, or `None`
/// for the embedded one.
pub fn configured_issuer(settings: &Settings) -> Option<Issuer> {
    match (&settings.jwks_url, &settings.issuer) {
        (Some(url), Some(iss)) => Some(Issuer::jwks_url(iss.clone(), url.clone())),
        (None, Some(iss)) => Some(Issuer::discover(iss.clone())),
        _ => None,
    }
}

/// A verifier builder with the settings applied: audience, algorithms, the revocation store
/// and its failure policy, and the RFC 9068 profile when asked for.
pub fn verifier<C>(settings: &Settings, issuer: Issuer) -> VerifierBuilder<C> {
    #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
    let mut builder = VerifierBuilder::<C>::new()
        .issuer(issuer)
        .audience(settings.audience.clone())
        .algorithms(settings.algorithms.clone());
    // The failure policy applies to a store: without one (no `REDIS_URL`) there is nothing to
    // fail open or closed.
    #[cfg(feature = "redis")]
    if let Some(store) = &settings.revocation {
        builder = builder.revocation(store.clone());
        if settings.revocation_fail_open {
            builder = builder.revocation_fail_open();
        }
    }
    if settings.rfc9068 {
        builder.rfc9068()
    } else {
        builder
    }
}

/// The layer around `verifier` reading the bearer header, then the cookie named by the settings.
///
/// # Errors
///
/// A cookie name that is not one.
pub fn layer<C>(
    settings: &Settings,
    verifier: Verifier<C>,
) -> Result<JwtAuthLayer<C>, ConfigError> {
    Ok(JwtAuthLayer::new(verifier)
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie(settings.cookie.clone())?))
}

/// The settings' verifier and layer, or the end of `program` (exit code 2) saying why not.
pub fn auth<C>(settings: &Settings, issuer: Issuer, program: &str) -> JwtAuthLayer<C> {
    verifier::<C>(settings, issuer)
        .build()
        .and_then(|verifier| layer(settings, verifier))
        .unwrap_or_else(|e| bad_setting(program, e))
}
