//! The examples as processes, driven over loopback through their documented routes.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::Duration;

use common::examples::{example, start_example};
use serde_json::Value;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn axum_example_routes() {
    let (_running, base, token) = start_example("axum", &[]);
    let token = token.expect("a demo token");
    let client = client();
    let get = |path: &str, token: Option<&str>| {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get("/public", None).await.unwrap().status(), 200);

    let me = get("/me", Some(&token)).await.unwrap();
    assert_eq!(me.status(), 200);
    let claims: Value = serde_json::from_str(&me.text().await.unwrap()).unwrap();
    assert_eq!(claims["sub"], "alice");
    assert!(claims["scope"].as_str().unwrap().contains("admin"));
    assert_eq!(get("/me", None).await.unwrap().status(), 401);

    let maybe: Value = serde_json::from_str(
        &get("/maybe", Some(&token))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(maybe, serde_json::json!({"sub": "alice"}));
    let anonymous: Value =
        serde_json::from_str(&get("/maybe", None).await.unwrap().text().await.unwrap()).unwrap();
    assert_eq!(anonymous, serde_json::json!({"anonymous": true}));
    assert_eq!(get("/maybe", Some("x.y.z")).await.unwrap().status(), 401);

    assert_eq!(get("/admin", Some(&token)).await.unwrap().status(), 200);
    assert_eq!(get("/admin", None).await.unwrap().status(), 401);
}

/// The same routes against a provider of the test's own (its JWKS on loopback), which can mint
/// a token without the `admin` scope.
#[tokio::test]
async fn axum_example_admin_scope_with_an_outside_provider() {
    let key = common::key_with_kid(tower_jwt_auth::Algorithm::ES256, "outside");
    let provider = tower_jwt_auth::testing::JwksServer::start(&[&key]).await;
    let (_running, base, token) = start_example(
        "axum",
        &[
            ("JWT_JWKS_URL", &provider.jwks_url()),
            ("JWT_ISSUER", common::ISS),
            ("JWT_AUDIENCE", common::AUD),
        ],
    );
    assert!(token.is_none());
    let client = client();
    let reader = key.token(&common::claims_with(
        serde_json::json!({"scope": "orders:read"}),
    ));
    let admin = key.token(&common::claims_with(serde_json::json!({"scope": "admin"})));
    let denied = client
        .get(format!("{base}/admin"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
    assert_eq!(
        denied.headers()["www-authenticate"],
        r#"Bearer realm="api", error="insufficient_scope", error_description="insufficient scope", scope="admin""#
    );
    let allowed = client
        .get(format!("{base}/admin"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
}

#[test]
fn tonic_example_demo_prints_the_three_statuses() {
    let output = Command::new(example("tonic"))
        .args(["--demo"])
        .env("BIND", "127.0.0.1:0")
        .env_remove("JWT_JWKS_URL")
        .env_remove("JWT_ISSUER")
        .env_remove("REDIS_URL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("scoped token:   OK (Serving)"), "{stdout}");
    assert!(
        stdout.contains("unscoped token: PermissionDenied (7): insufficient scope"),
        "{stdout}"
    );
    assert!(
        stdout.contains("no token:       Unauthenticated (16): no token"),
        "{stdout}"
    );
}

/// An `application/x-www-form-urlencoded` body.
fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The token cookie a response sets, with its attributes.
fn set_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Posts a form to `url` with these extra headers.
async fn post_form(
    client: &reqwest::Client,
    url: String,
    headers: &[(&str, &str)],
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The body of a GET, with a cookie header if given.
async fn get_text(client: &reqwest::Client, url: String, cookie: Option<&str>) -> String {
    let mut request = client.get(url);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn cookie_login_example_flow() {
    let (_running, base, _) = start_example("cookie_login", &[]);
    let client = client();
    let page = get_text(&client, format!("{base}/"), None).await;
    assert!(page.contains("action=\"/login\""), "{page}");

    let wrong = post_form(
        &client,
        format!("{base}/login"),
        &[],
        &[("username", "alice"), ("password", "queen")],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong).is_none());

    let alice = [("username", "alice"), ("password", "wonderland")];
    let cross = post_form(
        &client,
        format!("{base}/login"),
        &[("sec-fetch-site", "cross-site")],
        &alice,
    )
    .await;
    assert_eq!(cross.status(), 403, "a foreign page can't log anyone in");
    assert!(set_cookie(&cross).is_none());
    assert_eq!(cross.text().await.unwrap(), "cross-origin request refused");

    let login = post_form(
        &client,
        format!("{base}/login"),
        &[("sec-fetch-site", "same-origin")],
        &alice,
    )
    .await;
    assert_eq!(login.status(), 303);
    assert_eq!(login.headers()["location"], "/");
    let cookie = set_cookie(&login).unwrap();
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=900",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("access_token=ey"), "{pair}");

    let page = get_text(&client, format!("{base}/"), Some(&pair)).await;
    assert!(
        page.contains("<strong id=\"user\">alice</strong>"),
        "{page}"
    );
    let me: Value =
        serde_json::from_str(&get_text(&client, format!("{base}/me"), Some(&pair)).await).unwrap();
    assert_eq!(me["sub"], "alice");

    let note = post_form(
        &client,
        format!("{base}/notes"),
        &[("cookie", &pair), ("origin", &base)],
        &[("text", "buy tea")],
    )
    .await;
    assert_eq!(note.status(), 201);
    let note: Value = serde_json::from_str(&note.text().await.unwrap()).unwrap();
    assert_eq!(note, serde_json::json!({"text": "buy tea", "sub": "alice"}));

    let forged = post_form(
        &client,
        format!("{base}/notes"),
        &[("cookie", &pair), ("sec-fetch-site", "cross-site")],
        &[("text", "pwned")],
    )
    .await;
    assert_eq!(forged.status(), 403);

    let logout = client
        .post(format!("{base}/logout"))
        .header("cookie", &pair)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 303);
    let cleared = set_cookie(&logout).unwrap();
    assert!(
        cleared.starts_with("access_token=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let page = get_text(&client, format!("{base}/"), None).await;
    assert!(
        page.contains("action=\"/login\""),
        "logged out: the login form again"
    );
}

/// An example whose JWKS URL is unreachable still starts, and answers 503 until keys load.
#[tokio::test]
async fn axum_example_starts_while_its_provider_is_unreachable() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", dead.local_addr().unwrap());
    drop(dead);
    let (_running, base, _) = start_example(
        "axum",
        &[
            ("JWT_JWKS_URL", &url),
            ("JWT_ISSUER", common::ISS),
            ("JWT_AUDIENCE", common::AUD),
        ],
    );
    let key = common::key_with_kid(tower_jwt_auth::Algorithm::ES256, "outside");
    let token = key.token(&common::good_claims());
    let response = client()
        .get(format!("{base}/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(
        client()
            .get(format!("{base}/public"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
