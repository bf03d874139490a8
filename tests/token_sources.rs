//! The token sources browsers and MCP clients need: a query parameter (RFC 6750 §2.3) and a
//! `Sec-WebSocket-Protocol` entry, over a real WebSocket handshake on loopback; and the
//! cross-origin guard on cookie-authenticated WebSocket upgrades (cross-site WebSocket
//! hijacking).
#![allow(clippy::unwrap_used)]

mod common;

use std::convert::Infallible;

use axum::Router;
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::Message;
use axum::routing::get;
use common::*;
use futures_util::StreamExt;
use http::{HeaderMap, Request, Response};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::{
    Algorithm, Claims, Issuer, JwtAuthLayer, RegisteredClaims, TokenSource, Verifier,
};

const PREFIX: &str = "base64url.bearer.authorization.k8s.io.";

fn layer() -> JwtAuthLayer<RegisteredClaims> {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .build()
        .unwrap()
        .layer()
}

fn token() -> String {
    key(Algorithm::ES256).token(&good_claims())
}

/// Answers with the URI and headers the handler saw.
async fn seen(layer: JwtAuthLayer<RegisteredClaims>, req: Request<()>) -> (u16, HeaderMap, String) {
    let inner = service_fn(|req: Request<()>| async move {
        let sub = req
            .extensions()
            .get::<Claims<RegisteredClaims>>()
            .and_then(|c| c.sub.clone());
        let protocols = req
            .headers()
            .get("sec-websocket-protocol")
            .map(|v| v.to_str().unwrap().to_owned());
        let uri = req.uri();
        Ok::<_, Infallible>(Response::new(format!("{uri} {sub:?} {protocols:?}")))
    });
    let response = tower::Layer::layer(&layer, inner)
        .oneshot(req)
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    (parts.status.as_u16(), parts.headers, body)
}

#[tokio::test]
async fn a_query_token_is_read_removed_from_the_uri_and_kept_private() {
    let token = token();
    let layer = layer().token_source(TokenSource::query("access_token").unwrap());
    let req = Request::get(format!("/events?since=5&access_token={token}&x=1"))
        .body(())
        .unwrap();
    let (status, headers, body) = seen(layer.clone(), req).await;
    assert_eq!(status, 200);
    assert_eq!(
        body, r#"/events?since=5&x=1 Some("alice") None"#,
        "the handler never sees the token"
    );
    assert_eq!(headers["cache-control"], "private");

    // Two different tokens: 400; none: 401; a bad one: 401 without echoing it.
    let two = Request::get(format!("/?access_token={token}&access_token=a.b.c"))
        .body(())
        .unwrap();
    assert_eq!(seen(layer.clone(), two).await.0, 400);
    assert_eq!(
        seen(layer.clone(), Request::get("/").body(()).unwrap())
            .await
            .0,
        401
    );
    let (status, _, _) = seen(
        layer.clone(),
        Request::get("/?access_token=%41.b.c").body(()).unwrap(),
    )
    .await;
    assert_eq!(status, 401, "a percent-encoded token is outside b64token");
    // A percent-encoded key is the same parameter to a handler's query parser: a second,
    // different token under it is a conflict, not a token the layer never checked.
    let encoded = Request::get(format!("/?access_token={token}&access%5Ftoken=a.b.c"))
        .body(())
        .unwrap();
    assert_eq!(seen(layer.clone(), encoded).await.0, 400);
    let same = Request::get(format!("/?access_token={token}&access%5ftoken={token}&x=1"))
        .body(())
        .unwrap();
    let (status, _, body) = seen(layer.clone(), same).await;
    assert_eq!(
        (status, body.as_str()),
        (200, r#"/?x=1 Some("alice") None"#)
    );

    // Only where configured: the default layer ignores the query.
    let req = Request::get(format!("/?access_token={token}"))
        .body(())
        .unwrap();
    assert_eq!(seen(self::layer(), req).await.0, 401);
    // RFC 9728 metadata names the method.
    let doc = layer
        .protected_resource_metadata("https://api.example")
        .unwrap()
        .document();
    assert_eq!(
        doc["bearer_methods_supported"],
        serde_json::json!(["header", "query"])
    );
}

#[tokio::test]
async fn a_handler_cache_control_is_kept_but_never_public() {
    let token = token();
    let layer = layer().token_source(TokenSource::query("access_token").unwrap());
    // What the handler sets → what the client gets.
    let cases: [(&[&str], &[&str]); 9] = [
        (&["no-store"], &["no-store"]),
        (&["private, max-age=60"], &["private, max-age=60"]),
        (&["max-age=60"], &["max-age=60", "private"]),
        (&["public, max-age=60"], &["max-age=60", "private"]),
        (
            &["Public", "s-maxage=60, must-revalidate"],
            &["s-maxage=60, must-revalidate", "private"],
        ),
        (&["public, no-store"], &["no-store"]),
        (&["public, private"], &["private"]),
        // A comma inside a quoted argument splits nothing: the quoted `private` is no directive.
        (
            &[r#"public, no-cache="X,private,Y""#],
            &[r#"no-cache="X,private,Y""#, "private"],
        ),
        // A line that is not ASCII text keeps its bytes; its `no-store` still counts.
        (
            &["public", "no-store, x=\"\u{e9}\""],
            &["no-store, x=\"\u{e9}\""],
        ),
    ];
    for (set, want) in cases {
        let inner = service_fn(move |_: Request<()>| async move {
            let mut response = Response::new(String::new());
            for value in set {
                let value = value.parse().unwrap();
                response.headers_mut().append("cache-control", value);
            }
            Ok::<_, Infallible>(response)
        });
        let req = Request::get(format!("/?access_token={token}"))
            .body(())
            .unwrap();
        let response = tower::Layer::layer(&layer, inner)
            .oneshot(req)
            .await
            .unwrap();
        let values: Vec<_> = response.headers().get_all("cache-control").iter().collect();
        assert_eq!(values, want, "{set:?}");
    }
}

#[tokio::test]
async fn a_websocket_authenticates_with_a_subprotocol_entry_that_the_handler_never_sees() {
    let layer = layer().token_source(TokenSource::websocket_protocol(PREFIX).unwrap());
    let app =
        Router::new().route(
            "/ws",
            get(
                |ws: WebSocketUpgrade,
                 headers: HeaderMap,
                 Claims(claims): Claims<RegisteredClaims>| async move {
                    let offered = headers
                        .get("sec-websocket-protocol")
                        .map(|v| v.to_str().unwrap().to_owned())
                        .unwrap_or_default();
                    let sub = claims.sub.clone().unwrap_or_default();
                    // Echo the real subprotocol, never the token entry.
                    ws.protocols(["chat.v1"])
                        .on_upgrade(move |mut socket| async move {
                            let _ = socket
                                .send(Message::Text(format!("{sub} offered [{offered}]").into()))
                                .await;
                        })
                },
            )
            .layer(layer),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let token = token();
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("chat.v1, {PREFIX}{token}").parse().unwrap(),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["sec-websocket-protocol"], "chat.v1");
    let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = socket.next().await else {
        panic!("no message");
    };
    assert_eq!(text.as_str(), "alice offered [chat.v1]");
    let _ = socket.close(None).await;

    // Without the token entry: the handshake is refused with 401.
    let mut request = format!("ws://{addr}/ws").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "chat.v1".parse().unwrap());
    let err = tokio_tungstenite::connect_async(request).await.unwrap_err();
    let tokio_tungstenite::tungstenite::Error::Http(response) = err else {
        panic!("{err:?}");
    };
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_cookie_authenticated_websocket_upgrade_from_another_site_is_refused() {
    let token = token();
    let layer = layer().token_source(TokenSource::cookie("at").unwrap());
    let upgrade = |origin: &str| {
        Request::get("http://api.example/ws")
            .header("host", "api.example")
            .header("cookie", format!("at={token}"))
            .header("origin", origin)
            .header("connection", "Upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .body(())
            .unwrap()
    };
    let out = call(&layer, upgrade("https://evil.example")).await;
    out.assert_rejected(403, None);
    assert_eq!(out.code(), Some("csrf"));
    call(&layer, upgrade("http://api.example"))
        .await
        .assert_ok();
    // A plain GET from another site stays a safe method.
    let get = Request::get("http://api.example/")
        .header("host", "api.example")
        .header("cookie", format!("at={token}"))
        .header("origin", "https://evil.example")
        .body(())
        .unwrap();
    call(&layer, get).await.assert_ok();
    // A bearer-authenticated upgrade is not the guard's business.
    let mut bearer_upgrade = upgrade("https://evil.example");
    bearer_upgrade.headers_mut().remove("cookie");
    bearer_upgrade
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    call(
        &layer.clone().token_source(TokenSource::bearer()),
        bearer_upgrade,
    )
    .await
    .assert_ok();
}

#[tokio::test]
async fn query_and_subprotocol_tokens_are_removed_whichever_source_won() {
    let token = token();
    let layer = layer()
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::query("access_token").unwrap())
        .token_source(TokenSource::websocket_protocol(PREFIX).unwrap());
    let req = Request::get("/ws?access_token=stale.x.y&a=1")
        .header("authorization", format!("Bearer {token}"))
        .header(
            "sec-websocket-protocol",
            format!("chat.v1, {PREFIX}stale.p.q"),
        )
        .body(())
        .unwrap();
    let (status, headers, body) = seen(layer, req).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"/ws?a=1 Some("alice") Some("chat.v1")"#);
    assert_eq!(headers["cache-control"], "private");
}

#[tokio::test]
async fn a_layer_further_in_still_finds_a_query_token() {
    // An optional layer on the app, a required one with a scope on the route: the outer one
    // takes the token out of the URI; the inner one must still authenticate the request.
    let token =
        key(Algorithm::ES256).token(&claims_with(serde_json::json!({"scope": "orders:read"})));
    let query = || TokenSource::query("access_token").unwrap();
    let app = Router::new()
        .route(
            "/orders",
            get(|uri: http::Uri| async move { uri.to_string() }),
        )
        .route_layer(
            layer()
                .token_source(query())
                .require_scopes(["orders:read"]),
        )
        .layer(layer().token_source(query()).optional());
    let request = Request::get(format!("/orders?access_token={token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    assert_eq!(&body[..], b"/orders");
}

#[tokio::test]
async fn query_and_subprotocol_refusals_carry_their_challenges() {
    let token = token();
    let two = r#"Bearer realm="api", error="invalid_request", error_description="several different tokens in one request""#;
    let query = layer().token_source(TokenSource::query("access_token").unwrap());
    let get = |uri: String| Request::get(uri).body(()).unwrap();
    call(
        &query,
        get(format!("/?access_token={token}&access_token=a.b.c")),
    )
    .await
    .assert_rejected(400, Some(two));
    call(&query, get("/?access_token=%41.b.c".to_owned()))
        .await
        .assert_invalid_token("token has characters outside b64token");
    call(&query, get("/".to_owned()))
        .await
        .assert_rejected(401, Some(r#"Bearer realm="api""#));

    let protocol = layer().token_source(TokenSource::websocket_protocol(PREFIX).unwrap());
    let offered = |entries: String| {
        Request::get("/ws")
            .header("sec-websocket-protocol", entries)
            .body(())
            .unwrap()
    };
    call(
        &protocol,
        offered(format!("chat.v1, {PREFIX}{token}, {PREFIX}a.b.c")),
    )
    .await
    .assert_rejected(400, Some(two));
    call(&protocol, offered(format!("chat.v1, {PREFIX}a.b.c!")))
        .await
        .assert_invalid_token("token has characters outside b64token");
    call(&protocol, offered("chat.v1".to_owned()))
        .await
        .assert_rejected(401, Some(r#"Bearer realm="api""#));
}
