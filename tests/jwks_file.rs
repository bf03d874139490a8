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
    let mut enc = key_with_kid(Algorithm::ES256, "a").public_jwk();
    enc["use"] = json!("enc");
    file.write(
        &json!({ "keys": [a.public_jwk(), enc] }).to_string(),
        Write::Rename,
    );
    let verifier = verifier(&file, fast());
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .unwrap();
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
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    let verifier = verifier(&file, fast());
    verifier.ready().await;
    assert_eq!(verdict(&verifier, &token(&a)).await, Ok(())); // now in the token cache

    file.write(&jwks(&[&b]), Write::InPlace);
    eventually("b loaded", async || {
        verifier.status()[0].keys == 1 && { verdict(&verifier, &token(&b)).await.is_ok() }
    })
    .await;
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
            .kid_miss_cooldown(Duration::ZERO),
    );
    verifier.ready().await;
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
    let mut file = KeyFile::new(Layout::Kubelet);
    file.write(&jwks(&[&a]), Write::Rename);
    let verifier = verifier(&file, fast());
    verifier.ready().await;
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
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    let verifier = verifier(&file, fast());
    verifier.ready().await;
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
    verifier.ready().await;
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
    assert!(
        verifier.status()[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("no such file")
    );

    file.write(&jwks(&[&a]), Write::Rename);
    tokio::time::timeout(Duration::from_secs(5), verifier.ready())
        .await
        .unwrap();
    call(&layer, bearer(&token(&a))).await.assert_ok();
}

#[cfg(unix)]
#[tokio::test]
async fn only_a_regular_file_nobody_else_may_write_is_read() {
    use std::os::unix::fs::PermissionsExt;
    let a = key_with_kid(Algorithm::ES256, "a");
    let mut file = KeyFile::new(Layout::Plain);
    file.write(&jwks(&[&a]), Write::Rename);
    std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o666)).unwrap();
    let reason = |v: &Verifier| v.status()[0].last_error.clone().unwrap_or_default();
    let open = verifier(&file, fast());
    eventually("world-writable refused", async || {
        reason(&open).contains("writable by every user")
    })
    .await;
    assert_eq!(open.status()[0].freshness, Freshness::NeverLoaded);

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
    for (refresh, interval) in [
        (None, 10),
        (
            Some(Refresh::default().interval(Duration::from_secs(60))),
            60,
        ),
    ] {
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
        verifier.ready().await;
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
