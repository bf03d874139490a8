//! Model-based test of the key lifecycle and the verified-token cache.
//!
//! A real JWKS server on 127.0.0.1 publishes random sequences of documents drawn from a pool of
//! keys (added, removed, re-published unchanged, replaced under the same `kid`, kid-less keys,
//! a `use: enc` key sharing a signing key's `kid`, one RSA key published once per `alg`, and a
//! `kid` that kid-less keys once answered for), with `ETag` 304s and full 200s, interleaved with
//! verifications of tokens signed by every key of the pool and steps of the clock (which make
//! tokens expire, or grow older than `max_token_age`). After every
//! event, a verifier **with** the token cache, fed by the server, must give exactly the verdict
//! of a fresh verifier **without** it, built from the document the remote verifier last loaded
//! (one exception, the documented outage answer: while the server serves a document without a
//! usable key, a token whose key the set lacks gets 503 `keys_unavailable` instead of 401).
//!
//! The same sequences run against a key **file** (`Issuer::jwks_file`): documents written by a
//! rename, in place (a read may see half of one) or as the kubelet updates a mounted Secret (a
//! swapped `..data` link); an outage is a deleted file or a garbled one; the `ETag` event
//! rewrites the same document. A token with an unknown `kid` makes the verifier read the file
//! after each write, the file's counterpart of waiting for the server's next request.
//!
//! `MODEL_CASES` (default 128) sequences of 1 to 31 events run for each source in the normal
//! suite; a failing sequence is shrunk by proptest and printed, to be kept as a named test in
//! `tests/shared_state.rs`.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use common::keyfile::{KeyFile, Layout, Write};
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower_jwt_auth::clock::Clock;
use tower_jwt_auth::testing::{Behavior, JwksServer, ManualClock, TestKey};
use tower_jwt_auth::{Algorithm, AuthErrorKind, Issuer, Refresh, RegisteredClaims, Verifier};

/// Tokens are issued at the start and the clock moves up to 200 s a step: some grow too old
/// before they expire, which the cached verifier must see on a cache hit as the fresh one does.
const MAX_TOKEN_AGE: Duration = Duration::from_secs(400);

const ALGS: [Algorithm; 4] = [
    Algorithm::ES256,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::PS256,
];

/// The keys documents are made of, and the tokens verified.
struct Pool {
    /// Each published JWK, by slot.
    jwks: Vec<Value>,
    /// Tokens: (signing key, a `kid` for the header other than the key's own), signed when a
    /// case starts.
    signers: Vec<(TestKey, Option<&'static str>)>,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let a = key_with_kid(Algorithm::ES256, "a");
        let a2 = TestKey::generate(Algorithm::ES256).with_kid("a"); // replaces A under its kid
        let b = key_with_kid(Algorithm::ES256, "b");
        let b_enc = TestKey::generate(Algorithm::ES256).with_kid("b");
        let d = key_with_kid(Algorithm::EdDSA, "d");
        let l0 = TestKey::generate(Algorithm::ES256);
        let l1 = TestKey::generate(Algorithm::EdDSA);
        let r = key_with_kid(Algorithm::RS256, "r");
        let r_ps = r.clone().with_alg(Algorithm::PS256);
        let x = key_with_kid(Algorithm::ES256, "x");
        let jwks = vec![
            a.public_jwk(),
            a2.public_jwk(),
            b.public_jwk(),
            merge(
                b_enc.bare_jwk(),
                json!({ "kid": "b", "use": "enc", "alg": "ECDH-ES" }),
            ),
            d.public_jwk(),
            l0.public_jwk(),
            l1.public_jwk(),
            r.public_jwk(),
            r_ps.public_jwk(),
            x.public_jwk(),
            merge(b_enc.bare_jwk(), json!({ "kid": "e" })), // b_enc's material as a signing key
        ];
        let signers = vec![
            (a, None),
            (a2, None),
            (b, None),
            (b_enc.clone(), None),
            (b_enc, Some("e")),
            (d, None),
            (l0.clone(), None),
            (l1.clone(), None),
            (l0, Some("x")), // a kid-less key signing a token that names kid "x"
            (l1, Some("a")),
            (r, None),
            (r_ps, None),
            (x, None),
        ];
        Pool { jwks, signers }
    })
}

#[derive(Debug, Clone)]
enum Event {
    /// Publish the pool's JWKs whose bits are set (in a shuffled order when `rotate` > 0).
    Publish { slots: u16, rotate: usize },
    /// Whether the server sends `ETag` (and answers 304); for a file, the same document
    /// written again.
    Etag(bool),
    /// The provider fails: the server answers 500; the file is deleted (`true`) or garbled.
    Outage(bool),
    /// Verify token `i` with both verifiers.
    Verify(usize),
    /// Move the clock.
    Advance(u16),
}

fn event() -> impl Strategy<Value = Event> {
    let tokens = pool_len().1;
    prop_oneof![
        3 => (any::<u16>(), 0usize..4).prop_map(|(slots, rotate)| Event::Publish { slots, rotate }),
        1 => any::<bool>().prop_map(Event::Etag),
        1 => any::<bool>().prop_map(Event::Outage),
        6 => (0..tokens).prop_map(Event::Verify),
        1 => (0u16..200).prop_map(Event::Advance),
    ]
}

/// (JWK slots, tokens): fixed by the pool's layout above.
const fn pool_len() -> (usize, usize) {
    (11, 13)
}

fn document(slots: u16, rotate: usize) -> String {
    let mut keys: Vec<&Value> = pool()
        .jwks
        .iter()
        .enumerate()
        .filter(|(i, _)| slots & (1 << i) != 0)
        .map(|(_, k)| k)
        .collect();
    let n = keys.len().max(1);
    keys.rotate_left(rotate % n);
    json!({ "keys": keys }).to_string()
}

/// A verifier without any cache, from a static copy of `doc` (`None`: no usable key in it).
fn fresh(doc: &str, clock: &ManualClock) -> Option<Verifier<RegisteredClaims>> {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, doc))
        .audience(AUD)
        .algorithms(ALGS)
        .max_token_age(MAX_TOKEN_AGE)
        .clock(clock.clone())
        .disable_token_cache()
        .build()
        .ok()
}

/// Where the remote verifier's keys come from.
enum Source {
    Server(JwksServer),
    File(KeyFile, Write),
}

impl Source {
    async fn start(file: Option<Layout>, doc: &str) -> Self {
        match file {
            None => {
                let server = JwksServer::start(&[]).await;
                server.set_jwks_document(doc.to_owned());
                Self::Server(server)
            }
            Some(layout) => {
                let mut file = KeyFile::new(layout);
                file.write(doc, Write::Rename);
                Self::File(file, Write::Rename)
            }
        }
    }

    fn issuer(&self, refresh: Refresh) -> Issuer {
        match self {
            Self::Server(server) => Issuer::jwks_url(ISS, server.jwks_url()),
            Self::File(file, _) => Issuer::jwks_file(ISS, file.path()),
        }
        .refresh(refresh)
    }

    fn publish(&mut self, doc: &str, rotate: usize) {
        match self {
            Self::Server(server) => {
                server.set_behavior(Behavior::Serve);
                server.set_jwks_document(doc.to_owned());
            }
            Self::File(file, last) => {
                *last = if rotate.is_multiple_of(2) {
                    Write::Rename
                } else {
                    Write::InPlace
                };
                file.write(doc, *last);
            }
        }
    }

    /// `current`: the document being served, when it is the last good one.
    fn etag(&mut self, on: bool, current: Option<&str>) {
        match self {
            Self::Server(server) => server.set_etag(on),
            Self::File(file, last) => {
                if let Some(doc) = current {
                    file.write(doc, *last);
                }
            }
        }
    }

    fn outage(&mut self, delete: bool) {
        match self {
            Self::Server(server) => server.set_behavior(Behavior::Status(500)),
            Self::File(file, _) if delete => file.remove(),
            Self::File(file, _) => file.write("{\"keys\": [", Write::InPlace),
        }
    }

    /// Waits until a read or fetch that started after the last change has been applied. For a
    /// file, a token with a `kid` the set never has makes the verifier read the file before it
    /// answers: 401 when the read brought usable keys, 503 when it failed.
    async fn settled(
        &self,
        verifier: &Verifier<RegisteredClaims>,
        probe: &str,
        failing: bool,
    ) -> Result<(), String> {
        match self {
            Self::Server(server) => refreshed(server).await,
            Self::File(..) => {
                let answer = verdict(verifier, probe).await;
                let want = if failing {
                    AuthErrorKind::KeysUnavailable
                } else {
                    AuthErrorKind::UnknownKey
                };
                if answer != Err(want) {
                    return Err(format!("the probe token got {answer:?}, not {want:?}"));
                }
            }
        }
        Ok(())
    }
}

/// Runs one sequence; `Err` describes the first divergence.
async fn run(first: u16, events: &[Event], file: Option<Layout>) -> Result<(), String> {
    let clock = ManualClock::new();
    let start = clock.now_unix_secs() as i64;
    let tokens: Vec<String> = pool()
        .signers
        .iter()
        .enumerate()
        .map(|(i, (key, kid))| {
            // Lifetimes from 2 to 14 minutes: clock steps expire some of them.
            let claims =
                claims_with(json!({ "exp": start + 120 + 60 * (i as i64 % 13), "iat": start }));
            let mut header =
                json!({ "alg": tower_jwt_auth::testing::alg_name(key.alg()), "typ": "JWT" });
            if let Some(kid) = kid.or(key.kid()) {
                header["kid"] = json!(kid);
            }
            key.sign(&header, &claims)
        })
        .collect();
    let probe = pool().signers[0].0.sign(
        &json!({ "alg": "ES256", "typ": "JWT", "kid": "never-published" }),
        &claims_with(json!({ "exp": start + 100_000, "iat": start })),
    );

    // The first document always has a usable key, so the remote verifier loads.
    let mut applied = document(first | 0b100, 0);
    let mut source = Source::start(file, &applied).await;
    let refresh = Refresh::default()
        .interval(Duration::from_millis(5))
        .interval_bounds(Duration::from_millis(5), Duration::from_millis(5))
        .jitter(0.0)
        .kid_miss_cooldown(Duration::ZERO)
        .retry_backoff(Duration::from_millis(2), Duration::from_millis(5))
        .max_stale(Duration::from_secs(365 * 86400));
    let cached = Verifier::builder()
        .issuer(source.issuer(refresh))
        .audience(AUD)
        .algorithms(ALGS)
        .max_token_age(MAX_TOKEN_AGE)
        .clock(clock.clone())
        .token_cache_capacity(1000)
        .build()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), cached.ready())
        .await
        .map_err(|_| "the first key set never loaded".to_owned())?;

    // True while the provider fails or serves a document without a usable key.
    let mut failing = false;
    let mut history = Vec::new();
    for event in events {
        history.push(event.clone());
        match event {
            Event::Publish { slots, rotate } => {
                let doc = document(*slots, *rotate);
                source.publish(&doc, *rotate);
                // A document without a usable key is refused: the last good one stays.
                failing = fresh(&doc, &clock).is_none();
                source.settled(&cached, &probe, failing).await?;
                if !failing {
                    applied = doc;
                }
            }
            Event::Etag(on) => {
                source.etag(*on, (!failing).then_some(applied.as_str()));
                if !failing {
                    source.settled(&cached, &probe, failing).await?;
                }
            }
            Event::Outage(delete) => {
                source.outage(*delete);
                failing = true;
                source.settled(&cached, &probe, failing).await?;
            }
            Event::Advance(secs) => clock.advance(Duration::from_secs(u64::from(*secs))),
            Event::Verify(i) => {
                let reference = fresh(&applied, &clock).unwrap();
                let want = verdict(&reference, &tokens[*i]).await;
                let got = verdict(&cached, &tokens[*i]).await;
                // While the provider fails, a kid-miss refetch fails too: 503, not 401 (the
                // documented outage answer for a key the store lacks).
                let outage = failing
                    && got == Err(AuthErrorKind::KeysUnavailable)
                    && want == Err(AuthErrorKind::UnknownKey);
                if got != want && !outage {
                    return Err(format!(
                        "token {i}: cached verifier {got:?}, fresh verifier {want:?}\n\
                         document: {applied}\nafter: {history:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Runs a sequence on a runtime of its own with two worker threads.
fn on_two_threads<F: std::future::Future>(sequence: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(sequence)
}

fn cases() -> u32 {
    std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_token_cache_agrees_with_a_fresh_verifier_under_any_key_sequence(
        first in any::<u16>(),
        events in proptest::collection::vec(event(), 1..32),
    ) {
        let outcome = on_two_threads(run(first, &events, None));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }

    #[test]
    fn a_key_file_agrees_with_a_fresh_verifier_under_any_sequence_of_writes(
        first in any::<u16>(),
        kubelet in any::<bool>(),
        events in proptest::collection::vec(event(), 1..32),
    ) {
        let layout = if kubelet { Layout::Kubelet } else { Layout::Plain };
        let outcome = on_two_threads(run(first, &events, Some(layout)));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
