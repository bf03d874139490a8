//! The revocation store's answer for a verified token, under the failure policy.

use super::*;

/// What a revocation answer means for the request, under the configured failure policy.
fn revocation_verdict(
    config: &RevocationConfig,
    status: RevocationStatus,
) -> Result<(), AuthError> {
    match status {
        RevocationStatus::NotRevoked => Ok(()),
        RevocationStatus::Revoked => Err(AuthError::new(AuthErrorKind::Revoked, "token revoked")),
        RevocationStatus::Unknown => match config.policy {
            FailurePolicy::Closed => Err(AuthError::new(
                AuthErrorKind::RevocationUnavailable,
                "revocation status unavailable",
            )),
            FailurePolicy::Open => {
                config.warnings.warn(|suppressed| {
                    tracing::warn!(
                        suppressed,
                        "revocation status unavailable: token accepted (fail open)"
                    );
                });
                Ok(())
            }
        },
    }
}
/// Counts a revocation answer and how long it took (`start` is set only with metrics on).
fn count_check(status: RevocationStatus, start: Option<std::time::Instant>) {
    let result = match status {
        RevocationStatus::NotRevoked => "not_revoked",
        RevocationStatus::Revoked => "revoked",
        RevocationStatus::Unknown => "unavailable",
    };
    crate::telemetry::revocation_check(result, start.map(|s| s.elapsed()).unwrap_or_default());
}

impl<C: DeserializeOwned + Send + Sync + 'static> Verifier<C> {
    /// Passes a verified token through the revocation store, waiting for it if it answers
    /// later.
    pub(crate) async fn pass_revocation(
        &self,
        verified: Verified<C>,
    ) -> Result<Verified<C>, AuthError> {
        match self.check_revocation(&verified)? {
            None => Ok(verified),
            Some(answer) => self.await_revocation(answer).await.map(|()| verified),
        }
    }

    /// Asks the revocation store about a verified token: `Ok(None)` when it passed at once,
    /// `Ok(Some(answer))` when the store answers later (see
    /// [`await_revocation`](Self::await_revocation)), or the refusal.
    pub(crate) fn check_revocation(
        &self,
        verified: &Verified<C>,
    ) -> Result<Option<CheckFuture>, AuthError> {
        let Some(config) = &self.shared.revocation else {
            return Ok(None);
        };
        let start = crate::telemetry::TIMED.then(std::time::Instant::now);
        match config.store.check(&verified.registered) {
            Check::Ready(status) => {
                count_check(status, start);
                revocation_verdict(config, status).map(|()| None)
            }
            Check::Pending(answer) => Ok(Some(answer)),
        }
    }

    /// Waits for a store's answer, within the deadline, and applies the failure policy.
    pub(crate) async fn await_revocation(&self, answer: CheckFuture) -> Result<(), AuthError> {
        let Some(config) = &self.shared.revocation else {
            return Ok(());
        };
        let start = crate::telemetry::TIMED.then(std::time::Instant::now);
        let status = tokio::time::timeout(config.deadline, answer)
            .await
            .unwrap_or(RevocationStatus::Unknown);
        count_check(status, start);
        revocation_verdict(config, status)
    }
}
