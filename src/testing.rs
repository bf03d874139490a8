//! Test kit (feature `testing`): key pairs, a token minter and JWKS documents.
//!
//! Keys are generated with aws-lc-rs, and tokens are signed with it directly, so the kit also
//! mints the tokens a careful verifier must refuse: any header (`alg: none`, `crit`, `jku`, …),
//! any payload, any signature.
//!
//! # Example
//!
//! ```
//! use tower_jwt_auth::Algorithm;
//! use tower_jwt_auth::testing::{TestKey, now};
//!
//! let key = TestKey::generate(Algorithm::EdDSA).with_kid("k1");
//! let token = key.token(&serde_json::json!({ "sub": "alice", "exp": now() + 60 }));
//! assert_eq!(token.split('.').count(), 3);
//! assert!(key.jwks().contains("\"kid\":\"k1\""));
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256,
    RSA_PSS_SHA384, RSA_PSS_SHA512, RsaEncoding, RsaKeyPair,
};
use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use crate::b64;

/// The current time as a `NumericDate` (whole seconds since the epoch).
#[must_use]
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A clock tests move by hand (shared by its clones), starting at the current time.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use tower_jwt_auth::clock::Clock;
/// use tower_jwt_auth::testing::ManualClock;
///
/// let clock = ManualClock::at(1_700_000_000.0);
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(clock.now_unix_secs(), 1_700_000_001.5);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<std::sync::atomic::AtomicU64>);

impl ManualClock {
    /// A clock at the current time.
    #[must_use]
    pub fn new() -> Self {
        #[allow(clippy::cast_precision_loss)]
        Self::at(now() as f64)
    }

    /// A clock at `secs` seconds since the epoch.
    #[must_use]
    pub fn at(secs: f64) -> Self {
        Self(Arc::new(std::sync::atomic::AtomicU64::new(secs.to_bits())))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.set(crate::clock::Clock::now_unix_secs(self) + by.as_secs_f64());
    }

    /// Sets the clock to `secs` seconds since the epoch (backwards too).
    pub fn set(&self, secs: f64) {
        self.0
            .store(secs.to_bits(), std::sync::atomic::Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::clock::Clock for ManualClock {
    fn now_unix_secs(&self) -> f64 {
        f64::from_bits(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[derive(Clone)]
enum Secret {
    Rsa(Arc<RsaKeyPair>),
    Ec(Arc<EcdsaKeyPair>, &'static str),
    Ed(Arc<Ed25519KeyPair>),
    Hmac(Arc<Vec<u8>>),
}

/// A signing key for tests, with its public JWK.
#[derive(Clone)]
pub struct TestKey {
    alg: Algorithm,
    kid: Option<String>,
    secret: Secret,
}

impl fmt::Debug for TestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn rsa_padding(alg: Algorithm) -> &'static dyn RsaEncoding {
    match alg {
        Algorithm::RS384 => &RSA_PKCS1_SHA384,
        Algorithm::RS512 => &RSA_PKCS1_SHA512,
        Algorithm::PS256 => &RSA_PSS_SHA256,
        Algorithm::PS384 => &RSA_PSS_SHA384,
        Algorithm::PS512 => &RSA_PSS_SHA512,
        _ => &RSA_PKCS1_SHA256,
    }
}

impl TestKey {
    /// Generates a key for `alg`: RSA 2048 bits for RS*/PS*, P-256 for ES256, P-384 for ES384,
    /// Ed25519 for EdDSA, a random secret of the hash's size for HS*.
    ///
    /// # Panics
    ///
    /// If the system's random source fails.
    #[must_use]
    pub fn generate(alg: Algorithm) -> Self {
        let secret = match alg {
            Algorithm::ES256 => Secret::Ec(
                Arc::new(EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("keygen")),
                "P-256",
            ),
            Algorithm::ES384 => Secret::Ec(
                Arc::new(EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING).expect("keygen")),
                "P-384",
            ),
            Algorithm::EdDSA => Secret::Ed(Arc::new(Ed25519KeyPair::generate().expect("keygen"))),
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                let mut bytes = vec![0u8; crate::keys::hmac_min_len(alg)];
                SystemRandom::new().fill(&mut bytes).expect("random bytes");
                Secret::Hmac(Arc::new(bytes))
            }
            _ => Secret::Rsa(Arc::new(
                RsaKeyPair::generate(KeySize::Rsa2048).expect("keygen"),
            )),
        };
        Self {
            alg,
            kid: None,
            secret,
        }
    }

    /// An HMAC key with a given secret (any length: also for keys a verifier must refuse).
    #[must_use]
    pub fn hmac(alg: Algorithm, secret: impl Into<Vec<u8>>) -> Self {
        Self {
            alg,
            kid: None,
            secret: Secret::Hmac(Arc::new(secret.into())),
        }
    }

    /// Sets the key id written into the JWK and into token headers.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The same key, used with another algorithm of its family (e.g. PS256 with an RS256 key).
    #[must_use]
    pub fn with_alg(mut self, alg: Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The algorithm.
    #[must_use]
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The key id.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The HMAC secret, for HS* keys.
    #[must_use]
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Hmac(s) => Some(s),
            _ => None,
        }
    }

    /// The public JWK, with `alg`, `use: sig` and `kid` (if set). HS* keys give an `oct` JWK.
    #[must_use]
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.bare_jwk();
        jwk["alg"] = json!(alg_name(self.alg));
        jwk["use"] = json!("sig");
        if let Some(kid) = &self.kid {
            jwk["kid"] = json!(kid);
        }
        jwk
    }

    /// The public JWK with only the key material (no `alg`, `use` or `kid`).
    #[must_use]
    pub fn bare_jwk(&self) -> Value {
        match &self.secret {
            Secret::Rsa(kp) => {
                let c = PublicKeyComponents::<Vec<u8>>::from(kp.public_key());
                json!({ "kty": "RSA", "n": b64::encode(&c.n), "e": b64::encode(&c.e) })
            }
            Secret::Ec(kp, crv) => {
                let point = kp.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                json!({
                    "kty": "EC", "crv": crv,
                    "x": b64::encode(&point[1..=half]), "y": b64::encode(&point[1 + half..]),
                })
            }
            Secret::Ed(kp) => {
                json!({ "kty": "OKP", "crv": "Ed25519", "x": b64::encode(kp.public_key().as_ref()) })
            }
            Secret::Hmac(s) => json!({ "kty": "oct", "k": b64::encode(s.as_slice()) }),
        }
    }

    /// A JWKS document holding this key's public JWK.
    #[must_use]
    pub fn jwks(&self) -> String {
        jwks(&[self])
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), for asymmetric keys.
    #[must_use]
    pub fn public_key_pem(&self) -> Option<String> {
        let der: Vec<u8> = match &self.secret {
            Secret::Rsa(kp) => kp.public_key().as_der().ok()?.as_ref().to_vec(),
            Secret::Ec(kp, _) => kp.public_key().as_der().ok()?.as_ref().to_vec(),
            Secret::Ed(kp) => kp.public_key().as_der().ok()?.as_ref().to_vec(),
            Secret::Hmac(_) => return None,
        };
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Some(pem)
    }

    /// A token for `claims`, with the header `{"alg", "typ": "JWT", "kid"}`.
    #[must_use]
    pub fn token(&self, claims: &Value) -> String {
        let mut header = json!({ "alg": alg_name(self.alg), "typ": "JWT" });
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        self.sign(&header, claims)
    }

    /// A token with exactly this header and these claims, signed with this key's algorithm
    /// (whatever the header's `alg` says).
    #[must_use]
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.sign_parts(&header.to_string(), claims.to_string().as_bytes())
    }

    /// A token whose header and payload are these exact bytes (base64url-encoded here).
    #[must_use]
    pub fn sign_parts(&self, header_json: &str, payload: &[u8]) -> String {
        let signing_input = format!("{}.{}", b64::encode(header_json), b64::encode(payload));
        let signature = self.signature(signing_input.as_bytes());
        format!("{signing_input}.{}", b64::encode(signature))
    }

    /// The raw signature of `message`.
    ///
    /// # Panics
    ///
    /// If aws-lc-rs fails to sign.
    #[must_use]
    pub fn signature(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.secret {
            Secret::Rsa(kp) => {
                let mut sig = vec![0; kp.public_modulus_len()];
                kp.sign(rsa_padding(self.alg), &rng, message, &mut sig)
                    .expect("RSA signing");
                sig
            }
            Secret::Ec(kp, _) => kp
                .sign(&rng, message)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            Secret::Ed(kp) => kp.sign(message).as_ref().to_vec(),
            Secret::Hmac(secret) => {
                let alg = match self.alg {
                    Algorithm::HS384 => hmac::HMAC_SHA384,
                    Algorithm::HS512 => hmac::HMAC_SHA512,
                    _ => hmac::HMAC_SHA256,
                };
                hmac::sign(&hmac::Key::new(alg, secret), message)
                    .as_ref()
                    .to_vec()
            }
        }
    }
}

/// A JWKS document (`{"keys": [...]}`) of these keys' public JWKs.
#[must_use]
pub fn jwks(keys: &[&TestKey]) -> String {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() }).to_string()
}

/// Every signature algorithm this crate verifies: HS256/384/512, then the asymmetric ones.
pub const ALGORITHMS: [Algorithm; 12] = crate::keys::AlgSet::ALL;

/// Every asymmetric signature algorithm this crate verifies.
pub const ASYMMETRIC_ALGORITHMS: [Algorithm; 9] = {
    let mut asymmetric = [Algorithm::ES256; 9];
    let mut i = 0;
    while i < asymmetric.len() {
        asymmetric[i] = ALGORITHMS[i + 3];
        i += 1;
    }
    asymmetric
};

/// The registered name of an algorithm (`"RS256"`, `"EdDSA"`, …).
#[must_use]
pub fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::EdDSA => "EdDSA",
        _ => "unknown",
    }
}

/// SHA-256 of `data` (for tests that need a thumbprint or a digest).
#[must_use]
pub fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

pub use self::server::{Behavior, JwksServer};

mod server {
    use std::hash::{BuildHasher, Hasher};
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::Duration;

    use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
    use http::{Request, Response, StatusCode};
    use http_body_util::Full;
    use hyper::body::{Bytes, Incoming};
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;
    use tokio::task::{JoinHandle, JoinSet};

    use super::TestKey;

    /// How the server answers key set requests.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum Behavior {
        /// Serve the key set (and 304 for a matching `If-None-Match`).
        Serve,
        /// Answer with this status and an empty body.
        Status(u16),
        /// Accept the request and never answer.
        Hang,
        /// Answer 200 with these bytes.
        Body(Vec<u8>),
        /// Close every connection as soon as it is accepted, like a crashed server.
        Down,
        /// Answer `302 Found` with this `Location`.
        Redirect(String),
    }

    #[derive(Debug)]
    struct State {
        jwks: String,
        behavior: Behavior,
        cache_control: Option<String>,
        discovery_issuer: Option<String>,
        discovery_jwks_uri: Option<String>,
        latency: Duration,
        etag: bool,
        user_agents: Vec<Option<String>>,
    }

    #[derive(Debug)]
    struct Shared {
        state: Mutex<State>,
        jwks_requests: AtomicUsize,
        not_modified: AtomicUsize,
        discovery_requests: AtomicUsize,
        base: String,
    }

    impl Shared {
        fn state(&self) -> std::sync::MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// A JWKS server on 127.0.0.1 for tests: serves `/jwks.json` and OIDC discovery documents,
    /// and can rotate its keys, fail, hang, go down, or send garbage. It stops when dropped.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{Behavior, JwksServer, TestKey};
    /// use tower_jwt_auth::Algorithm;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let key = TestKey::generate(Algorithm::ES256).with_kid("a");
    /// let server = JwksServer::start(&[&key]).await;
    /// assert!(server.jwks_url().starts_with("http://127.0.0.1:"));
    /// server.set_behavior(Behavior::Status(503));
    /// # }
    /// ```
    #[derive(Debug)]
    pub struct JwksServer {
        addr: SocketAddr,
        shared: Arc<Shared>,
        task: JoinHandle<()>,
    }

    impl Drop for JwksServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl JwksServer {
        /// Starts a server holding these keys' public JWKs.
        ///
        /// # Panics
        ///
        /// If no port on 127.0.0.1 can be bound.
        pub async fn start(keys: &[&TestKey]) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            let addr = listener.local_addr().expect("local address");
            let shared = Arc::new(Shared {
                state: Mutex::new(State {
                    jwks: super::jwks(keys),
                    behavior: Behavior::Serve,
                    cache_control: None,
                    discovery_issuer: None,
                    discovery_jwks_uri: None,
                    latency: Duration::ZERO,
                    etag: true,
                    user_agents: Vec::new(),
                }),
                jwks_requests: AtomicUsize::new(0),
                not_modified: AtomicUsize::new(0),
                discovery_requests: AtomicUsize::new(0),
                base: format!("http://{addr}"),
            });
            let task = tokio::spawn(serve(listener, Arc::clone(&shared)));
            Self { addr, shared, task }
        }

        /// `http://127.0.0.1:<port>`: also the issuer its discovery documents name by default.
        #[must_use]
        pub fn base_url(&self) -> String {
            self.shared.base.clone()
        }

        /// The address it listens on.
        #[must_use]
        pub fn addr(&self) -> SocketAddr {
            self.addr
        }

        /// The key set URL.
        #[must_use]
        pub fn jwks_url(&self) -> String {
            format!("{}/jwks.json", self.shared.base)
        }

        /// Serves these keys from now on.
        pub fn set_keys(&self, keys: &[&TestKey]) {
            self.shared.state().jwks = super::jwks(keys);
        }

        /// Serves this exact document as the key set from now on.
        pub fn set_jwks_document(&self, jwks: impl Into<String>) {
            self.shared.state().jwks = jwks.into();
        }

        /// How key set requests are answered from now on.
        pub fn set_behavior(&self, behavior: Behavior) {
            self.shared.state().behavior = behavior;
        }

        /// The `Cache-Control` header of key set answers (`None`: no header).
        pub fn set_cache_control(&self, value: Option<&str>) {
            self.shared.state().cache_control = value.map(str::to_owned);
        }

        /// A delay before every key set answer.
        pub fn set_latency(&self, latency: Duration) {
            self.shared.state().latency = latency;
        }

        /// The `issuer` discovery documents name (default: the base URL plus the path before
        /// `/.well-known/openid-configuration`).
        pub fn set_discovery_issuer(&self, issuer: Option<&str>) {
            self.shared.state().discovery_issuer = issuer.map(str::to_owned);
        }

        /// The `jwks_uri` discovery documents name (default: this server's key set URL).
        pub fn set_discovery_jwks_uri(&self, uri: Option<&str>) {
            self.shared.state().discovery_jwks_uri = uri.map(str::to_owned);
        }

        /// Whether key set answers carry an `ETag` (and a matching `If-None-Match` gets 304).
        /// On by default; off, every refresh is a full `200`.
        pub fn set_etag(&self, enabled: bool) {
            self.shared.state().etag = enabled;
        }

        /// The `User-Agent` of every request received (key set and discovery), in order.
        #[must_use]
        pub fn user_agents(&self) -> Vec<Option<String>> {
            self.shared.state().user_agents.clone()
        }

        /// How many key set requests it has received.
        #[must_use]
        pub fn jwks_requests(&self) -> usize {
            self.shared.jwks_requests.load(Ordering::SeqCst)
        }

        /// How many key set requests it answered `304 Not Modified`.
        #[must_use]
        pub fn not_modified(&self) -> usize {
            self.shared.not_modified.load(Ordering::SeqCst)
        }

        /// How many discovery requests it has received.
        #[must_use]
        pub fn discovery_requests(&self) -> usize {
            self.shared.discovery_requests.load(Ordering::SeqCst)
        }
    }

    async fn serve(listener: TcpListener, shared: Arc<Shared>) {
        // Connections live in this set: aborting the accept loop drops it and ends them all.
        let mut connections = JoinSet::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            if shared.state().behavior == Behavior::Down {
                drop(stream);
                continue;
            }
            let shared = Arc::clone(&shared);
            connections.spawn(async move {
                let service = service_fn(move |req| answer(Arc::clone(&shared), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
            while connections.try_join_next().is_some() {}
        }
    }

    fn etag_of(body: &str) -> String {
        // One hasher key for the whole process: the same body always gets the same ETag.
        static KEY: std::sync::OnceLock<std::collections::hash_map::RandomState> =
            std::sync::OnceLock::new();
        let mut hasher = KEY.get_or_init(Default::default).build_hasher();
        hasher.write(body.as_bytes());
        format!("\"{:016x}\"", hasher.finish())
    }

    async fn answer(
        shared: Arc<Shared>,
        req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, std::io::Error> {
        let path = req.uri().path().to_owned();
        let agent = req
            .headers()
            .get(http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        shared.state().user_agents.push(agent);
        if let Some(prefix) = path.strip_suffix("/.well-known/openid-configuration") {
            shared.discovery_requests.fetch_add(1, Ordering::SeqCst);
            let (issuer, jwks_uri) = {
                let state = shared.state();
                (
                    state.discovery_issuer.clone(),
                    state.discovery_jwks_uri.clone(),
                )
            };
            let doc = serde_json::json!({
                "issuer": issuer.unwrap_or_else(|| format!("{}{prefix}", shared.base)),
                "jwks_uri": jwks_uri.unwrap_or_else(|| format!("{}/jwks.json", shared.base)),
            });
            return Ok(json_response(StatusCode::OK, doc.to_string()));
        }
        if path != "/jwks.json" {
            return Ok(status_response(StatusCode::NOT_FOUND));
        }
        shared.jwks_requests.fetch_add(1, Ordering::SeqCst);
        let (behavior, jwks, cache_control, latency, use_etag) = {
            let state = shared.state();
            (
                state.behavior.clone(),
                state.jwks.clone(),
                state.cache_control.clone(),
                state.latency,
                state.etag,
            )
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut response = match behavior {
            // A connection opened before the server went down: drop it without an answer.
            Behavior::Down => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "down",
                ));
            }
            Behavior::Serve => {
                let etag = etag_of(&jwks);
                let matches = use_etag
                    && req
                        .headers()
                        .get(IF_NONE_MATCH)
                        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
                let mut response = if matches {
                    shared.not_modified.fetch_add(1, Ordering::SeqCst);
                    status_response(StatusCode::NOT_MODIFIED)
                } else {
                    json_response(StatusCode::OK, jwks)
                };
                if use_etag && let Ok(value) = etag.parse() {
                    response.headers_mut().insert(ETAG, value);
                }
                response
            }
            Behavior::Status(code) => status_response(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ),
            Behavior::Redirect(location) => {
                let mut response = status_response(StatusCode::FOUND);
                if let Ok(value) = location.parse() {
                    response.headers_mut().insert(http::header::LOCATION, value);
                }
                response
            }
            Behavior::Hang => {
                std::future::pending::<()>().await;
                status_response(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Behavior::Body(bytes) => {
                let mut response = Response::new(Full::new(Bytes::from(bytes)));
                response.headers_mut().insert(
                    CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                response
            }
        };
        if let Some(value) = cache_control.and_then(|v| v.parse().ok()) {
            response.headers_mut().insert(CACHE_CONTROL, value);
        }
        Ok(response)
    }

    fn json_response(status: StatusCode, body: String) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response.headers_mut().insert(
            CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }

    fn status_response(status: StatusCode) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::new()));
        *response.status_mut() = status;
        response
    }
}
