//! The `dpop` example as a process, driven over loopback HTTP through its documented routes:
//! token → `/me` → replayed proof refused → `/dpop-only` refusing a bearer token; nonces; the
//! metadata; bad settings.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use common::examples::{example, start_example};
use serde_json::Value;
use tower_jwt_auth::Algorithm;
use tower_jwt_auth::testing::{DpopProof, TestKey};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// `POST /token` with this form, and a proof when given.
async fn token_request(base: &str, form: &str, proof: Option<String>) -> reqwest::Response {
    let mut request = client()
        .post(format!("{base}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned());
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.send().await.unwrap()
}

async fn dpop_get(base: &str, path: &str, token: &str, proof: &str) -> reqwest::Response {
    client()
        .get(format!("{base}{path}"))
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", proof)
        .send()
        .await
        .unwrap()
}

fn challenges(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn token_then_me_then_replay_then_dpop_only_with_a_bearer_token() {
    let (_running, base, _) = start_example("dpop", &[]);
    let key = TestKey::generate(Algorithm::ES256);

    // A DPoP-bound token.
    let proof = DpopProof::new(&key, "POST", &format!("{base}/token")).sign();
    let response = token_request(&base, "sub=bob&scope=orders%3Aread", Some(proof)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.text().await.unwrap().parse().unwrap();
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(body["expires_in"], 300);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let claims = payload(&token);
    assert_eq!(claims["cnf"]["jkt"], key.thumbprint());
    assert_eq!(
        (claims["iss"].as_str(), claims["aud"].as_str()),
        (Some(base.as_str()), Some("dpop-example"))
    );
    assert_eq!(claims["sub"], "bob");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    assert_eq!(
        jsonwebtoken::decode_header(&token).unwrap().typ.as_deref(),
        Some("at+jwt")
    );

    // GET /me with it and a fresh proof.
    let proof = DpopProof::new(&key, "GET", &format!("{base}/me"))
        .access_token(&token)
        .sign();
    let me = dpop_get(&base, "/me", &token, &proof).await;
    assert_eq!(me.status(), 200);
    let me: Value = me.text().await.unwrap().parse().unwrap();
    assert_eq!(
        (me["sub"].as_str(), me["scope"].as_str()),
        (Some("bob"), Some("orders:read"))
    );

    // The same proof again: refused.
    let replayed = dpop_get(&base, "/me", &token, &proof).await;
    assert_eq!(replayed.status(), 401);
    assert!(
        challenges(&replayed)[0]
            .contains(r#"error="invalid_dpop_proof", error_description="proof replayed""#)
    );

    // /dpop-only takes the DPoP token...
    let proof = DpopProof::new(&key, "GET", &format!("{base}/dpop-only"))
        .access_token(&token)
        .sign();
    assert_eq!(
        dpop_get(&base, "/dpop-only", &token, &proof).await.status(),
        200
    );

    // ...but not a bearer token, which /me takes.
    let response = token_request(&base, "sub=carol", None).await;
    let body: Value = response.text().await.unwrap().parse().unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let bearer = body["access_token"].as_str().unwrap().to_owned();
    assert!(payload(&bearer).get("cnf").is_none());
    let get = |path: &'static str| {
        client()
            .get(format!("{base}{path}"))
            .bearer_auth(&bearer)
            .send()
    };
    assert_eq!(get("/me").await.unwrap().status(), 200);
    let refused = get("/dpop-only").await.unwrap();
    assert_eq!(refused.status(), 401);
    let refused = challenges(&refused);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].starts_with("DPoP ") && refused[0].contains(r#"error="invalid_token""#));

    // A bound token as a bearer token: refused on /me too.
    let stolen = client()
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 401);

    // An invalid proof at the token endpoint: 400.
    let proof = DpopProof::new(&key, "GET", &format!("{base}/token")).sign();
    let response = token_request(&base, "sub=bob", Some(proof)).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap().parse::<Value>().unwrap()["error"],
        "invalid_dpop_proof"
    );
}

#[tokio::test]
async fn metadata_and_keys() {
    let (_running, base, _) = start_example("dpop", &[]);
    let doc: Value = client()
        .get(format!("{base}/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(doc["resource"], base.as_str());
    assert_eq!(doc["authorization_servers"], serde_json::json!([base]));
    assert_eq!(
        doc["bearer_methods_supported"],
        serde_json::json!(["header"])
    );
    assert_eq!(doc["dpop_bound_access_tokens_required"], false);
    assert!(
        doc["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"ES256".into())
    );
    let jwks: Value = client()
        .get(format!("{base}/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn with_nonces_the_resources_hand_one_out_and_then_accept_it() {
    let (_running, base, _) = start_example("dpop", &[("JWT_DPOP_NONCE", "on")]);
    let key = TestKey::generate(Algorithm::EdDSA);
    let proof = DpopProof::new(&key, "POST", &format!("{base}/token")).sign();
    let body: Value = token_request(&base, "", Some(proof))
        .await
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();

    let proof = DpopProof::new(&key, "GET", &format!("{base}/me"))
        .access_token(&token)
        .sign();
    let first = dpop_get(&base, "/me", &token, &proof).await;
    assert_eq!(first.status(), 401);
    assert!(challenges(&first)[0].contains(r#"error="use_dpop_nonce""#));
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    let proof = DpopProof::new(&key, "GET", &format!("{base}/me"))
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    assert_eq!(dpop_get(&base, "/me", &token, &proof).await.status(), 200);
}

#[tokio::test]
async fn a_public_url_names_the_htu_and_the_issuer() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let (_running, base, _) = start_example(
        "dpop",
        &[
            ("BIND", &bind),
            ("JWT_PUBLIC_URL", "https://API.example.com/v1/"),
        ],
    );
    assert_eq!(base, "https://api.example.com/v1");
    // Behind a proxy that strips `/v1`: the listener sees `/token`, proofs name the public URL.
    let local = format!("http://{bind}");
    let key = TestKey::generate(Algorithm::ES256);
    let proof = DpopProof::new(&key, "POST", "https://api.example.com/v1/token").sign();
    let body: Value = token_request(&local, "", Some(proof))
        .await
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(payload(&token)["iss"], "https://api.example.com/v1");
    let public = DpopProof::new(&key, "GET", "https://api.example.com/v1/me")
        .access_token(&token)
        .sign();
    assert_eq!(dpop_get(&local, "/me", &token, &public).await.status(), 200);
    let guessed = DpopProof::new(&key, "GET", &format!("{local}/me"))
        .access_token(&token)
        .sign();
    let refused = dpop_get(&local, "/me", &token, &guessed).await;
    assert_eq!(refused.status(), 401);
    assert!(challenges(&refused)[0].contains("proof htu does not match the request URL"));
}

#[test]
fn bad_settings_exit_2() {
    for (name, value) in [
        ("JWT_DPOP_NONCE", "maybe"),
        ("JWT_PUBLIC_URL", "ftp://api.example.com"),
        ("BIND", "not an address"),
    ] {
        let mut child = Command::new(example("dpop"))
            .env("BIND", "127.0.0.1:0")
            .env(name, value)
            .env_remove("REDIS_URL")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // An example that starts serving instead would never exit: fail, don't hang.
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("{name}={value}: still running");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(2), "{name}={value}");
    }
}
