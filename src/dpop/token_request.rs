//! DPoP at a token endpoint (RFC 9449 §5): the proof of a request that carries no access token.

use std::future::Future;

use http::Request;

use super::proof::ProofRequest;
use super::replay::Recorded;
use super::{Dpop, DpopKey};
use crate::clock::Clock;
use crate::error::{AuthError, AuthErrorKind};

/// The one proof of a request's `DPoP` header, or `None` without one: two headers, or two
/// values in one, are a 400.
pub(crate) fn one_proof(headers: &http::HeaderMap) -> Result<Option<&str>, AuthError> {
    let mut values = headers.get_all(super::DPOP_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() || value.as_bytes().contains(&b',') {
        return Err(AuthError::new(
            AuthErrorKind::InvalidRequest,
            "several DPoP proofs",
        ));
    }
    match value.to_str() {
        Ok(proof) => Ok(Some(proof.trim())),
        Err(_) => Err(AuthError::new(
            AuthErrorKind::InvalidDpopProof,
            "proof is not a well-formed JWS",
        )),
    }
}

impl Dpop {
    /// Checks the DPoP proof of a request to a token endpoint (RFC 9449 §5), as a handler of
    /// your own: every check a resource request's proof gets but `ath` (there is no access
    /// token yet), the nonce when [`nonce`](Self::nonce) is set, and the replay cache. The
    /// answer is the key to bind the new token to (its thumbprint goes into `cnf.jkt`), or
    /// `None` when the request has no `DPoP` header (a bearer token request).
    ///
    /// `clock` is the time proofs' `iat` is compared with: the verifier's, or
    /// [`SystemClock`](crate::clock::SystemClock).
    ///
    /// # Errors
    ///
    /// The [`AuthError`] of the check that failed: `invalid_dpop_proof`, `use_dpop_nonce`
    /// (with the nonce to send in `DPoP-Nonce`), `invalid_request` for two proofs, or 503
    /// `replay_cache_unavailable`. A token endpoint answers them with 400 and the RFC 9449
    /// `error` code.
    ///
    /// # Example
    ///
    /// ```
    /// use http::Request;
    /// use tower_jwt_auth::clock::SystemClock;
    /// use tower_jwt_auth::dpop::Dpop;
    /// use tower_jwt_auth::testing::{DpopProof, TestKey};
    /// use tower_jwt_auth::Algorithm;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dpop = Dpop::new("https://auth.example")?;
    /// let client = TestKey::generate(Algorithm::ES256);
    /// let proof = DpopProof::new(&client, "POST", "https://auth.example/token").sign();
    /// let request = || Request::post("/token").header("dpop", &proof).body(()).unwrap();
    /// let key = dpop.check_token_request(&request(), &SystemClock).await?;
    /// assert_eq!(key.unwrap().thumbprint(), client.thumbprint());
    /// let again = dpop.check_token_request(&request(), &SystemClock).await.unwrap_err();
    /// assert_eq!(again.code(), "dpop_replayed");
    /// let bearer = Request::post("/token").body(())?;
    /// assert!(dpop.check_token_request(&bearer, &SystemClock).await?.is_none());
    /// # Ok(()) }
    /// ```
    pub fn check_token_request<B>(
        &self,
        req: &Request<B>,
        clock: &dyn Clock,
    ) -> impl Future<Output = Result<Option<DpopKey>, AuthError>> + Send + 'static {
        // The proof is checked now; only the replay cache may answer later, so the future
        // borrows nothing from the request.
        let checked = self.check_now(req, clock.now_unix_secs());
        async move {
            match checked {
                Err(error) => Err(error),
                Ok(None) => Ok(None),
                Ok(Some((key, Recorded::Done(result)))) => result.map(|()| Some(key)),
                Ok(Some((key, Recorded::Pending(answer)))) => answer.await.map(|()| Some(key)),
            }
        }
    }

    fn check_now<B>(
        &self,
        req: &Request<B>,
        now: f64,
    ) -> Result<Option<(DpopKey, Recorded)>, AuthError> {
        let Some(proof) = one_proof(req.headers()).inspect_err(super::count_refused)? else {
            return Ok(None);
        };
        let proof = self
            .verify_proof(
                proof,
                &ProofRequest {
                    method: req.method().as_str(),
                    path: req.uri().path(),
                    access_token: None,
                    now,
                },
            )
            .inspect_err(super::count_refused)?;
        let until = self.remember_until(proof.iat);
        let recorded = super::counted(self.replay.record(&proof.jkt, &proof.jti, now, until));
        Ok(Some((DpopKey::new(&proof.jkt), recorded)))
    }
}
