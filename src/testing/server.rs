//! [`JwksServer`]: a real JWKS and OIDC discovery server on loopback, with the faults a provider has.

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

mod counters;
mod settings;

/// How the server answers key set requests.
///
/// Set with [`JwksServer::set_behavior`]; discovery documents are always served.
///
/// # Example
///
/// ```
/// use tower_jwt_auth::testing::{Behavior, JwksServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = JwksServer::start(&[]).await;
/// server.set_behavior(Behavior::Status(503));
/// assert_eq!(reqwest::get(server.jwks_url()).await?.status().as_u16(), 503);
/// server.set_behavior(Behavior::Body(b"{not json".to_vec()));
/// assert_eq!(reqwest::get(server.jwks_url()).await?.text().await?, "{not json");
/// # Ok(())
/// # }
/// ```
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
    /// It runs on the current tokio runtime. Its defaults: [`Behavior::Serve`], an `ETag` on key
    /// set answers, no `Cache-Control`, no latency.
    ///
    /// # Panics
    ///
    /// If no port on 127.0.0.1 can be bound.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::{JwksServer, TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let claims = serde_json::json!({ "iss": "https://issuer.example", "aud": "api", "sub": "alice", "exp": now() + 60 });
    /// let key = TestKey::generate(Algorithm::ES256).with_kid("k1");
    /// let server = JwksServer::start(&[&key]).await;
    /// # let verifier = Verifier::builder().issuer(Issuer::jwks_url("https://issuer.example", server.jwks_url())).audience("api").build()?;
    /// let claims = verifier.verify(&key.token(&claims)).await?;
    /// assert_eq!((claims.sub.as_deref(), server.jwks_requests()), (Some("alice"), 1));
    /// # Ok(())
    /// # }
    /// ```
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
    ///
    /// # Example
    ///
    /// A verifier configured by discovery from this URL accepts tokens issued by it:
    ///
    /// ```
    /// use tower_jwt_auth::testing::{JwksServer, TestKey, now};
    /// use tower_jwt_auth::{Algorithm, Issuer, Verifier};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let key = TestKey::generate(Algorithm::EdDSA);
    /// let server = JwksServer::start(&[&key]).await;
    /// # let verifier = Verifier::builder().issuer(Issuer::discover(server.base_url())).audience("api").build()?;
    /// let claims = serde_json::json!({ "iss": server.base_url(), "aud": "api", "exp": now() + 60 });
    /// let token = key.token(&claims);
    /// assert!(verifier.verify(&token).await.is_ok());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn base_url(&self) -> String {
        self.shared.base.clone()
    }

    /// The address it listens on.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::testing::JwksServer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = JwksServer::start(&[]).await;
    /// assert!(server.addr().ip().is_loopback());
    /// assert_eq!(server.base_url(), format!("http://{}", server.addr()));
    /// # }
    /// ```
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The key set URL.
    ///
    /// # Example
    ///
    /// ```
    /// use tower_jwt_auth::Algorithm;
    /// use tower_jwt_auth::testing::{JwksServer, TestKey};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let key = TestKey::generate(Algorithm::EdDSA).with_kid("k1");
    /// let server = JwksServer::start(&[&key]).await;
    /// assert_eq!(server.jwks_url(), format!("{}/jwks.json", server.base_url()));
    /// assert_eq!(reqwest::get(server.jwks_url()).await?.text().await?, key.jwks());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks.json", self.shared.base)
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
        Behavior::Status(code) => {
            status_response(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        }
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
