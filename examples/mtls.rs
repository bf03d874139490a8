//! Certificate-bound tokens (RFC 8705) over mutual TLS on loopback: the accept loop puts the
//! verified client certificate into every request as a `ClientCertificate`, and the layer
//! accepts a token whose `cnf["x5t#S256"]` names it only on a connection with that certificate.
//!
//! ```text
//! cargo run --example mtls
//! ```
//!
//! At start it generates a CA, a server certificate for `localhost` and `127.0.0.1`, and two
//! client certificates (rcgen), writes them as PEM into `MTLS_DIR` (default: a new directory
//! under the system's temporary directory) and prints a token bound to `client.pem`:
//!
//! | file | what |
//! |---|---|
//! | `ca.pem` | the CA that signed every certificate (trust it for the server, it is the one client CA) |
//! | `client.pem` | a client certificate and its key: the printed token is bound to it |
//! | `other-client.pem` | another client certificate of the same CA |
//!
//! `GET /me` answers the token's claims; with another certificate, or none, the bound token is
//! refused with 401. Settings: `BIND` (default `127.0.0.1:3443`), `MTLS_DIR`. A bad setting ends
//! the program with exit code 2.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use axum::routing::get;
use axum::{Json, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer as CaIssuer,
    KeyPair,
};
use serde_json::{Value, json};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tower::ServiceExt as _;
use tower_jwt_auth::mtls::ClientCertificate;
use tower_jwt_auth::testing::{TestKey, now};
use tower_jwt_auth::{Algorithm, Claims, Issuer, Verifier};

async fn me(Claims(claims): Claims<Value>) -> Json<Value> {
    Json(claims.as_ref().clone())
}

/// A certificate and its key, signed by the CA.
struct Leaf {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
}

fn leaf(
    names: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
    ca: &CaIssuer<'_, KeyPair>,
) -> Result<Leaf, rcgen::Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names)?;
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, ca)?;
    Ok(Leaf {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
    })
}

/// The CA, the server's certificate and two clients'.
fn certificates() -> Result<(String, Leaf, Leaf, Leaf, CertificateDer<'static>), rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "tower-jwt-auth mtls example CA");
    let ca_cert = params.self_signed(&ca_key)?;
    let ca = CaIssuer::new(params, ca_key);
    let server = leaf(
        vec!["localhost".to_owned(), "127.0.0.1".to_owned()],
        ExtendedKeyUsagePurpose::ServerAuth,
        &ca,
    )?;
    let client = leaf(
        vec!["client".to_owned()],
        ExtendedKeyUsagePurpose::ClientAuth,
        &ca,
    )?;
    let other = leaf(
        vec!["other-client".to_owned()],
        ExtendedKeyUsagePurpose::ClientAuth,
        &ca,
    )?;
    Ok((ca_cert.pem(), server, client, other, ca_cert.der().clone()))
}

fn tls_config(ca: CertificateDer<'static>, server: &Leaf) -> Result<ServerConfig, String> {
    let mut roots = RootCertStore::empty();
    roots.add(ca).map_err(|e| e.to_string())?;
    // Clients without a certificate still reach the layer (which refuses bound tokens then).
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .allow_unauthenticated()
        .build()
        .map_err(|e| e.to_string())?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server.key.serialize_der()));
    ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![server.der.clone()], key)
        .map_err(|e| e.to_string())
}

/// A new directory of this process's own under the temporary directory (never one that exists).
fn fresh_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!(
        "tower-jwt-auth-mtls-{}-{nanos}",
        std::process::id()
    ));
    if let Err(e) = std::fs::create_dir(&dir) {
        common::bad_setting("mtls", format!("{}: {e}", dir.display()));
    }
    dir
}

/// Writes a file only its owner can read (it may hold a private key).
fn private_file(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[tokio::main]
async fn main() {
    common::serve_metrics("mtls");
    let program = "mtls";
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:3443".to_owned());
    let bind: std::net::SocketAddr = bind
        .parse()
        .unwrap_or_else(|e| common::bad_setting(program, format!("BIND: {e}")));
    let dir = var("MTLS_DIR").map_or_else(fresh_dir, PathBuf::from);
    let (ca_pem, server, client, other, ca_der) = certificates()
        .unwrap_or_else(|e| common::bad_setting(program, format!("certificates: {e}")));
    let write = |name: &str, contents: String| {
        std::fs::create_dir_all(&dir)
            .and_then(|()| private_file(&dir.join(name), contents.as_bytes()))
            .unwrap_or_else(|e| common::bad_setting(program, format!("MTLS_DIR: {e}")));
    };
    write("ca.pem", ca_pem);
    write(
        "client.pem",
        format!("{}{}", client.pem, client.key.serialize_pem()),
    );
    write(
        "other-client.pem",
        format!("{}{}", other.pem, other.key.serialize_pem()),
    );
    let tls = tls_config(ca_der, &server).unwrap_or_else(|e| common::bad_setting(program, e));
    let acceptor = TlsAcceptor::from(Arc::new(tls));

    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .unwrap_or_else(|e| common::bad_setting(program, format!("cannot listen on {bind}: {e}")));
    let base = format!("https://{}", listener.local_addr().unwrap_or(bind));
    let key = TestKey::generate(Algorithm::ES256).with_kid("mtls-example-1");
    let verifier = Verifier::builder()
        .claims::<Value>()
        .issuer(Issuer::static_keys(base.clone(), key.jwks()))
        .audience("mtls-example")
        .build()
        .unwrap_or_else(|e| common::bad_setting(program, e));
    let app = Router::new().route("/me", get(me)).layer(verifier.layer());
    let token = key.token(&json!({
        "iss": base, "aud": "mtls-example", "sub": "alice", "exp": now() + 3600,
        "cnf": { "x5t#S256": ClientCertificate::new(client.der.to_vec()).thumbprint() },
    }));

    println!("tower-jwt-auth mtls example on {base}");
    println!("CERTS={}", dir.display());
    println!("TOKEN={token}");
    println!(
        "Try: curl --cacert {0}/ca.pem --cert {0}/client.pem {base}/me -H \"Authorization: Bearer $TOKEN\"",
        dir.display()
    );
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait a little rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let handshake = acceptor.accept(stream);
            let Ok(Ok(stream)) =
                tokio::time::timeout(std::time::Duration::from_secs(10), handshake).await
            else {
                return;
            };
            // The certificate the handshake verified, for every request of the connection.
            let certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|der| ClientCertificate::new(der.to_vec()));
            let service = app.map_request(move |mut req: http::Request<_>| {
                if let Some(certificate) = &certificate {
                    req.extensions_mut().insert(certificate.clone());
                }
                req
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
        });
    }
}
