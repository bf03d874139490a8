//! Revocation in a real Redis: the server at `REDIS_URL` (default `redis://127.0.0.1:6379`,
//! started by `scripts/test` and `.ci/run`), plus servers these tests start and stop themselves
//! (`redis-server` on `PATH`) to show the outage policy and the recovery.
#![cfg(feature = "redis")]
#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::examples::start_example;
use common::*;
use serde_json::json;
use tower_jwt_auth::revocation::RedisRevocation;
use tower_jwt_auth::testing::now;
use tower_jwt_auth::{
    Algorithm, Issuer, JwtAuthLayer, RegisteredClaims, Verifier, VerifierBuilder,
};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A name no other test (or earlier run against the same server) uses.
fn unique(what: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{what}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A raw `SET`, as another service (a logout hook, an admin script) would write it.
async fn raw_set(url: &str, key: &str, value: &str) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .arg("EX")
        .arg(600)
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
}

fn layer_with(store: RedisRevocation) -> VerifierBuilder {
    Verifier::builder()
        .issuer(Issuer::static_keys(ISS, key(Algorithm::ES256).jwks()))
        .audience(AUD)
        .revocation(store)
}

fn token(changes: serde_json::Value) -> String {
    key(Algorithm::ES256).token(&claims_with(changes))
}

/// Polls until a request with `token` gets `status`, for at most `within`.
async fn eventually(
    layer: &JwtAuthLayer<RegisteredClaims>,
    token: &str,
    status: u16,
    within: Duration,
) -> Outcome {
    let started = Instant::now();
    loop {
        let outcome = call(layer, bearer(token)).await;
        if outcome.status.as_u16() == status || started.elapsed() > within {
            return outcome;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn revocation_redis_jti_through_the_helper_and_through_a_raw_set() {
    let url = redis_url();
    let store = RedisRevocation::new(&url).unwrap();
    let layer = layer_with(store.clone()).build().unwrap().layer();

    let (jti_a, jti_b) = (unique("a"), unique("b"));
    let a = token(json!({ "jti": jti_a }));
    let b = token(json!({ "jti": jti_b }));
    call(&layer, bearer(&a)).await.assert_ok();
    call(&layer, bearer(&b)).await.assert_ok();

    // The helper also clears this replica's local "not revoked" answers: refused at once.
    store.revoke_jti(ISS, &jti_a, now() + 600).await.unwrap();
    call(&layer, bearer(&a))
        .await
        .assert_invalid_token("token revoked");
    call(&layer, bearer(&b)).await.assert_ok();

    // Another system writes the documented key: refused once the local answer (1 s) expires.
    raw_set(&url, &format!("jwt:revoked:jti:{ISS}:{jti_b}"), "1").await;
    let outcome = eventually(&layer, &b, 401, Duration::from_secs(3)).await;
    outcome.assert_invalid_token("token revoked");
    assert_eq!(outcome.code(), Some("revoked"));
}

#[tokio::test]
async fn revocation_redis_subject_refuses_older_tokens_and_passes_newer_ones() {
    let url = redis_url();
    let store = RedisRevocation::new(&url)
        .unwrap()
        .not_revoked_ttl(Duration::ZERO);
    let layer = layer_with(store.clone()).build().unwrap().layer();
    let (alice, bob) = (unique("alice"), unique("bob"));
    let t = now();
    let older = token(json!({ "sub": alice, "iat": t - 100 }));
    let same_second = token(json!({ "sub": alice, "iat": t }));
    let newer = token(json!({ "sub": alice, "iat": t + 1 }));
    let no_iat = token(json!({ "sub": alice, "iat": null }));
    let other = token(json!({ "sub": bob, "iat": t - 100 }));
    for token in [&older, &same_second, &newer, &no_iat, &other] {
        call(&layer, bearer(token)).await.assert_ok();
    }

    store
        .revoke_subject(ISS, &alice, t, Duration::from_secs(600))
        .await
        .unwrap();
    for token in [&older, &same_second, &no_iat] {
        call(&layer, bearer(token))
            .await
            .assert_invalid_token("token revoked");
    }
    call(&layer, bearer(&newer)).await.assert_ok();
    call(&layer, bearer(&other)).await.assert_ok();

    // The raw form: a NumericDate under the documented key.
    raw_set(
        &url,
        &format!("jwt:revoked:sub:{ISS}:{bob}"),
        &(t - 50).to_string(),
    )
    .await;
    call(&layer, bearer(&other))
        .await
        .assert_invalid_token("token revoked");
    let bob_newer = token(json!({ "sub": bob, "iat": t - 49 }));
    call(&layer, bearer(&bob_newer)).await.assert_ok();

    // A value that is not a time, or a key of another type, revokes the whole subject.
    let (carol, dave) = (unique("carol"), unique("dave"));
    let carol_token = token(json!({ "sub": carol, "iat": t + 5 }));
    let dave_token = token(json!({ "sub": dave, "iat": t + 5 }));
    call(&layer, bearer(&carol_token)).await.assert_ok();
    call(&layer, bearer(&dave_token)).await.assert_ok();
    raw_set(&url, &format!("jwt:revoked:sub:{ISS}:{carol}"), "yes").await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SADD")
        .arg(format!("jwt:revoked:sub:{ISS}:{dave}"))
        .arg("all")
        .query_async::<()>(&mut conn)
        .await
        .unwrap();
    call(&layer, bearer(&carol_token))
        .await
        .assert_invalid_token("token revoked");
    call(&layer, bearer(&dave_token))
        .await
        .assert_invalid_token("token revoked");
}

#[tokio::test]
async fn revocation_redis_unrevoke_subject_lifts_it_like_the_memory_store() {
    let url = redis_url();
    let store = RedisRevocation::new(&url).unwrap();
    let layer = layer_with(store.clone()).build().unwrap().layer();
    let alice = unique("alice-lifted");
    let jti = unique("kept");
    let t = now();
    let plain = token(json!({ "sub": alice, "iat": t - 10 }));
    let by_jti = token(json!({ "sub": alice, "iat": t - 10, "jti": jti }));
    store
        .revoke_subject(ISS, &alice, t, Duration::from_secs(600))
        .await
        .unwrap();
    assert!(store.revoke_jti(ISS, &jti, t + 300).await.unwrap());
    for token in [&plain, &by_jti] {
        call(&layer, bearer(token))
            .await
            .assert_invalid_token("token revoked");
    }
    store.unrevoke_subject(ISS, &alice).await.unwrap();
    let (pttl, value) = pttl_and_value(&url, &store.subject_key(ISS, &alice)).await;
    assert_eq!((pttl, value), (-2, None), "the key is gone");
    // This replica forgot its remembered "revoked": the subject's tokens pass again, and the
    // token revoked by its `jti` stays refused.
    call(&layer, bearer(&plain)).await.assert_ok();
    call(&layer, bearer(&by_jti))
        .await
        .assert_invalid_token("token revoked");
}

#[tokio::test]
async fn revocation_redis_that_never_answers_is_cut_off_by_the_deadline() {
    // A "server" that accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut connections = Vec::new();
        while let Ok((connection, _)) = silent.accept().await {
            connections.push(connection);
        }
    });
    let layer = layer_with(RedisRevocation::new(&format!("redis://{address}")).unwrap())
        .build()
        .unwrap()
        .layer();
    let t = token(json!({ "jti": unique("silent") }));
    for _ in 0..3 {
        let started = Instant::now();
        let outcome = call(&layer, bearer(&t)).await;
        let waited = started.elapsed();
        outcome.assert_rejected(503, None);
        assert_eq!(outcome.code(), Some("revocation_unavailable"));
        assert!(
            waited >= Duration::from_millis(200) && waited < Duration::from_secs(2),
            "the 250 ms deadline ends the wait: {waited:?}"
        );
    }
    held.abort();
}

#[tokio::test]
async fn revocation_redis_is_shared_by_two_replicas() {
    let url = redis_url();
    // Two layers built separately, each with its own store and connection: two replicas.
    let replica = || {
        layer_with(
            RedisRevocation::new(&url)
                .unwrap()
                .not_revoked_ttl(Duration::from_millis(200)),
        )
        .build()
        .unwrap()
        .layer()
    };
    let (one, two) = (replica(), replica());
    let jti = unique("shared");
    let t = token(json!({ "jti": jti }));
    call(&one, bearer(&t)).await.assert_ok();
    call(&two, bearer(&t)).await.assert_ok();

    let writer = RedisRevocation::new(&url).unwrap();
    writer.revoke_jti(ISS, &jti, now() + 600).await.unwrap();
    for replica in [&one, &two] {
        eventually(replica, &t, 401, Duration::from_secs(3))
            .await
            .assert_invalid_token("token revoked");
    }
}

/// A `redis-server` of this test's own, on a fixed port, that can be stopped and started again.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Not started: the port is free (for "starts while Redis is down").
    fn stopped() -> Self {
        Self {
            port: Self::free_port(),
            child: None,
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn start(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (scripts/test installs it)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn revocation_redis_down_fails_closed_or_open_and_recovers_without_restart() {
    let mut server = OwnRedis::stopped();
    server.start();
    let store = || {
        RedisRevocation::new(&server.url())
            .unwrap()
            .not_revoked_ttl(Duration::ZERO)
    };
    let closed = layer_with(store()).build().unwrap().layer();
    let open = layer_with(store())
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    let t = token(json!({ "jti": unique("outage") }));
    call(&closed, bearer(&t)).await.assert_ok();
    call(&open, bearer(&t)).await.assert_ok();

    server.stop();
    let outcome = eventually(&closed, &t, 503, Duration::from_secs(5)).await;
    outcome.assert_rejected(503, None);
    assert_eq!(outcome.code(), Some("revocation_unavailable"));
    assert_eq!(outcome.headers["retry-after"], "5");
    let started = Instant::now();
    let outcome = call(&closed, bearer(&t)).await;
    assert_eq!(outcome.status.as_u16(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "each check is bounded by the deadline: {:?}",
        started.elapsed()
    );
    call(&open, bearer(&t)).await.assert_ok();

    server.start();
    eventually(&closed, &t, 200, Duration::from_secs(10))
        .await
        .assert_ok();
}

#[tokio::test]
async fn revocation_redis_starts_while_redis_is_down() {
    let mut server = OwnRedis::stopped();
    let layer = layer_with(
        RedisRevocation::new(&server.url())
            .unwrap()
            .not_revoked_ttl(Duration::ZERO),
    )
    .build()
    .unwrap()
    .layer();
    let t = token(json!({ "jti": unique("early") }));
    let outcome = call(&layer, bearer(&t)).await;
    outcome.assert_rejected(503, None);
    assert_eq!(outcome.code(), Some("revocation_unavailable"));

    server.start();
    eventually(&layer, &t, 200, Duration::from_secs(10))
        .await
        .assert_ok();
}

#[tokio::test]
async fn revocation_redis_through_the_quickstart() {
    let mut server = OwnRedis::stopped();
    server.start();
    let url = server.url();
    let (_closed, base, token) = start_example("quickstart", &[("REDIS_URL", &url)]);
    let token = token.unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let me = |base: String| {
        let client = client.clone();
        let token = token.clone();
        async move {
            client
                .get(format!("{base}/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        }
    };
    let response = me(base.clone()).await;
    assert_eq!(response.status(), 200);
    let claims: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    let jti = claims["jti"].as_str().unwrap();

    raw_set(&url, &format!("jwt:revoked:jti:{base}:{jti}"), "1").await;
    let started = Instant::now();
    let refused = loop {
        let response = me(base.clone()).await;
        if response.status() != 200 || started.elapsed() > Duration::from_secs(5) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Bearer realm="api", error="invalid_token", error_description="token revoked""#
    );

    // Redis down: the default quickstart fails closed, JWT_REVOCATION_FAIL=open passes; the
    // token answered "revoked" stays refused (remembered, no round trip).
    let (_open, open_base, open_token) = start_example(
        "quickstart",
        &[("REDIS_URL", &url), ("JWT_REVOCATION_FAIL", "open")],
    );
    let (_closed2, closed_base, closed_token) = start_example("quickstart", &[("REDIS_URL", &url)]);
    server.stop();
    let response = me(base.clone()).await;
    assert_eq!(response.status(), 401);
    let response = client
        .get(format!("{closed_base}/me"))
        .bearer_auth(closed_token.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let response = client
        .get(format!("{open_base}/me"))
        .bearer_auth(open_token.unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // A quickstart started while Redis is down serves 503s, then recovers when Redis is back.
    let (_late, late_base, late_token) = start_example("quickstart", &[("REDIS_URL", &url)]);
    let late_token = late_token.unwrap();
    let late = || {
        client
            .get(format!("{late_base}/me"))
            .bearer_auth(&late_token)
            .send()
    };
    assert_eq!(late().await.unwrap().status(), 503);
    server.start();
    let started = Instant::now();
    loop {
        let status = late().await.unwrap().status();
        if status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "recovered within 10 s: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn pttl_and_value(url: &str, key: &str) -> (i64, Option<String>) {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    let value: Option<String> = redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .unwrap();
    (pttl, value)
}

#[tokio::test]
async fn revocation_redis_writes_never_weaken_a_revocation() {
    let url = redis_url();
    let store = RedisRevocation::new(&url).unwrap();
    let long = Duration::from_secs(600);
    let short = Duration::from_secs(2);
    // Tokens expiring in 600 s and in -290 s: revocations for 900 s and for 10 s.
    let (long_exp, short_exp) = (now() + 600, now() - 290);

    // jti: a shorter TTL later never shortens the key's life.
    let jti = unique("mono-jti");
    store.revoke_jti(ISS, &jti, long_exp).await.unwrap();
    store.revoke_jti(ISS, &jti, short_exp).await.unwrap();
    let (pttl, value) = pttl_and_value(&url, &store.jti_key(ISS, &jti)).await;
    assert!(pttl > 500_000, "TTL shortened to {pttl} ms");
    assert_eq!(value.as_deref(), Some("1"));
    // ...and a longer one extends it.
    let jti = unique("mono-jti-grow");
    store.revoke_jti(ISS, &jti, short_exp).await.unwrap();
    store.revoke_jti(ISS, &jti, long_exp).await.unwrap();
    assert!(pttl_and_value(&url, &store.jti_key(ISS, &jti)).await.0 > 500_000);

    // subject: an earlier cutoff or a shorter TTL later keeps the stronger revocation.
    let sub = unique("mono-sub");
    let key = store.subject_key(ISS, &sub);
    store.revoke_subject(ISS, &sub, 2_000, long).await.unwrap();
    store.revoke_subject(ISS, &sub, 1_000, short).await.unwrap();
    let (pttl, value) = pttl_and_value(&url, &key).await;
    assert_eq!(value.as_deref(), Some("2000"));
    assert!(pttl > 500_000, "TTL shortened to {pttl} ms");
    // A later cutoff wins, and keeps the longer TTL.
    store.revoke_subject(ISS, &sub, 3_000, short).await.unwrap();
    let (pttl, value) = pttl_and_value(&url, &key).await;
    assert_eq!(value.as_deref(), Some("3000"));
    assert!(pttl > 500_000);

    // A value that is not a time revokes everything: a helper write keeps it, including values
    // Lua alone would read as numbers.
    for not_a_time in ["all", "1e9", "-inf", "0x10", "\u{b}5"] {
        let sub = unique("mono-all");
        let key = store.subject_key(ISS, &sub);
        raw_set(&url, &key, not_a_time).await;
        store.revoke_subject(ISS, &sub, 5_000, long).await.unwrap();
        let (pttl, value) = pttl_and_value(&url, &key).await;
        assert_eq!(value.as_deref(), Some(not_a_time));
        assert!(pttl > 590_000, "the longer TTL applies: {pttl}");
    }
}

#[tokio::test]
async fn revocation_redis_remembers_a_revoked_answer() {
    let mut server = OwnRedis::stopped();
    server.start();
    let store = RedisRevocation::new(&server.url())
        .unwrap()
        .not_revoked_ttl(Duration::ZERO);
    let open = layer_with(store.clone())
        .revocation_fail_open()
        .build()
        .unwrap()
        .layer();
    let jti = unique("remembered");
    let revoked = token(json!({ "jti": jti }));
    let other = token(json!({ "jti": unique("other") }));
    store.revoke_jti(ISS, &jti, now() + 600).await.unwrap();
    call(&open, bearer(&revoked))
        .await
        .assert_invalid_token("token revoked");

    // Redis goes away: fail open lets unknown tokens through, never the revoked one.
    server.stop();
    eventually(&open, &other, 200, Duration::from_secs(5))
        .await
        .assert_ok();
    let started = Instant::now();
    let outcome = call(&open, bearer(&revoked)).await;
    outcome.assert_invalid_token("token revoked");
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "answered from memory, without a round trip"
    );
}

/// One write of the model test below.
#[derive(Debug, Clone)]
enum Write {
    Jti {
        jti: u8,
        ttl: u16,
    },
    Subject {
        sub: u8,
        at: u16,
        ttl: u16,
    },
    /// Another system writes "revoke everything" for the subject (`SET … all EX 600`).
    RawAll {
        sub: u8,
    },
    /// An operator deletes the subject's key.
    Delete {
        sub: u8,
    },
    /// The helper lifts the subject's revocation.
    Unrevoke {
        sub: u8,
    },
}

fn write() -> impl proptest::strategy::Strategy<Value = Write> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0u8..3, 10u16..1000).prop_map(|(jti, ttl)| Write::Jti { jti, ttl }),
        4 => (0u8..3, 0u16..5000, 10u16..1000)
            .prop_map(|(sub, at, ttl)| Write::Subject { sub, at, ttl }),
        1 => (0u8..3).prop_map(|sub| Write::RawAll { sub }),
        1 => (0u8..3).prop_map(|sub| Write::Delete { sub }),
        1 => (0u8..3).prop_map(|sub| Write::Unrevoke { sub }),
    ]
}

/// Runs writes against Redis and a reference of what each key must hold: (value, TTL end in
/// ms from the start). Checks every key after every write.
async fn run_writes(url: &str, writes: &[Write]) -> Result<(), String> {
    use std::collections::HashMap;
    let store = RedisRevocation::new(url)
        .unwrap()
        .prefix(format!("{}:", unique("model")));
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let start = Instant::now();
    let ms = || i64::try_from(start.elapsed().as_millis()).unwrap();
    let mut jtis: HashMap<u8, i64> = HashMap::new();
    let mut subjects: HashMap<u8, (String, i64)> = HashMap::new();
    for (step, write) in writes.iter().enumerate() {
        let secs = |s: u16| Duration::from_secs(u64::from(s));
        let now = ms();
        match *write {
            Write::Jti { jti, ttl } => {
                // A token whose `exp` plus the 300 s margin is `ttl` from now.
                let exp = tower_jwt_auth::testing::now() + i64::from(ttl) - 300;
                assert!(store.revoke_jti(ISS, &jti.to_string(), exp).await.unwrap());
                let end = jtis.entry(jti).or_insert(0);
                *end = (*end).max(now + i64::from(ttl) * 1000);
            }
            Write::Subject { sub, at, ttl } => {
                store
                    .revoke_subject(ISS, &sub.to_string(), i64::from(at), secs(ttl))
                    .await
                    .unwrap();
                let end = now + i64::from(ttl) * 1000;
                let entry = subjects.entry(sub).or_insert((at.to_string(), end));
                if let Ok(old) = entry.0.parse::<i64>() {
                    entry.0 = old.max(i64::from(at)).to_string();
                }
                entry.1 = entry.1.max(end);
            }
            Write::RawAll { sub } => {
                raw_set(url, &store.subject_key(ISS, &sub.to_string()), "all").await;
                subjects.insert(sub, ("all".to_owned(), now + 600_000));
            }
            Write::Unrevoke { sub } => {
                store.unrevoke_subject(ISS, &sub.to_string()).await.unwrap();
                subjects.remove(&sub);
            }
            Write::Delete { sub } => {
                redis::cmd("DEL")
                    .arg(store.subject_key(ISS, &sub.to_string()))
                    .query_async::<()>(&mut conn)
                    .await
                    .unwrap();
                subjects.remove(&sub);
            }
        }
        let expected =
            jtis.iter()
                .map(|(j, end)| (store.jti_key(ISS, &j.to_string()), "1".to_owned(), *end))
                .chain(subjects.iter().map(|(s, (v, end))| {
                    (store.subject_key(ISS, &s.to_string()), v.clone(), *end)
                }));
        for (key, value, end) in expected {
            let (pttl, got) = pttl_and_value(url, &key).await;
            let left = end - ms();
            if got.as_deref() != Some(value.as_str()) || (pttl - left).abs() > 2_000 {
                return Err(format!(
                    "after step {step} of {writes:?}: {key} holds {got:?} for {pttl} ms, \
                     expected {value:?} for {left} ms"
                ));
            }
        }
        // A subject the reference holds no revocation for has no key.
        for sub in (0u8..3).filter(|s| !subjects.contains_key(s)) {
            let key = store.subject_key(ISS, &sub.to_string());
            if let (_, Some(got)) = pttl_and_value(url, &key).await {
                return Err(format!(
                    "after step {step} of {writes:?}: {key} holds {got:?}, expected no key"
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn revocation_redis_writes_agree_with_a_monotonic_reference() {
    use proptest::prelude::*;
    let url = redis_url();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(writes in proptest::collection::vec(write(), 1..24))| {
        let outcome = runtime.block_on(run_writes(&url, &writes));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    });
}
