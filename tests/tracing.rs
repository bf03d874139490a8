//! Refresh failures and key-set changes are reported as `tracing` events, without key material.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use tower_jwt_auth::testing::{Behavior, JwksServer};
use tower_jwt_auth::{Algorithm, Issuer, Refresh, RegisteredClaims, Verifier};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Records every event as `LEVEL message field=value ...`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
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
        let mut line = Line(event.metadata().level().to_string());
        event.record(&mut line);
        self.0.lock().unwrap().push(line.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn refresh_failures_and_key_changes_are_traced() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();

    let a = key_with_kid(Algorithm::ES256, "a");
    let b = key_with_kid(Algorithm::ES256, "b");
    let server = JwksServer::start(&[&a]).await;
    let verifier: Verifier<RegisteredClaims> = Verifier::builder()
        .issuer(
            Issuer::jwks_url(ISS, server.jwks_url())
                .refresh(Refresh::default().kid_miss_cooldown(Duration::from_millis(50))),
        )
        .audience(AUD)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .unwrap();

    server.set_keys(&[&a, &b]);
    verifier.verify(&b.token(&good_claims())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    server.set_behavior(Behavior::Body(b"{\"keys\": 7}".to_vec()));
    let c = key_with_kid(Algorithm::ES256, "c");
    let _ = verifier.verify(&c.token(&good_claims())).await;

    let lines = capture.0.lock().unwrap().clone();
    let changed = lines
        .iter()
        .find(|l| l.contains("key set changed"))
        .expect("a change event");
    assert!(changed.starts_with(&Level::INFO.to_string()), "{changed}");
    assert!(
        changed.contains("added=1") && changed.contains("removed=0"),
        "{changed}"
    );
    let failed = lines
        .iter()
        .find(|l| l.contains("refresh failed"))
        .expect("a failure event");
    assert!(failed.starts_with(&Level::WARN.to_string()), "{failed}");
    assert!(failed.contains("not a JWKS"), "{failed}");
    let public_x = a.public_jwk()["x"].as_str().unwrap().to_owned();
    assert!(
        lines.iter().all(|l| !l.contains(&public_x)),
        "no key material in events"
    );

    // Rejected tokens and a fail-open revocation leave events, never token content.
    let down = Unknown;
    let layer = Verifier::builder()
        .issuer(Issuer::static_keys(ISS, a.jwks()))
        .audience(AUD)
        .revocation(down)
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    let accepted = a.token(&claims_with(
        serde_json::json!({ "sub": "secret-subject-1" }),
    ));
    let tampered = format!("{}x", a.token(&good_claims()));
    let foreign = b.token(&claims_with(
        serde_json::json!({ "sub": "secret-subject-2" }),
    ));
    call(&layer, bearer(&accepted)).await.assert_ok();
    call(&layer, bearer(&tampered)).await;
    call(&layer, bearer(&foreign)).await;
    let lines = capture.0.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("WARN") && l.contains("fail open")),
        "{lines:?}"
    );
    for token in [&accepted, &tampered, &foreign] {
        for segment in token.split('.') {
            assert!(
                lines.iter().all(|l| !l.contains(segment)),
                "a token segment in an event"
            );
        }
    }
    assert!(lines.iter().all(|l| !l.contains("secret-subject")));
}

/// A revocation store that can never answer.
struct Unknown;

impl tower_jwt_auth::revocation::Revocation for Unknown {
    fn check(&self, _: &RegisteredClaims) -> tower_jwt_auth::revocation::Check {
        tower_jwt_auth::revocation::Check::Ready(
            tower_jwt_auth::revocation::RevocationStatus::Unknown,
        )
    }
}
