//! The main job, as a user runs it: the quickstart example binary on the embedded default, driven
//! over HTTP with the token it prints; and its exit code 2 for bad settings.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::examples::{example, start_example};

fn quickstart() -> PathBuf {
    example("quickstart")
}

fn start(vars: &[(&str, &str)]) -> (common::examples::Running, String, Option<String>) {
    start_example("quickstart", vars)
}

#[tokio::test]
async fn quickstart_serves_me_with_the_printed_token() {
    let (_running, base, token) = start(&[]);
    let token = token.expect("the embedded default prints a token");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let me = client
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let claims: serde_json::Value = serde_json::from_str(&me.text().await.unwrap()).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["iss"], base.as_str());

    let cookie = client
        .get(format!("{base}/me"))
        .header("cookie", format!("access_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 200);

    let anonymous = client.get(format!("{base}/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        r#"Bearer realm="api""#
    );

    let jwks = client
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    assert!(
        jwks.text()
            .await
            .unwrap()
            .contains(r#""kid":"quickstart-1""#)
    );
}

/// A second quickstart trusts the first one as its identity provider: by JWKS URL, and by
/// discovery from the issuer alone.
#[tokio::test]
async fn quickstart_protects_me_with_another_providers_keys() {
    let (_idp, idp_base, token) = start(&[]);
    let token = token.unwrap();
    let jwks_url = format!("{idp_base}/.well-known/jwks.json");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for vars in [
        vec![
            ("JWT_JWKS_URL", jwks_url.as_str()),
            ("JWT_ISSUER", idp_base.as_str()),
        ],
        vec![("JWT_ISSUER", idp_base.as_str())],
    ] {
        let (_api, api_base, printed) = start(&vars);
        assert!(
            printed.is_none(),
            "no demo token when pointed at a provider"
        );
        let me = client
            .get(format!("{api_base}/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200, "{vars:?}");
        let forged = client
            .get(format!("{api_base}/me"))
            .bearer_auth("x.y.z")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 401);
    }
}

#[tokio::test]
async fn quickstart_at_jwt_profile_and_resource_metadata() {
    let (_running, base, token) = start(&[
        ("JWT_PROFILE", "rfc9068"),
        ("JWT_RESOURCE", "https://api.example.com/orders"),
    ]);
    let token = token.unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let me = client
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        200,
        "the printed token is an at+jwt access token"
    );
    let metadata = client
        .get(format!(
            "{base}/.well-known/oauth-protected-resource/orders"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(metadata.status(), 200);
    let doc: serde_json::Value = serde_json::from_str(&metadata.text().await.unwrap()).unwrap();
    assert_eq!(doc["resource"], "https://api.example.com/orders");
    assert_eq!(doc["authorization_servers"][0], base.as_str());
    let denied = client.get(format!("{base}/me")).send().await.unwrap();
    let challenge = denied.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/orders""#),
        "{challenge}"
    );
}

#[test]
fn quickstart_exits_2_on_bad_settings() {
    // An address another listener holds: METRICS_BIND must not fail in the background.
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = held.local_addr().unwrap().to_string();
    for (name, value) in [
        ("METRICS_BIND", "not an address"),
        // With the feature, a taken address; without it, any address (no silent no-metrics).
        ("METRICS_BIND", taken.as_str()),
        ("JWT_ALGORITHMS", "HS256"),
        ("JWT_ALGORITHMS", "rs256"),
        ("JWT_PROFILE", "oauth"),
        ("JWT_RESOURCE", "not a url"),
        ("BIND", "not an address"),
        ("JWT_ISSUER", "http://issuer.example"),
        ("JWT_JWKS_URL", "http://127.0.0.1:9/jwks.json"),
        ("JWT_REVOCATION_FAIL", "sometimes"),
        #[cfg(feature = "redis")]
        ("REDIS_URL", "not a url"),
        // Without the feature, asking for revocation must not start a server without it.
        #[cfg(not(feature = "redis"))]
        ("REDIS_URL", "redis://127.0.0.1:6379"),
    ] {
        let mut child = Command::new(quickstart())
            .env("BIND", "127.0.0.1:0")
            .env_remove("REDIS_URL")
            .env(name, value)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run quickstart");
        // A quickstart that starts serving instead of exiting must fail the test, not hang it.
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{name}={value}: the quickstart did not exit (an example binary built with \
                     other features than this test? `cargo build --examples` with the same ones)"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        assert_eq!(status.code(), Some(2), "{name}={value}: {stderr}");
        assert!(stderr.starts_with("quickstart: "), "{stderr}");
        if name == "METRICS_BIND" {
            assert!(stderr.starts_with("quickstart: METRICS_BIND"), "{stderr}");
        }
        if name == "JWT_RESOURCE" {
            // The printed line is a contract: the setting, then the reason.
            assert!(
                stderr.starts_with("quickstart: JWT_RESOURCE: `resource_metadata`: "),
                "{stderr}"
            );
        }
    }
}

/// The shared-state promise end to end, at the defaults (token cache on): a provider publishes
/// {A,B}, then {A,B,D} (fetched at once for D's first token, re-bringing A in a full 200), then
/// {B,D} with `Cache-Control: max-age=60`; the quickstart refuses A's token within 75 s of the
/// last change. Runs in real time (about a minute): `scripts/test` runs it once.
#[tokio::test]
async fn quickstart_refuses_a_removed_key_within_75_s_of_its_removal() {
    use tower_jwt_auth::Algorithm;
    use tower_jwt_auth::testing::{JwksServer, TestKey};

    let [a, b, d] = ["a", "b", "d"].map(|kid| TestKey::generate(Algorithm::ES256).with_kid(kid));
    let server = JwksServer::start(&[&a, &b]).await;
    server.set_cache_control(Some("max-age=60"));
    let iss = "https://provider.example";
    let (_running, base, _) = start(&[
        ("JWT_JWKS_URL", &server.jwks_url()),
        ("JWT_ISSUER", iss),
        ("JWT_AUDIENCE", "api"),
        ("JWT_ALGORITHMS", "ES256"),
    ]);
    let token = |key: &TestKey| {
        key.token(&serde_json::json!({
            "iss": iss, "aud": "api", "sub": "alice",
            "exp": tower_jwt_auth::testing::now() + 600,
        }))
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let status = |token: String| {
        let request = client.get(format!("{base}/me")).bearer_auth(token);
        async move { request.send().await.unwrap() }
    };
    // One token of A, sent again and again: after its first request it is served from the
    // verified-token cache (ECDSA signatures are randomized: a new token would miss it).
    let ta = token(&a);
    assert_eq!(status(ta.clone()).await.status(), 200);
    assert_eq!(status(ta.clone()).await.status(), 200);

    server.set_keys(&[&a, &b, &d]);
    assert_eq!(
        status(token(&d)).await.status(),
        200,
        "D fetched on its first token"
    );
    assert_eq!(status(ta.clone()).await.status(), 200);

    server.set_keys(&[&b, &d]);
    let removed = Instant::now();
    let refused = loop {
        let response = status(ta.clone()).await;
        if response.status() != 200 {
            break response;
        }
        assert!(
            removed.elapsed() < Duration::from_secs(75),
            "A's token still passes {:?} after A left the set",
            removed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Bearer realm="api", error="invalid_token", error_description="no key for this token""#
    );
    assert_eq!(status(token(&b)).await.status(), 200);
    eprintln!("A refused {:?} after its removal", removed.elapsed());
}
