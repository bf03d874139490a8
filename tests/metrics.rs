//! Metrics (feature `metrics`): the quickstart's `/metrics` at `METRICS_BIND`, scraped before and
//! after accepted, cached, rejected and kid-miss requests, moves by exactly those amounts; and
//! without the feature the `metrics` crate is not even a dependency.
#![allow(clippy::unwrap_used)]

mod common;

#[cfg(feature = "metrics")]
use std::collections::BTreeMap;
#[cfg(feature = "metrics")]
use std::time::Duration;

#[cfg(feature = "metrics")]
use common::examples::start_example;

/// Parses Prometheus text: `name{labels} value` → value.
#[cfg(feature = "metrics")]
fn parse(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[cfg(feature = "metrics")]
async fn scrape(port: u16) -> BTreeMap<String, f64> {
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    parse(&response.text().await.unwrap())
}

/// A free port on 127.0.0.1 for `METRICS_BIND`.
#[cfg(feature = "metrics")]
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[cfg(feature = "metrics")]
#[tokio::test]
async fn every_example_serves_its_metrics() {
    for name in [
        "axum",
        "hyper",
        "tonic",
        "cookie_login",
        "dpop",
        "mtls",
        "load_server",
    ] {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let (_running, _, _) = start_example(name, &[("METRICS_BIND", &bind)]);
        // The route, its status and content type (checked by `scrape`).
        let _ = scrape(port).await;
    }
}

#[cfg(feature = "metrics")]
#[tokio::test]
async fn the_quickstart_counts_exactly_what_it_did() {
    use tower_jwt_auth::Algorithm;
    use tower_jwt_auth::testing::{TestKey, now};

    let port = free_port();
    let metrics_bind = format!("127.0.0.1:{port}");
    let (_running, base, token) = start_example("quickstart", &[("METRICS_BIND", &metrics_bind)]);
    let token = token.expect("the quickstart prints a token");
    let cache_on = std::env::var("TOWER_JWT_AUTH_TOKEN_CACHE").as_deref() != Ok("off");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let me = |bearer: Option<String>| {
        let mut request = client.get(format!("{base}/me"));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };

    let before = scrape(port).await;
    assert_eq!(me(Some(token.clone())).await, 200); // cache miss
    assert_eq!(me(Some(token.clone())).await, 200); // cache hit
    assert_eq!(me(None).await, 401); // no token
    // A key the issuer never published: a cache miss, one refetch, then refused.
    let stranger = TestKey::generate(Algorithm::RS256).with_kid("not-published");
    let payload: serde_json::Value = {
        use base64::Engine as _;
        let part = token.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    let mut claims = payload.clone();
    claims["exp"] = serde_json::json!(now() + 300);
    assert_eq!(me(Some(stranger.token(&claims))).await, 401);
    let after = scrape(port).await;

    let iss = payload["iss"].as_str().unwrap();
    let delta = |series: &str| {
        after.get(series).copied().unwrap_or(0.0) - before.get(series).copied().unwrap_or(0.0)
    };
    assert_eq!(
        delta(r#"jwt_auth_requests_total{outcome="accepted",code="ok"}"#),
        2.0,
        "{after:#?}"
    );
    assert_eq!(
        delta(r#"jwt_auth_requests_total{outcome="rejected",code="missing"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"jwt_auth_requests_total{outcome="rejected",code="unknown_key"}"#),
        1.0
    );
    let (hits, misses) = if cache_on { (1.0, 2.0) } else { (0.0, 0.0) };
    assert_eq!(delta("jwt_auth_token_cache_hits_total"), hits);
    assert_eq!(delta("jwt_auth_token_cache_misses_total"), misses);
    assert_eq!(
        delta(&format!(
            r#"jwt_auth_kid_miss_refetches_total{{issuer="{iss}"}}"#
        )),
        1.0
    );
    let fetches = delta(&format!(
        r#"jwt_auth_jwks_fetches_total{{issuer="{iss}",result="updated"}}"#
    )) + delta(&format!(
        r#"jwt_auth_jwks_fetches_total{{issuer="{iss}",result="not_modified"}}"#
    ));
    assert_eq!(fetches, 1.0, "the kid-miss refetch");
    assert_eq!(
        after[&format!(r#"jwt_auth_jwks_keys{{issuer="{iss}"}}"#)],
        1.0
    );
    let last = after[&format!(r#"jwt_auth_jwks_last_success_timestamp_seconds{{issuer="{iss}"}}"#)];
    assert!((last - now() as f64).abs() < 60.0, "{last}");
    // No label carries a token, a claim value or a kid.
    for series in after.keys() {
        assert!(
            !series.contains(&token)
                && !series.contains("alice")
                && !series.contains("not-published"),
            "{series}"
        );
    }
}

#[test]
fn without_the_feature_the_metrics_crate_is_not_compiled_in() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let tree = |features: &str| {
        let out = std::process::Command::new(&cargo)
            .args([
                "tree",
                "-p",
                "tower-jwt-auth",
                "-e",
                "normal",
                "--no-default-features",
                "--features",
                features,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!tree("aws-lc-rs,axum,tonic,redis,testing").contains("metrics v"));
    assert!(tree("aws-lc-rs,metrics").contains("metrics v"));
}
