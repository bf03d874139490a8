//! `Issuer::jwks_file`: keys from a local JWKS file, read again when it changes, with the same
//! per-key parsing, staleness and `status()` as a fetched set. Real files in a fresh directory;
//! the random sequences of writes are in `tests/model_keys.rs`.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::keyfile::{KeyFile, Layout, Write};
use common::*;
use serde_json::json;
use tower_jwt_auth::testing::TestKey;
use tower_jwt_auth::{Algorithm, ConfigError, Freshness, Issuer, Refresh, Verifier};

fn token(key: &TestKey) -> String {
    key.token(&good_claims())
}

fn jwks(keys: &[&TestKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() }).to_string()
}

/// Checks the file every 20 ms; a failed read is retried within 50 ms.
fn fast() -> Refresh {
    Refresh::default()
        .interval(Duration::from_millis(20))
        .jitter(0.0)
        .retry_backoff(Duration::from_millis(10), Duration::from_millis(50))
        .initial_retry_max(Duration::from_millis(50))
        .key_wait(Duration::from_millis(300))
}

fn verifier(file: &KeyFile, refresh: Refresh) -> Verifier {
    Verifier::builder()
        .issuer(Issuer::jwks_file(ISS, file.path()).refresh(refresh))
        .audience(AUD)
        .build()
        .unwrap()
}

/// The first good read, within 5 s.
async fn ready(verifier: &Verifier) {
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .expect("the key file never loaded");
}

/// A file with these keys, and a verifier that has read it.
async fn started(layout: Layout, keys: &[&TestKey], refresh: Refresh) -> (KeyFile, Verifier) {
    let mut file = KeyFile::new(layout);
    file.write(&jwks(keys), Write::Rename);
    let verifier = verifier(&file, refresh);
    ready(&verifier).await;
    (file, verifier)
}

/// Polls `check` every 5 ms until it holds, for at most 5 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < Duration::from_secs(5), "never: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn keys_load_from_the_file_and_status_tells_of_them() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    let mut enc = TestKey::generate(Algorithm::ES256)
        .with_kid("a")
        .public_jwk();
    enc["use"] = json!("enc");
    file.write(
        &json!({ "keys": [a.public_jwk(), enc] }).to_string(),
        Write::Rename,
    );
    let verifier = verifier(&file, fast());
    ready(&verifier).await;
    assert_eq!(verdict(&verifier, &token(&a)).await, Ok(()));
    let status = &verifier.status()[0];
    assert_eq!(
        (status.freshness, status.keys, status.skipped.len()),
        (Freshness::Fresh, 1, 1)
    );
    assert!(status.last_refresh.is_some() && status.last_error.is_none());
}

#[tokio::test]
async fn a_changed_file_is_picked_up_without_any_request_and_a_removed_key_refused() {
    let (a, b) = (
        key_with_kid(Algorithm::ES256, "a"),
        key_with_kid(Algorithm::EdDSA, "b"),
    );
    let (mut file, verifier) = started(Layout::Plain, &[&a], fast()).await;
    assert_eq!(verdict(&verifier, &token(&a)).await, Ok(())); // now in the token cache

    // No request names `b`: only the periodic check can bring it.
    file.write(&jwks(&[&a, &b]), Write::InPlace);
    eventually("b loaded", async || verifier.status()[0].keys == 2).await;
    assert_eq!(verdict(&verifier, &token(&b)).await, Ok(()));
    file.write(&jwks(&[&b]), Write::Rename);
    eventually("a removed", async || verifier.status()[0].keys == 1).await;
    assert_eq!(
        verdict(&verifier, &token(&a)).await,
        Err(tower_jwt_auth::AuthErrorKind::UnknownKey),
        "a key gone from the file is refused, cached token or not"
    );
}

#[tokio::test]
async fn a_new_kid_reads_the_file_at_once() {
    let (a, b) = (
        key_with_kid(Algorithm::ES256, "a"),
        key_with_kid(Algorithm::ES256, "b"),
    );
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    // Checked once an hour: only the unknown kid can make the verifier read the file again.
    let verifier = verifier(
        &file,
        fast()
            .interval(Duration::from_secs(3600))
            .kid_miss_cooldown(Duration::ZERO)
            .key_wait(Duration::from_secs(5)),
    );
    ready(&verifier).await;
    file.write(&jwks(&[&a, &b]), Write::Rename);
    assert_eq!(verdict(&verifier, &token(&b)).await, Ok(()));
    assert_eq!(verifier.status()[0].keys, 2);
}

#[tokio::test]
async fn a_secret_mounted_by_the_kubelet_is_followed_through_its_link_swaps() {
    let (a, b) = (
        key_with_kid(Algorithm::ES256, "a"),
        key_with_kid(Algorithm::ES256, "b"),
    );
    let (mut file, verifier) = started(Layout::Kubelet, &[&a], fast()).await;
    assert_eq!(verdict(&verifier, &token(&a)).await, Ok(()));
    file.write(&jwks(&[&b]), Write::Rename);
    eventually("the swapped version read", async || {
        verdict(&verifier, &token(&a)).await.is_err()
    })
    .await;
    assert_eq!(verdict(&verifier, &token(&b)).await, Ok(()));
}

#[tokio::test]
async fn a_file_that_goes_bad_keeps_the_last_good_keys_and_says_why() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let (mut file, verifier) = started(Layout::Plain, &[&a], fast()).await;
    let error = || verifier.status()[0].last_error.clone().unwrap_or_default();

    type Spoil = dyn Fn(&mut KeyFile);
    let bad: [(&str, &Spoil, &str); 4] = [
        (
            "garbled",
            &|f| f.write("{\"keys\": [", Write::InPlace),
            "not a JWKS",
        ),
        ("deleted", &|f| f.remove(), "key file: no such file"),
        (
            "no usable key",
            &|f| {
                f.write(
                    r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#,
                    Write::Rename,
                )
            },
            "no usable key in the set",
        ),
        (
            "too large",
            &|f| f.write(&" ".repeat(256 * 1024 + 1), Write::Rename),
            "body larger than 262144 bytes",
        ),
    ];
    for (what, spoil, reason) in bad {
        spoil(&mut file);
        eventually(what, async || error().contains(reason)).await;
        // Still refused by the reads after (every 20 ms): a bad file is never taken as read.
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(error().contains(reason), "{what}: {}", error());
        assert_eq!(verdict(&verifier, &token(&a)).await, Ok(()), "{what}");
        assert_eq!(verifier.status()[0].keys, 1, "{what}");
        file.write(&jwks(&[&a]), Write::Rename);
        eventually("recovered", async || {
            verifier.status()[0].last_error.is_none()
        })
        .await;
    }
}

#[tokio::test]
async fn past_max_stale_a_broken_file_means_503() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    let clock = tower_jwt_auth::testing::ManualClock::new();
    let verifier = Verifier::builder()
        .issuer(
            Issuer::jwks_file(ISS, file.path()).refresh(fast().max_stale(Duration::from_secs(60))),
        )
        .audience(AUD)
        .clock(clock.clone())
        .build()
        .unwrap();
    ready(&verifier).await;
    file.remove();
    eventually("the failure seen", async || {
        verifier.status()[0].last_error.is_some()
    })
    .await;
    clock.advance(Duration::from_secs(30));
    assert_eq!(verifier.status()[0].freshness, Freshness::Stale);
    clock.advance(Duration::from_secs(31));
    assert_eq!(verifier.status()[0].freshness, Freshness::Expired);
    let layer = verifier.layer();
    let out = call(&layer, bearer(&clock_token(&a, &clock))).await;
    out.assert_rejected(503, None);
    assert_eq!(out.code(), Some("keys_unavailable"));
}

fn clock_token(key: &TestKey, clock: &tower_jwt_auth::testing::ManualClock) -> String {
    use tower_jwt_auth::clock::Clock;
    let now = clock.now_unix_secs() as i64;
    key.token(&claims_with(json!({ "iat": now, "exp": now + 600 })))
}

#[tokio::test]
async fn a_missing_file_is_503_until_it_appears() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    let verifier = verifier(&file, fast());
    let layer = verifier.clone().layer();
    let out = call(&layer, bearer(&token(&a))).await;
    out.assert_rejected(503, None);
    assert_eq!(out.headers["retry-after"], "5");
    assert_eq!(out.code(), Some("keys_unavailable"));
    assert_eq!(verifier.status()[0].freshness, Freshness::NeverLoaded);
    eventually("the reason told", async || {
        verifier.status()[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("no such file")
    })
    .await;

    file.write(&jwks(&[&a]), Write::Rename);
    ready(&verifier).await;
    call(&layer, bearer(&token(&a))).await.assert_ok();
}

#[cfg(unix)]
#[tokio::test]
async fn only_a_regular_file_nobody_else_may_write_is_read() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    let reason = |v: &Verifier| v.status()[0].last_error.clone().unwrap_or_default();
    // Writable by all, or in a directory all may write without the sticky bit: anyone could
    // put their own key in. A sticky directory (like /tmp) protects the owner's file.
    for (target, mode, refused) in [
        (file.path(), 0o666, Some("writable by every user")),
        (file.dir().to_owned(), 0o777, Some("directory every user")),
        (file.dir().to_owned(), 0o1777, None),
    ] {
        keyfile::set_mode(&file.path(), 0o644);
        keyfile::set_mode(file.dir(), 0o755);
        keyfile::set_mode(&target, mode);
        let v = verifier(&file, fast());
        match refused {
            Some(why) => {
                eventually(why, async || reason(&v).contains(why)).await;
                assert_eq!(v.status()[0].freshness, Freshness::NeverLoaded, "{why}");
            }
            None => ready(&v).await,
        }
    }
    keyfile::set_mode(file.dir(), 0o755);

    // A FIFO would block a reader forever; a directory is no file either.
    let fifo = file.dir().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for path in [fifo, file.dir().to_owned()] {
        let v = Verifier::builder()
            .issuer(Issuer::jwks_file(ISS, &path).refresh(fast()))
            .audience(AUD)
            .build()
            .unwrap();
        eventually("not a regular file", async || {
            reason(&v).contains("not a regular file")
        })
        .await;
        let out = call(&v.layer(), bearer(&token(&a))).await;
        out.assert_rejected(503, None);
        assert_eq!(out.code(), Some("keys_unavailable"));
    }
}

#[tokio::test]
async fn http_settings_on_a_key_file_are_refused() {
    let file = KeyFile::new(Layout::Plain);
    let build = |issuer: Issuer| Verifier::builder().issuer(issuer).audience(AUD).build();
    let plain = || Issuer::jwks_file(ISS, file.path());
    assert!(matches!(
        build(plain().insecure_allow_http()),
        Err(ConfigError::HttpWithoutRemoteKeys { .. })
    ));
    let client = Refresh::default().http_client(reqwest::Client::new());
    assert!(matches!(
        build(plain().refresh(client)),
        Err(ConfigError::HttpWithoutRemoteKeys { .. })
    ));
    assert!(matches!(
        build(plain().refresh(Refresh::default().interval(Duration::ZERO))),
        Err(ConfigError::Zero {
            setting: "interval"
        })
    ));
    assert!(build(plain()).is_ok());
}

#[tokio::test]
async fn the_file_is_checked_every_10_s_unless_told_otherwise() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    // The set is due again one interval after its last read, by the verifier's clock.
    // 30 s: below the 1-minute floor of `interval_bounds`, which a file's interval ignores.
    let thirty = Refresh::default().interval(Duration::from_secs(30));
    for (refresh, interval) in [(None, 10), (Some(thirty), 30)] {
        let clock = tower_jwt_auth::testing::ManualClock::new();
        let issuer = Issuer::jwks_file(ISS, file.path());
        let issuer = match refresh {
            Some(refresh) => issuer.refresh(refresh),
            None => issuer,
        };
        let verifier = Verifier::builder()
            .issuer(issuer)
            .audience(AUD)
            .clock(clock.clone())
            .build()
            .unwrap();
        ready(&verifier).await;
        clock.advance(Duration::from_millis(interval * 1000 - 500));
        assert_eq!(
            verifier.status()[0].freshness,
            Freshness::Fresh,
            "{interval} s"
        );
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            verifier.status()[0].freshness,
            Freshness::Stale,
            "{interval} s"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn unless_told_otherwise_a_change_is_read_within_10_s() {
    let (a, b) = (
        key_with_kid(Algorithm::ES256, "a"),
        key_with_kid(Algorithm::ES256, "b"),
    );
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    // The default interval; no jitter, so the check falls at 10 s exactly (tokio's paused clock).
    let verifier = verifier(&file, Refresh::default().jitter(0.0));
    ready(&verifier).await;
    file.write(&jwks(&[&a, &b]), Write::Rename);
    tokio::time::sleep(Duration::from_millis(9_900)).await;
    assert_eq!(verifier.status()[0].keys, 1, "read before 10 s");
    tokio::time::sleep(Duration::from_millis(200)).await;
    eventually("read at 10 s", async || verifier.status()[0].keys == 2).await;
}

#[tokio::test]
async fn an_unknown_kid_reads_the_file_at_most_once_per_cooldown() {
    use tower_jwt_auth::clock::Clock;
    let (a, b, c) = (
        key_with_kid(Algorithm::ES256, "a"),
        key_with_kid(Algorithm::ES256, "b"),
        key_with_kid(Algorithm::ES256, "c"),
    );
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    let clock = tower_jwt_auth::testing::ManualClock::new();
    let refresh = fast()
        .interval(Duration::from_secs(3600))
        .kid_miss_cooldown(Duration::from_secs(3600))
        .key_wait(Duration::from_secs(5));
    let verifier = Verifier::builder()
        .issuer(Issuer::jwks_file(ISS, file.path()).refresh(refresh))
        .audience(AUD)
        .clock(clock.clone())
        .build()
        .unwrap();
    ready(&verifier).await;
    let read_at = || verifier.status()[0].last_refresh;
    clock.advance(Duration::from_secs(1));
    file.write(&jwks(&[&a, &b]), Write::Rename);
    assert_eq!(verdict(&verifier, &clock_token(&b, &clock)).await, Ok(()));
    assert_eq!(
        read_at(),
        Some(clock.now_unix_secs()),
        "the unknown kid read the file"
    );
    clock.advance(Duration::from_secs(1));
    file.write(&jwks(&[&a, &b, &c]), Write::Rename);
    assert_eq!(
        verdict(&verifier, &clock_token(&c, &clock)).await,
        Err(tower_jwt_auth::AuthErrorKind::UnknownKey),
        "within the cooldown, the answer of the last read"
    );
    assert_eq!(
        read_at(),
        Some(clock.now_unix_secs() - 1.0),
        "no second read"
    );
}

/// Set in the copy of this test binary that runs without any CA certificate.
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
const AIR_GAPPED: &str = "TOWER_JWT_AUTH_TEST_AIR_GAPPED";

// Where `SSL_CERT_FILE` and `SSL_CERT_DIR` are the system's CA store (not macOS, Windows, Android).
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
#[tokio::test]
async fn a_key_file_issuer_builds_on_a_machine_without_ca_certificates() {
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    if std::env::var_os(AIR_GAPPED).is_none() {
        // Run this test again in a process whose system CA store is empty.
        let empty = file.dir().join("no-roots");
        std::fs::create_dir(&empty).unwrap();
        std::fs::write(empty.join("roots.pem"), "").unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_key_file_issuer_builds_on_a_machine_without_ca_certificates",
            ])
            .env(AIR_GAPPED, "1")
            .env("SSL_CERT_FILE", empty.join("roots.pem"))
            .env("SSL_CERT_DIR", &empty)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // A filter that matches nothing also exits 0: the run must have passed this one test.
        assert!(
            out.status.success() && stdout.contains("test result: ok. 1 passed"),
            "the run without CA certificates: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    // An HTTP issuer can't build its client here: the environment really has no roots.
    let remote = Verifier::builder()
        .issuer(Issuer::jwks_url(ISS, "https://keys.example/jwks"))
        .audience(AUD)
        .build();
    assert!(
        matches!(remote, Err(ConfigError::HttpClient { .. })),
        "{remote:?}"
    );
    file.write(&jwks(&[&a]), Write::Rename);
    let verifier = verifier(&file, fast());
    ready(&verifier).await;
    assert_eq!(verdict(&verifier, &token(&a)).await, Ok(()));
}
