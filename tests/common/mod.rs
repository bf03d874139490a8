//! Shared pieces of the integration tests: cached keys, a counting inner service, requests.
#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

pub mod capture;
pub mod examples;
pub mod keyfile;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use http::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tower::{ServiceExt, service_fn};
use tower_jwt_auth::testing::{JwksServer, TestKey, alg_name, now};
use tower_jwt_auth::{
    Algorithm, AuthError, AuthErrorKind, Claims, JwtAuthLayer, RegisteredClaims, Verifier,
};

pub const ISS: &str = "https://issuer.example";
pub const AUD: &str = "api://orders";

/// One generated key per algorithm and kid, reused across tests (RSA generation is slow).
pub fn key(alg: Algorithm) -> TestKey {
    key_with_kid(alg, alg_name(alg))
}

pub fn key_with_kid(alg: Algorithm, kid: &str) -> TestKey {
    static KEYS: OnceLock<Mutex<HashMap<(String, String), TestKey>>> = OnceLock::new();
    let map = KEYS.get_or_init(Default::default);
    let mut map = map.lock().unwrap();
    map.entry((alg_name(alg).to_owned(), kid.to_owned()))
        .or_insert_with(|| TestKey::generate(alg).with_kid(kid))
        .clone()
}

/// A revocation store that can never answer (`Unknown` at once): an outage of the store.
#[derive(Debug)]
pub struct StoreDown;

impl tower_jwt_auth::revocation::Revocation for StoreDown {
    fn check(&self, _: &RegisteredClaims) -> tower_jwt_auth::revocation::Check {
        tower_jwt_auth::revocation::Check::Ready(
            tower_jwt_auth::revocation::RevocationStatus::Unknown,
        )
    }
}

/// Claims that pass every default check.
pub fn good_claims() -> Value {
    json!({ "iss": ISS, "aud": AUD, "sub": "alice", "exp": now() + 300, "iat": now() })
}

/// `good_claims()` with `changes` merged in (`null` removes a member).
pub fn claims_with(changes: Value) -> Value {
    merge(good_claims(), changes)
}

/// `claims` with `changes` merged in (`null` removes a member).
pub fn merge(mut claims: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

/// Calls a layer around an inner service that counts its calls and echoes the subject.
pub struct Probe {
    pub calls: Arc<AtomicUsize>,
}

pub struct Outcome {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
    pub inner_calls: usize,
    pub error: Option<AuthError>,
}

impl Outcome {
    pub fn www_authenticate(&self) -> Option<&str> {
        self.headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap())
    }

    /// A rejection: the status, the exact challenge, `Cache-Control: no-store`, and no inner call.
    #[track_caller]
    pub fn assert_rejected(&self, status: u16, challenge: Option<&str>) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status (body {:?})",
            self.body
        );
        assert_eq!(self.www_authenticate(), challenge, "WWW-Authenticate");
        assert_eq!(self.headers.get("cache-control").unwrap(), "no-store");
        assert_eq!(self.inner_calls, 0, "the inner service must not be called");
        assert!(
            self.error.is_some(),
            "the AuthError is in the response extensions"
        );
    }

    /// A 401 `invalid_token` with this description.
    #[track_caller]
    pub fn assert_invalid_token(&self, description: &str) {
        let challenge = format!(
            r#"Bearer realm="api", error="invalid_token", error_description="{description}""#
        );
        self.assert_rejected(401, Some(&challenge));
    }

    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(
            self.status,
            StatusCode::OK,
            "{:?} {:?}",
            self.www_authenticate(),
            self.error
        );
        assert_eq!(self.inner_calls, 1);
    }

    pub fn code(&self) -> Option<&'static str> {
        self.error.as_ref().map(AuthError::code)
    }
}

pub async fn call<C>(layer: &JwtAuthLayer<C>, request: Request<()>) -> Outcome
where
    C: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let inner = service_fn(move |req: Request<()>| {
        counter.fetch_add(1, Ordering::SeqCst);
        let sub = req
            .extensions()
            .get::<Claims<RegisteredClaims>>()
            .and_then(|c| c.sub.clone())
            .unwrap_or_else(|| "anonymous".to_owned());
        async move { Ok::<_, Infallible>(Response::new(sub)) }
    });
    let service = tower::Layer::layer(layer, inner);
    let response = service.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Outcome {
        status: parts.status,
        error: parts.extensions.get::<AuthError>().cloned(),
        headers: parts.headers,
        body,
        inner_calls: calls.load(Ordering::SeqCst),
    }
}

pub fn get() -> http::request::Builder {
    Request::get("/")
}

pub fn bearer(token: &str) -> Request<()> {
    get()
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .unwrap()
}

/// A verifier's verdict on a token: `Ok` or the kind of refusal.
pub async fn verdict(
    verifier: &Verifier<RegisteredClaims>,
    token: &str,
) -> Result<(), AuthErrorKind> {
    verifier
        .verify(token)
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

/// Waits until a key set fetch that started after this call has been applied (the second
/// request after it starts only once the first one is done), for at most 5 s.
pub async fn refreshed(server: &JwksServer) {
    let target = server.jwks_requests() + 2;
    let start = std::time::Instant::now();
    while server.jwks_requests() < target {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "no refresh"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}
