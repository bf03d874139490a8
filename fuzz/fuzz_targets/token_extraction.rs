//! Arbitrary header bytes through the whole layer: `Authorization`, `Cookie` and a custom
//! header, each possibly repeated. The layer must answer (never panic) and must never let a
//! request reach the inner service without a valid token.
#![no_main]

use std::convert::Infallible;
use std::sync::OnceLock;

use http::{HeaderName, HeaderValue, Request, Response};
use libfuzzer_sys::fuzz_target;
use tower::{Layer, ServiceExt, service_fn};
use tower_jwt_auth::testing::TestKey;
use tower_jwt_auth::{Algorithm, Issuer, JwtAuthLayer, RegisteredClaims, TokenSource, Verifier};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    layer: JwtAuthLayer<RegisteredClaims>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let key = TestKey::hmac(Algorithm::HS256, *b"fuzzing-secret-fuzzing-secret-32");
        let verifier = Verifier::builder()
            .issuer(Issuer::static_keys("https://issuer.example", key.jwks()))
            .audience("api")
            .algorithms([Algorithm::HS256])
            .build()
            .expect("verifier");
        let layer = JwtAuthLayer::new(verifier)
            .token_source(TokenSource::bearer())
            .token_source(TokenSource::cookie("access_token").expect("cookie name"))
            .token_source(TokenSource::header(HeaderName::from_static("x-token")));
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            layer,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    // Values separated by 0x00; each goes to the header the byte before it names.
    let mut request = Request::get("/");
    for part in data.split(|b| *b == 0) {
        let Some((which, value)) = part.split_first() else {
            continue;
        };
        let Ok(value) = HeaderValue::from_bytes(value) else {
            continue;
        };
        let name = match which % 4 {
            0 => "authorization",
            1 => "cookie",
            2 => "x-token",
            _ => "sec-fetch-site",
        };
        request = request.header(name, value);
    }
    let Ok(request) = request.body(()) else {
        return;
    };
    let service = fixture.layer.layer(service_fn(|req: Request<()>| async move {
        // Reaching the inner service means the layer found a valid token: the policy's claims.
        let claims = req
            .extensions()
            .get::<tower_jwt_auth::Claims<RegisteredClaims>>()
            .expect("claims for every request that gets through");
        assert_eq!(claims.iss.as_deref(), Some("https://issuer.example"));
        assert!(claims.aud.iter().any(|a| a == "api"));
        assert!(claims.exp.is_some());
        Ok::<_, Infallible>(Response::new(()))
    }));
    let response = fixture
        .runtime
        .block_on(async { service.oneshot(request).await })
        .expect("infallible");
    assert!(matches!(response.status().as_u16(), 200 | 400 | 401 | 403 | 503));
});
