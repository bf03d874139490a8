//! The `mtls` example as a process: mutual TLS on loopback, a reqwest client presenting a
//! client certificate, and a token bound to that certificate (RFC 8705 `cnf["x5t#S256"]`):
//! accepted with it, refused with another certificate of the same CA or with none.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::examples::start_example;
use serde_json::Value;

fn client(dir: &std::path::Path, identity: Option<&str>) -> reqwest::Client {
    let ca = std::fs::read(dir.join("ca.pem")).unwrap();
    let mut builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()]);
    if let Some(name) = identity {
        let pem = std::fs::read(dir.join(name)).unwrap();
        builder = builder.identity(reqwest::Identity::from_pem(&pem).unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_certificate_bound_token_passes_only_with_its_certificate() {
    let dir = std::env::temp_dir().join(format!("tower-jwt-auth-mtls-test-{}", std::process::id()));
    let (_running, base, token) = start_example("mtls", &[("MTLS_DIR", dir.to_str().unwrap())]);
    let token = token.expect("TOKEN printed");
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");

    let me = |client: reqwest::Client| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            client
                .get(format!("{base}/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let ok = me(client(&dir, Some("client.pem"))).await;
    assert_eq!(ok.status(), 200);
    let claims: Value = ok.text().await.unwrap().parse().unwrap();
    assert_eq!(claims["sub"], "alice");
    assert!(claims["cnf"]["x5t#S256"].is_string());

    let other = me(client(&dir, Some("other-client.pem"))).await;
    assert_eq!(other.status(), 401);
    assert_eq!(
        other.headers()["www-authenticate"],
        r#"Bearer realm="api", error="invalid_token", error_description="token is bound to another client certificate""#
    );

    let none = me(client(&dir, None)).await;
    assert_eq!(none.status(), 401);
    assert_eq!(
        none.headers()["www-authenticate"],
        r#"Bearer realm="api", error="invalid_token", error_description="sender-constrained token""#
    );
    let _ = std::fs::remove_dir_all(&dir);
}
