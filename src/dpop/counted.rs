//! The DPoP proofs metric: each proof counted once, by how it ended.

use super::Recorded;

/// Counts a proof refused before the replay cache: `nonce_required` or `invalid`.
pub(crate) fn count_refused(error: &crate::AuthError) {
    let result = if error.kind() == crate::AuthErrorKind::UseDpopNonce {
        "nonce_required"
    } else {
        "invalid"
    };
    crate::telemetry::dpop_proof(result);
}

/// Counts the replay cache's answer on a proof: `accepted` or `replayed`.
pub(crate) fn counted(recorded: Recorded) -> Recorded {
    fn count(result: &Result<(), crate::AuthError>) {
        match result {
            Ok(()) => crate::telemetry::dpop_proof("accepted"),
            Err(e) if e.kind() == crate::AuthErrorKind::DpopReplayed => {
                crate::telemetry::dpop_proof("replayed");
            }
            Err(_) => {}
        }
    }
    match recorded {
        Recorded::Done(result) => {
            count(&result);
            Recorded::Done(result)
        }
        Recorded::Pending(answer) if crate::telemetry::TIMED => {
            Recorded::Pending(Box::pin(async move {
                let result = answer.await;
                count(&result);
                result
            }))
        }
        pending @ Recorded::Pending(_) => pending,
    }
}
