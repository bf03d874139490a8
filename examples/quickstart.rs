//! A protected axum endpoint, ready to try with curl.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! With no settings it needs nothing else: it generates an RS256 key pair, serves its own JWKS at
//! `/.well-known/jwks.json` (and a discovery document), fetches it back over HTTP like any
//! provider's key set, protects `GET /me` (which answers the token's claims as JSON), and prints a
//! ready token and the curl lines to try.
//!
//! Point it at your own identity provider instead:
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `BIND` | address to listen on | `127.0.0.1:3000` |
//! | `JWT_JWKS_URL` | the provider's JWKS, refreshed in the background | embedded key pair |
//! | `JWT_ISSUER` | the exact `iss` of its tokens; alone, its keys are found by OIDC discovery | the quickstart's own |
//! | `JWT_AUDIENCE` | the audience this API accepts | `quickstart` |
//! | `JWT_ALGORITHMS` | comma-separated: RS256..512, PS256..512, ES256, ES384, EdDSA | `RS256,ES256` |
//! | `JWT_COOKIE` | cookie read after the bearer header | `access_token` |
//! | `JWT_PROFILE` | `rfc9068`: only RFC 9068 `at+jwt` access tokens | any JWT access token |
//! | `JWT_RESOURCE` | this API's resource identifier URL: serves RFC 9728 metadata | not served |
//!
//! ```text
//! JWT_JWKS_URL=https://login.example.com/keys JWT_ISSUER=https://login.example.com/ \
//!   JWT_AUDIENCE=api://orders cargo run --example quickstart
//! ```
//!
//! A missing or invalid setting ends the program with a message and exit code 2.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::{Json, Router, routing::get};
use serde_json::{Value, json};
use tower_jwt_auth::metadata::ProtectedResourceMetadata;
use tower_jwt_auth::testing::{TestKey, now};
use tower_jwt_auth::{Algorithm, Claims, Issuer, JwtAuthLayer, TokenSource};

struct Settings {
    bind: SocketAddr,
    jwks_url: Option<String>,
    issuer: Option<String>,
    audience: String,
    algorithms: Vec<Algorithm>,
    cookie: String,
    rfc9068: bool,
    resource: Option<String>,
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

fn settings() -> Result<Settings, String> {
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let bind = bind
        .parse()
        .map_err(|_| format!("BIND: {bind:?} is not an address like 127.0.0.1:3000"))?;
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
    })
}

async fn me(Claims(claims): Claims<Value>) -> Json<Value> {
    Json(claims.as_ref().clone())
}

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match settings() {
        Ok(s) => s,
        Err(message) => {
            eprintln!("quickstart: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(settings.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("quickstart: cannot listen on {}: {e}", settings.bind);
            return ExitCode::from(2);
        }
    };
    let bound = listener.local_addr().unwrap_or(settings.bind);
    let base = format!("http://{bound}");

    let mut app = Router::new();
    let mut demo_token = None;
    let issuer = match (&settings.jwks_url, &settings.issuer) {
        (Some(url), Some(iss)) => Issuer::jwks_url(iss.clone(), url.clone()),
        (None, Some(iss)) => Issuer::discover(iss.clone()),
        _ => {
            // The embedded default: our own key pair, served over HTTP like any provider's,
            // with a discovery document, and fetched by the layer through the real client.
            let key = TestKey::generate(Algorithm::RS256).with_kid("quickstart-1");
            let jwks = key.jwks();
            let discovery =
                json!({ "issuer": base, "jwks_uri": format!("{base}/.well-known/jwks.json") })
                    .to_string();
            app = app
                .route(
                    "/.well-known/jwks.json",
                    get(move || async move {
                        ([("content-type", "application/jwk-set+json")], jwks.clone())
                    }),
                )
                .route(
                    "/.well-known/openid-configuration",
                    get(move || async move {
                        ([("content-type", "application/json")], discovery.clone())
                    }),
                );
            let claims = json!({
                "iss": base, "aud": settings.audience, "sub": "alice", "client_id": "quickstart-cli",
                "scope": "orders:read", "iat": now(), "exp": now() + 3600, "jti": format!("{}", now()),
            });
            // RFC 9068 access tokens are typed `at+jwt`.
            let typ = if settings.rfc9068 { "at+jwt" } else { "JWT" };
            let header = json!({ "alg": "RS256", "kid": "quickstart-1", "typ": typ });
            demo_token = Some(key.sign(&header, &claims));
            Issuer::jwks_url(base.clone(), format!("{base}/.well-known/jwks.json"))
        }
    };
    let iss = issuer.iss().to_owned();

    let mut builder = JwtAuthLayer::<Value>::builder()
        .issuer(issuer)
        .audience(settings.audience.clone())
        .algorithms(settings.algorithms.clone())
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie(settings.cookie.clone()));
    if settings.rfc9068 {
        builder = builder.rfc9068();
    }
    if let Some(resource) = &settings.resource {
        match ProtectedResourceMetadata::url_for(resource) {
            Ok(url) => builder = builder.resource_metadata(url),
            Err(e) => {
                eprintln!("quickstart: JWT_RESOURCE: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let auth = builder.build();
    let auth = match auth {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("quickstart: {e}");
            return ExitCode::from(2);
        }
    };
    let mut app = app;
    if let Some(resource) = &settings.resource {
        // RFC 9728: tell OAuth clients where tokens for this resource come from.
        match auth.protected_resource_metadata(resource.clone()) {
            Ok(metadata) => {
                let path = metadata.path().to_owned();
                app = app.route_service(&path, metadata);
            }
            Err(e) => {
                eprintln!("quickstart: JWT_RESOURCE: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let app = app.merge(Router::new().route("/me", get(me)).layer(auth));

    println!("tower-jwt-auth quickstart on {base}");
    println!("  issuer:   {iss}");
    println!("  audience: {}", settings.audience);
    if let Some(token) = &demo_token {
        println!("  keys:     {base}/.well-known/jwks.json (generated at start-up)");
        println!();
        println!("A token for `alice`, valid for one hour:");
        println!();
        println!("TOKEN={token}");
        println!();
        println!("Try:");
        println!("  curl -i {base}/me -H \"Authorization: Bearer $TOKEN\"      # 200, the claims");
        println!(
            "  curl -i {base}/me --cookie \"{}=$TOKEN\"   # 200, from the cookie",
            settings.cookie
        );
        println!(
            "  curl -i {base}/me                                        # 401, WWW-Authenticate"
        );
        println!(
            "  curl -i {base}/me -H \"Authorization: Bearer x.y.z\"      # 401, invalid_token"
        );
    } else {
        println!(
            "  keys:     {}",
            settings.jwks_url.as_deref().unwrap_or_default()
        );
        println!();
        println!(
            "Try: curl -i {base}/me -H \"Authorization: Bearer <a token from your provider>\""
        );
    }

    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("quickstart: server error: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
