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
    if let Err(error) = binding.check(&verified) {
        return Next::Reject(binding.mark(error));
    }
    match verifier.check_revocation(&verified) {
        Err(error) => Next::Reject(binding.mark(error)),
        Ok(Some(answer)) => {
            let verifier = verifier.clone();
            let policies = Arc::clone(policies);
            Next::Wait(Box::pin(async move {
                let revocation = verifier.await_revocation(answer).await;
                if let Err(error) = revocation {
                    return Err(binding.mark(error));
                }
                let verified = admit(&policies, verified).map_err(|e| binding.mark(e))?;
                record_later(&binding).await?;
                Ok((verified, binding))
            }))
        }
        Ok(None) => match admit(policies, verified) {
            Err(error) => Next::Reject(binding.mark(error)),
            Ok(verified) => match binding.record() {
                Recorded::Done(Ok(())) => Next::Call(Some(verified), binding),
                Recorded::Done(Err(error)) => Next::Reject(binding.mark(error)),
                Recorded::Pending(answer) => Next::Wait(Box::pin(async move {
                    answer.await.map_err(|e| binding.mark(e))?;
                    Ok((verified, binding))
                })),
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
    let work = async {
        binding.check(&verified)?;
        let verified = verifier.pass_revocation(verified).await?;
        admit(&policies, verified)
    };
    let verified = work.await.map_err(|e| binding.mark(e))?;
    record_later(binding).await?;
    Ok(verified)
}

/// Records a DPoP proof in the replay cache, waiting for it if it answers later.
async fn record_later(binding: &Binding) -> Result<(), AuthError> {
    match binding.record() {
        Recorded::Done(result) => result,
        Recorded::Pending(answer) => answer.await,
    }
    .map_err(|e| binding.mark(e))
}
