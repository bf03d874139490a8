//! How the request presents its token: from which source, under which scheme, with which DPoP
//! proof; and what must happen after the token verified (binding, replay cache).

use http::{HeaderValue, Request};

use super::LayerConfig;
use crate::dpop::proof::{Proof, ProofRequest};
use crate::dpop::{Dpop, DpopKey, NonceCheck, Recorded, ReplayCache, one_proof};
use crate::error::{AuthError, AuthErrorKind};
use crate::extract::{Found, TokenSource};
use crate::mtls::ClientCertificate;
use crate::verify::{Presented, Verified};

/// The token a request presents.
pub(super) enum Presentation<'r> {
    /// No token in any source.
    Nothing,
    /// A token refused before verification (400 or 401).
    Invalid(AuthError),
    /// A bearer token, from `source`.
    Bearer {
        token: &'r str,
        source: &'r TokenSource,
    },
    /// A DPoP token whose proof passed every check but the replay one, at `now`.
    Dpop {
        token: &'r str,
        proof: Proof,
        dpop: &'r Dpop,
        now: f64,
    },
}

/// Finds the request's token: a `DPoP` one first on a layer that accepts DPoP (with its proof
/// checked), then the configured sources, in order.
pub(super) fn present<'r, B>(
    config: &'r LayerConfig,
    req: &'r Request<B>,
    max_len: usize,
    now: impl FnOnce() -> f64,
) -> Presentation<'r> {
    let headers = req.headers();
    let query = req.uri().query();
    if let Some(dpop) = &config.dpop {
        match TokenSource::dpop().find(headers, None, max_len) {
            Found::Token(token) => {
                // One credential per request: a bearer one beside it is ambiguous.
                if !matches!(
                    TokenSource::bearer().find(headers, None, max_len),
                    Found::Nothing
                ) {
                    return Presentation::Invalid(
                        AuthError::new(
                            AuthErrorKind::InvalidRequest,
                            "several different tokens in one request",
                        )
                        .on_dpop(),
                    );
                }
                let now = now();
                return match check_proof(dpop, req, token, now) {
                    Ok(proof) => Presentation::Dpop {
                        token,
                        proof,
                        dpop,
                        now,
                    },
                    Err(error) => {
                        crate::dpop::count_refused(&error);
                        Presentation::Invalid(error.on_dpop().with_token_source("dpop"))
                    }
                };
            }
            Found::Invalid(error) => {
                return Presentation::Invalid(error.on_dpop().with_token_source("dpop"));
            }
            Found::Nothing => {}
        }
        if dpop.is_required() {
            // Only DPoP counts: a token anywhere else is the wrong kind of credential.
            let other = config
                .sources
                .iter()
                .any(|s| !matches!(s.find(headers, query, max_len), Found::Nothing));
            return if other {
                Presentation::Invalid(AuthError::new(
                    AuthErrorKind::DpopRequired,
                    "DPoP-bound token required",
                ))
            } else {
                Presentation::Nothing
            };
        }
    }
    // Tokens an outer layer took out of the query or the WebSocket subprotocols.
    let taken = req.extensions().get::<Taken>();
    for source in &config.sources {
        let found = match source.find(headers, query, max_len) {
            Found::Nothing => taken
                .and_then(|t| t.token_for(source))
                .map_or(Found::Nothing, Found::Token),
            found => found,
        };
        match found {
            Found::Nothing => {}
            Found::Token(token) => return Presentation::Bearer { token, source },
            Found::Invalid(error) => {
                return Presentation::Invalid(error.with_token_source(source.audit_name()));
            }
        }
    }
    Presentation::Nothing
}

/// The tokens a layer took out of the request (query parameters, WebSocket subprotocol
/// entries) before its handler: layers further in find them here.
#[derive(Debug, Clone, Default)]
pub(super) struct Taken(Vec<(TokenSource, String)>);

impl Taken {
    fn token_for(&self, source: &TokenSource) -> Option<&str> {
        self.0
            .iter()
            .find(|(taken, _)| taken == source)
            .map(|(_, token)| token.as_str())
    }
}

/// Takes the tokens of the layer's query and WebSocket-subprotocol sources out of the request
/// (whichever source the accepted token came from), keeping them for layers further in.
/// Returns whether a token was in the URL (the response is then `Cache-Control: private`).
pub(super) fn take_tokens<B>(sources: &[TokenSource], req: &mut Request<B>) -> bool {
    let mut private = false;
    for source in sources.iter().filter(|s| s.needs_strip()) {
        let had_query = source.query_name().is_some() && req.uri().query().is_some();
        if let Some(token) = source.take(req) {
            private |= had_query;
            let taken = req.extensions_mut().get_or_insert_default::<Taken>();
            taken.0.push((source.clone(), token));
        }
    }
    private
}

/// Reads the one `DPoP` header and checks the proof in it.
fn check_proof<B>(
    dpop: &Dpop,
    req: &Request<B>,
    token: &str,
    now: f64,
) -> Result<Proof, AuthError> {
    let Some(proof) = one_proof(req.headers())? else {
        return Err(AuthError::new(
            AuthErrorKind::InvalidDpopProof,
            "proof missing",
        ));
    };
    dpop.verify_proof(
        proof,
        &ProofRequest {
            method: req.method().as_str(),
            path: req.uri().path(),
            access_token: Some(token),
            now,
        },
    )
}

/// What a request's presentation leaves to check once its token verified: the binding (the
/// proof key, the client certificate), then, last, the proof's place in the replay cache.
#[derive(Default)]
pub(super) struct Binding {
    /// The verified proof, when the token came with the `DPoP` scheme.
    proof: Option<ProofBinding>,
    certificate: Option<ClientCertificate>,
    /// A fresh nonce for the response, when the proof's one is about to lapse.
    pub(super) nonce: Option<HeaderValue>,
    /// Where the token was read, for the audit event.
    source: Option<&'static str>,
}

/// A verified proof: its key's thumbprint, and its place in the replay cache.
struct ProofBinding {
    jkt: String,
    cache: ReplayCache,
    jti: String,
    now: f64,
    until: f64,
}

impl Binding {
    /// What a DPoP presentation binds the token to.
    pub(super) fn dpop(
        dpop: &Dpop,
        proof: Proof,
        certificate: Option<ClientCertificate>,
        now: f64,
    ) -> Self {
        let nonce = match (&dpop.nonce, proof.nonce) {
            (Some(nonces), NonceCheck::Previous) => Some(nonces.current(now)),
            _ => None,
        };
        Self {
            proof: Some(ProofBinding {
                jkt: proof.jkt,
                cache: dpop.replay.clone(),
                jti: proof.jti,
                now,
                until: dpop.remember_until(proof.iat),
            }),
            certificate,
            nonce,
            source: Some("dpop"),
        }
    }

    /// A bearer presentation from `source`, on a connection with this client certificate (if
    /// any).
    pub(super) fn bearer(source: &TokenSource, certificate: Option<ClientCertificate>) -> Self {
        Self {
            certificate,
            source: Some(source.audit_name()),
            ..Self::default()
        }
    }

    /// The token's `cnf` against this presentation.
    pub(super) fn check<C>(&self, verified: &Verified<C>) -> Result<(), AuthError> {
        let result = verified.check_binding(&Presented {
            jkt: self.proof.as_ref().map(|p| p.jkt.as_str()),
            certificate: self.certificate.as_ref(),
        });
        if self.proof.is_some()
            && let Err(error) = &result
        {
            // A proof whose key the token is not bound to is no valid proof for it.
            crate::dpop::count_refused(error);
        }
        result
    }

    /// The key to put in the request extensions.
    pub(super) fn key(&self) -> Option<DpopKey> {
        self.proof.as_ref().map(|p| DpopKey::new(&p.jkt))
    }

    /// Records the proof in the replay cache (nothing to do for a bearer token).
    pub(super) fn record(&self) -> Recorded {
        match &self.proof {
            Some(p) => crate::dpop::counted(p.cache.record(&p.jkt, &p.jti, p.now, p.until)),
            None => Recorded::Done(Ok(())),
        }
    }

    /// Marks an error as the answer to a DPoP request, when it is one, and with its source.
    pub(super) fn mark(&self, error: AuthError) -> AuthError {
        let error = if self.proof.is_some() {
            error.on_dpop()
        } else {
            error
        };
        match self.source {
            Some(source) => error.with_token_source(source),
            None => error,
        }
    }
}
