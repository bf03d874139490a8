//! The audit trail: every rejection emits one `tracing` event (target `tower_jwt_auth::rejected`,
//! `info` for a 4xx, `warn` for a 5xx) with `code`, `status` and, where known, `iss`, `kid`,
//! `alg` and `source`; an accepted request a `debug` event (target `tower_jwt_auth::accepted`)
//! with `iss` and whether the cache answered. Never a token, a claim value or key material.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::json;
use tower_jwt_auth::dpop::Dpop;
use tower_jwt_auth::testing::{Behavior, DpopProof, JwksServer, now};
use tower_jwt_auth::{Algorithm, Issuer, TokenSource, Verifier};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// One captured event: level, target and fields.
#[derive(Debug, Clone)]
struct Captured {
    level: String,
    target: String,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        self.0.lock().unwrap().push(Captured {
            level: event.metadata().level().to_string(),
            target: event.metadata().target().to_owned(),
            fields: fields.0,
        });
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

impl Capture {
    /// The events of one target emitted while `f` ran.
    async fn during<F: std::future::Future>(&self, target: &str, f: F) -> Vec<Captured> {
        let before = self.0.lock().unwrap().len();
        f.await;
        self.0.lock().unwrap()[before..]
            .iter()
            .filter(|e| e.target == target)
            .cloned()
            .collect()
    }
}

fn field<'e>(event: &'e Captured, name: &str) -> Option<&'e str> {
    event.fields.get(name).map(String::as_str)
}

const REJECTED: &str = "tower_jwt_auth::rejected";
const ACCEPTED: &str = "tower_jwt_auth::accepted";

#[tokio::test]
async fn rejections_and_acceptances_leave_one_event_each_without_secrets() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();
    let key = key_with_kid(Algorithm::ES256, "audit-k1");
    // The cache explicitly on (the suite also runs with TOWER_JWT_AUTH_TOKEN_CACHE=off).
    let verifier = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key.jwks()))
        .audience(AUD)
        .token_cache_capacity(10_000)
        .build()
        .unwrap();
    let layer = verifier
        .layer()
        .token_source(TokenSource::bearer())
        .token_source(TokenSource::cookie("at").unwrap());
    let secret_sub = "secret-subject-7";

    // No token.
    let events = capture
        .during(REJECTED, call(&layer, get().body(()).unwrap()))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e.level.as_str(), field(e, "code"), field(e, "status")),
        ("INFO", Some("missing"), Some("401"))
    );
    assert_eq!(
        (field(e, "iss"), field(e, "kid"), field(e, "source")),
        (None, None, None)
    );

    // An expired token: the issuer it matched, its header, its source.
    let expired = key.token(&claims_with(json!({"sub": secret_sub, "exp": now() - 600})));
    let events = capture
        .during(REJECTED, call(&layer, bearer(&expired)))
        .await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(field(e, "code"), Some("expired"));
    assert_eq!(field(e, "iss"), Some(ISS));
    assert_eq!(field(e, "kid"), Some("audit-k1"));
    assert_eq!(field(e, "alg"), Some("ES256"));
    assert_eq!(field(e, "source"), Some("bearer"));

    // A cookie token on a cross-origin unsafe request: 403, source cookie.
    let good = key.token(&claims_with(json!({"sub": secret_sub})));
    let cross = http::Request::post("/")
        .header("cookie", format!("at={good}"))
        .header("origin", "https://evil.example")
        .header("host", "api.example")
        .body(())
        .unwrap();
    let events = capture.during(REJECTED, call(&layer, cross)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            field(&events[0], "code"),
            field(&events[0], "status"),
            field(&events[0], "source")
        ),
        (Some("csrf"), Some("403"), Some("cookie"))
    );

    // Accepted: debug, the issuer, whether the cache answered.
    let events = capture.during(ACCEPTED, call(&layer, bearer(&good))).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].level.as_str(),
            field(&events[0], "iss"),
            field(&events[0], "cached")
        ),
        ("DEBUG", Some(ISS), Some("false"))
    );
    let events = capture.during(ACCEPTED, call(&layer, bearer(&good))).await;
    assert_eq!(field(&events[0], "cached"), Some("true"));

    // A bad DPoP proof: source dpop.
    let dpop_layer = verifier
        .layer()
        .dpop(Dpop::new("https://api.example").unwrap());
    let client = key_with_kid(Algorithm::ES256, "audit-client");
    let bound = key.token(&claims_with(
        json!({"sub": secret_sub, "cnf": {"jkt": client.thumbprint()}}),
    ));
    let proof = DpopProof::new(&client, "POST", "https://api.example/")
        .access_token(&bound)
        .sign();
    let req = http::Request::get("/")
        .header("authorization", format!("DPoP {bound}"))
        .header("dpop", &proof)
        .body(())
        .unwrap();
    let events = capture.during(REJECTED, call(&dpop_layer, req)).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (field(&events[0], "code"), field(&events[0], "source")),
        (Some("invalid_dpop_proof"), Some("dpop"))
    );

    // Keys that never load: 503 at warn.
    let server = JwksServer::start(&[&key]).await;
    server.set_behavior(Behavior::Status(500));
    let remote = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, server.jwks_url()).refresh(
            tower_jwt_auth::Refresh::default().initial_retry_max(Duration::from_millis(200)),
        ))
        .audience(AUD)
        .build()
        .unwrap()
        .layer();
    let events = capture.during(REJECTED, call(&remote, bearer(&good))).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].level.as_str(), field(&events[0], "status")),
        ("WARN", Some("503"))
    );

    // Nothing of a token, a claim value or a key in any event.
    let all = capture.0.lock().unwrap().clone();
    let public_x = key.public_jwk()["x"].as_str().unwrap().to_owned();
    for event in &all {
        let text = format!("{event:?}");
        for secret in [secret_sub, &good, &expired, &bound, &proof, &public_x] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
