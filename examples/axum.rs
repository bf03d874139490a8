//! An axum app with public, required, optional and scoped routes.
//!
//! ```text
//! cargo run --example axum
//! ```
//!
//! Routes (a contract: scripts and other services drive them):
//!
//! | route | auth | answer |
//! |---|---|---|
//! | `GET /public` | none | 200 |
//! | `GET /me` | required | the token's claims object as JSON |
//! | `GET /maybe` | optional | 200 `{"sub": "…"}` with a valid token, 200 `{"anonymous": true}` without one, 401 with an invalid one |
//! | `GET /admin` | scope `admin` | 200; 403 `insufficient_scope`, `scope="admin"` without it |
//! | `GET /events` | required | Server-Sent Events: one `tick` event a second (data: its number), ending within 2 s after the token's `exp` |
//!
//! Settings: `BIND` (default `127.0.0.1:3000`) and the quickstart's `JWT_*` variables; with none
//! of those it runs on an embedded issuer and prints a token with the `admin` scope.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, Sse};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::stream::{self, Stream};
use serde_json::{Value, json};
use tower_jwt_auth::{Claims, Expiry};

async fn me(Claims(claims): Claims<Value>) -> Json<Value> {
    Json(claims.as_ref().clone())
}

/// One `tick` a second until the token expires: a stream must not outlive its token.
async fn events(expiry: Expiry) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let ticks = stream::unfold((expiry, 0u64), |(expiry, n)| async move {
        tokio::select! {
            () = expiry.expired() => None,
            () = tokio::time::sleep(Duration::from_secs(1)) => {
                Some((Ok(Event::default().event("tick").data(n.to_string())), (expiry, n + 1)))
            }
        }
    });
    Sse::new(ticks)
}

async fn maybe(claims: Option<Claims<Value>>) -> Json<Value> {
    Json(match claims {
        Some(c) => json!({ "sub": c.get("sub") }),
        None => json!({ "anonymous": true }),
    })
}

#[tokio::main]
async fn main() {
    common::serve_metrics("axum");
    let settings =
        common::settings("127.0.0.1:3000").unwrap_or_else(|e| common::bad_setting("axum", e));
    let (listener, base) = common::listen(&settings, "axum").await;

    let mut app = Router::new();
    let mut demo = None;
    let issuer = match common::configured_issuer(&settings) {
        Some(issuer) => issuer,
        None => {
            let embedded = common::Embedded::new(base.clone(), "axum-1");
            app = app.merge(embedded.routes());
            let token = embedded.token(
                "alice",
                "orders:read admin",
                &settings.audience,
                3600,
                settings.rfc9068,
            );
            demo = Some(token);
            embedded.issuer()
        }
    };
    let auth = common::auth::<Value>(&settings, issuer, "axum");

    let app = app
        .route("/public", get(|| async { "public" }))
        .merge(
            Router::new()
                .route("/me", get(me))
                .route("/events", get(events))
                .layer(auth.clone()),
        )
        .merge(
            Router::new()
                .route("/maybe", get(maybe))
                .layer(auth.clone().optional()),
        )
        .merge(
            Router::new()
                .route("/admin", get(|| async { "admin" }))
                .layer(auth.require_scopes(["admin"])),
        );

    println!("tower-jwt-auth axum example on {base}");
    if let Some(token) = &demo {
        println!();
        println!("TOKEN={token}");
        println!();
        println!("Try:");
        println!("  curl -i {base}/public");
        println!("  curl -i {base}/me -H \"Authorization: Bearer $TOKEN\"");
        println!("  curl -i {base}/maybe");
        println!("  curl -i {base}/admin -H \"Authorization: Bearer $TOKEN\"");
        println!("  curl -N {base}/events -H \"Authorization: Bearer $TOKEN\"");
    } else {
        println!(
            "Try: curl -i {base}/me -H \"Authorization: Bearer <a token from your provider>\""
        );
    }
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("axum: server error: {e}");
    }
}
