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
    let (status, headers, _) = seen(
        layer.clone(),
        Request::get("/?access_token=%41.b.c").body(()).unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        !headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("%41")
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
async fn a_handler_that_says_no_store_keeps_it() {
    let token = token();
    let layer = layer().token_source(TokenSource::query("access_token").unwrap());
    let inner = service_fn(|_: Request<()>| async {
        let mut response = Response::new(String::new());
        response
            .headers_mut()
            .insert("cache-control", "no-store".parse().unwrap());
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
    assert_eq!(values, ["no-store"]);
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
