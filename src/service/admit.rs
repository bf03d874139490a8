//! What is left once a token verified: its binding, the revocation store, the layer's policies
//! and the DPoP replay cache; synchronous unless a store answers later.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::present::Binding;
use super::{Next, admit};
use crate::dpop::Recorded;
use crate::error::AuthError;
use crate::policy::Policy;
use crate::verify::{Verified, Verifier};

/// An error about a verified token: marked with how it was presented and the issuer it
/// matched, for the audit event.
fn refuse<C>(
    verifier: &Verifier<C>,
    issuer: usize,
    binding: &Binding,
    error: AuthError,
) -> AuthError {
    let error = binding.mark(error);
    match verifier.shared.issuers.get(issuer) {
        Some(state) => error.with_issuer(&state.iss),
        None => error,
    }
}

/// The rest of the work on a token verified at once: binding, revocation, policies, replay;
/// synchronous unless the revocation store or the replay cache answers later.
pub(super) fn admit_now<C>(
    verifier: &Verifier<C>,
    policies: &Arc<Vec<Policy<C>>>,
    verified: Verified<C>,
    binding: Binding,
) -> Next<C>
where
    C: DeserializeOwned + Send + Sync + 'static,
{
    let issuer = verified.issuer;
    if let Err(error) = binding.check(&verified) {
        return Next::Reject(refuse(verifier, issuer, &binding, error));
    }
    match verifier.check_revocation(&verified) {
        Err(error) => Next::Reject(refuse(verifier, issuer, &binding, error)),
        Ok(Some(answer)) => {
            let verifier = verifier.clone();
            let policies = Arc::clone(policies);
            Next::Wait(Box::pin(async move {
                let refused = |e| refuse(&verifier, issuer, &binding, e);
                verifier.await_revocation(answer).await.map_err(refused)?;
                let verified = after_revocation(&policies, verified, &binding)
                    .await
                    .map_err(refused)?;
                Ok((verified, binding))
            }))
        }
        Ok(None) => match admit(policies, verified) {
            Err(error) => Next::Reject(refuse(verifier, issuer, &binding, error)),
            Ok(verified) => match binding.record() {
                Recorded::Done(Ok(())) => Next::Call(Some(verified), binding),
                Recorded::Done(Err(error)) => {
                    Next::Reject(refuse(verifier, issuer, &binding, error))
                }
                Recorded::Pending(answer) => {
                    let verifier = verifier.clone();
                    Next::Wait(Box::pin(async move {
                        answer
                            .await
                            .map_err(|e| refuse(&verifier, issuer, &binding, e))?;
                        Ok((verified, binding))
                    }))
                }
            },
        },
    }
}

/// [`admit_now`] for a token verified after a wait for keys.
pub(super) async fn admit_later<C>(
    verifier: Verifier<C>,
    policies: Arc<Vec<Policy<C>>>,
    verified: Verified<C>,
    binding: &Binding,
) -> Result<Verified<C>, AuthError>
where
    C: DeserializeOwned + Send + Sync + 'static,
{
    let issuer = verified.issuer;
    let work = async {
        binding.check(&verified)?;
        let verified = verifier.pass_revocation(verified).await?;
        after_revocation(&policies, verified, binding).await
    };
    work.await
        .map_err(|e| refuse(&verifier, issuer, binding, e))
}

/// After the revocation store, the order on every path that may wait: the layer's policies,
/// then, last, the DPoP proof into the replay cache (waiting for it if it answers later).
async fn after_revocation<C>(
    policies: &[Policy<C>],
    verified: Verified<C>,
    binding: &Binding,
) -> Result<Verified<C>, AuthError> {
    let verified = admit(policies, verified)?;
    match binding.record() {
        Recorded::Done(result) => result?,
        Recorded::Pending(answer) => answer.await?,
    }
    Ok(verified)
}
