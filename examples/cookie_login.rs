//! A browser app that keeps its access token in an HttpOnly cookie, with the cross-origin guard.
//!
//! ```text
//! cargo run --example cookie_login   # then open http://127.0.0.1:3000 (user alice, password wonderland)
//! ```
//!
//! Routes (a contract):
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | an HTML page: the login form, or, logged in, the user's name, a note form and a logout button |
//! | `POST /login` (`username`, `password`) | 303 to `/` with the token cookie (`HttpOnly; Secure; SameSite=Strict; Path=/`, 15 minutes); a wrong password is a 401 page and sets nothing |
//! | `GET /me` | the token's claims object as JSON, read from the cookie |
//! | `POST /notes` (`text`) | 201 `{"text": …, "sub": …}`; needs the cookie token |
//! | `POST /logout` | 303 to `/`, the cookie cleared (`Max-Age=0`) |
//!
//! Every unsafe route, `/login` and `/logout` included, passes the cross-origin check, so a
//! foreign page can't post notes as the user, or log them into the attacker's account. It always
//! runs on its own embedded issuer, so it reads only `BIND` (default `127.0.0.1:3000`) and
//! `JWT_COOKIE` (default `access_token`).
//!
//! In production, name the cookie with the `__Host-` prefix (`JWT_COOKIE=__Host-access_token`):
//! browsers then accept it only from a secure origin, with `Path=/` and no `Domain`, so a sibling
//! subdomain can't plant a second cookie of that name. Chromium keeps the `Secure` cookie on
//! `http://127.0.0.1` because it treats loopback as a secure context.

mod common;

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use tower_jwt_auth::csrf::{CsrfGuard, CsrfLayer};
use tower_jwt_auth::response::Rejection;
use tower_jwt_auth::{Claims, JwtAuthLayer, TokenSource, Verifier};

const USER: &str = "alice";
const PASSWORD: &str = "wonderland";
const TOKEN_SECONDS: i64 = 15 * 60;

struct App {
    embedded: common::Embedded,
    verifier: Verifier<Value>,
    /// Where the layer reads the token: the page reads it the same way.
    source: TokenSource,
    cookie: String,
    audience: String,
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

#[derive(Deserialize)]
struct Note {
    text: String,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>cookie_login</title></head>\
         <body><h1>tower-jwt-auth cookie login</h1>{body}</body></html>"
    )
}

const LOGIN_FORM: &str = "<form method=\"post\" action=\"/login\">\
    <label>Username <input name=\"username\" value=\"alice\"></label> \
    <label>Password <input name=\"password\" type=\"password\"></label> \
    <button type=\"submit\">Log in</button></form>";

async fn index(State(app): State<Arc<App>>, headers: HeaderMap) -> Html<String> {
    let user = match app.source.extract(&headers).ok().flatten() {
        Some(token) => app
            .verifier
            .verify(token)
            .await
            .ok()
            .and_then(|c| c.get("sub").cloned()),
        None => None,
    };
    Html(page(&match user.as_ref().and_then(Value::as_str) {
        Some(name) => format!(
            "<p>Logged in as <strong id=\"user\">{}</strong>.</p>\
             <form method=\"post\" action=\"/notes\"><input name=\"text\"> <button type=\"submit\">Add note</button></form>\
             <form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>",
            escape(name)
        ),
        None => LOGIN_FORM.to_owned(),
    }))
}

/// The answer of the cross-origin check on the token-less routes: 403 with the reason as text.
fn refused(rejection: Rejection) -> Response {
    (StatusCode::FORBIDDEN, rejection.error().to_string()).into_response()
}

async fn login(State(app): State<Arc<App>>, Form(form): Form<Login>) -> Response {
    if form.username != USER || form.password != PASSWORD {
        let body = page(&format!("<p>Wrong user name or password.</p>{LOGIN_FORM}"));
        return (StatusCode::UNAUTHORIZED, Html(body)).into_response();
    }
    let token = app
        .embedded
        .token(USER, "notes:write", &app.audience, TOKEN_SECONDS, false);
    let cookie = format!(
        "{}={token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age={TOKEN_SECONDS}",
        app.cookie
    );
    let mut response = Redirect::to("/").into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn logout(State(app): State<Arc<App>>) -> Response {
    let cookie = format!(
        "{}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0",
        app.cookie
    );
    let mut response = Redirect::to("/").into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn me(Claims(claims): Claims<Value>) -> Json<Value> {
    Json(claims.as_ref().clone())
}

async fn add_note(
    Claims(claims): Claims<Value>,
    Form(note): Form<Note>,
) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({ "text": note.text, "sub": claims.get("sub") })),
    )
}

#[tokio::main]
async fn main() {
    common::serve_metrics("cookie_login");
    let settings = common::settings("127.0.0.1:3000")
        .unwrap_or_else(|e| common::bad_setting("cookie_login", e));
    let (listener, base) = common::listen(&settings, "cookie_login").await;
    let embedded = common::Embedded::new(base.clone(), "cookie-login-1");
    // The cookie only: this app's browser never sends a bearer header.
    let auth = Verifier::builder()
        .claims::<Value>()
        .issuer(embedded.issuer())
        .audience(settings.audience.clone())
        .build()
        .and_then(|verifier| {
            let cookie = TokenSource::cookie(settings.cookie.clone())?;
            Ok(JwtAuthLayer::new(verifier).token_source(cookie))
        })
        .unwrap_or_else(|e| common::bad_setting("cookie_login", e));
    let source = auth.token_sources()[0].clone();
    let app = Arc::new(App {
        verifier: auth.verifier().clone(),
        source,
        cookie: settings.cookie.clone(),
        audience: settings.audience.clone(),
        embedded,
    });
    let issuer_routes = app.embedded.routes();
    let router = Router::new()
        .route("/", get(index))
        .merge(
            // No token on these two, but a foreign page must not drive them either.
            Router::new()
                .route("/login", post(login))
                .route("/logout", post(logout))
                .layer(CsrfLayer::new(CsrfGuard::default()).responder(refused)),
        )
        .with_state(Arc::clone(&app))
        .merge(
            Router::new()
                .route("/me", get(me))
                .route("/notes", post(add_note))
                .layer(auth),
        )
        .merge(issuer_routes);

    println!("tower-jwt-auth cookie_login example on {base}");
    println!("  open {base}/ and log in as {USER} / {PASSWORD}");
    if let Err(e) = axum::serve(listener, router).await {
        eprintln!("cookie_login: server error: {e}");
    }
}
