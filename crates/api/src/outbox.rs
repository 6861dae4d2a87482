//! The outbox worker: leases due jobs, runs them (today: text messages through the node's
//! notifier), and records how each ended — done, due again after a backoff, or failed for good.
//! Every node runs one; on PostgreSQL they lease different jobs. A worker killed mid-run leaves
//! its jobs leased; they are due again when the lease runs out, and are sent again under the
//! same key.

use crate::AppState;
use crate::notify::{Notifier, Sms};
use futures_util::FutureExt;
use sehat_domain::DomainError;
use sehat_domain::clock::Clock;
use sehat_domain::identity::IdentityKey;
use sehat_domain::outbox::{Job, JobKind, JobResult, RetryPolicy};
use sehat_domain::store::Store;
use sehat_domain::values::Mobile;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How finished jobs are kept: a week, for operators to look back on.
const KEEP_FINISHED_MS: i64 = 7 * 86_400_000;

/// Runs outbox jobs.
#[derive(Clone)]
pub struct Worker {
    store: Arc<dyn Store>,
    identity: Arc<IdentityKey>,
    notifier: Arc<dyn Notifier>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    /// Jobs leased (and run concurrently) at a time.
    batch: u32,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker for a node's store, identity key and notifier.
    pub fn new(state: &AppState, policy: RetryPolicy) -> Self {
        Self {
            store: state.store.clone(),
            identity: state.identity.clone(),
            notifier: state.notifier.clone(),
            clock: state.clock.clone(),
            policy,
            batch: 32,
        }
    }

    /// Leases one batch of due jobs, runs them concurrently and records the results; returns
    /// how many ran.
    pub async fn run_due(&self) -> Result<usize, DomainError> {
        let jobs = self
            .store
            .lease_jobs(self.clock.now_millis(), self.policy.lease_ms, self.batch)
            .await?;
        let ran = jobs.len();
        let results = futures_util::future::join_all(jobs.iter().map(|job| self.run(job))).await;
        let mut finished = Vec::with_capacity(ran);
        for (job, result) in jobs.iter().zip(results) {
            let outcome = match &result {
                JobResult::Done => "sent",
                JobResult::Retry { .. } => "retried",
                JobResult::Failed { .. } => "failed",
            };
            metrics::counter!("outbox_jobs_total", "outcome" => outcome).increment(1);
            match &result {
                JobResult::Done => {}
                JobResult::Retry { error, .. } => tracing::info!(
                    job = job.id, attempts = job.attempts, error = %error, "outbox job failed; it will be retried"
                ),
                JobResult::Failed { error } => tracing::warn!(
                    job = job.id, attempts = job.attempts, error = %error, "outbox job failed for good"
                ),
            }
            finished.push((job.id, job.attempts, result));
        }
        // Results that cannot be recorded leave their jobs leased: they run again, under the
        // same keys, when the lease runs out.
        self.store
            .finish_jobs(&finished, self.clock.now_millis())
            .await?;
        Ok(ran)
    }

    async fn run(&self, job: &Job) -> JobResult {
        let now = || self.clock.now_millis();
        match job.kind {
            None => JobResult::Failed {
                error: "a kind of job this build does not know".into(),
            },
            Some(JobKind::Sms) => {
                let Some(mobile) = self.recipient(job) else {
                    return JobResult::Failed {
                        error: "the account has no mobile on record that this key opens".into(),
                    };
                };
                let sms = Sms {
                    to: &mobile,
                    text: &job.payload,
                    key: &job.key,
                };
                // Half the lease: a hung gateway gives the job up before another worker may
                // take it.
                let patience = Duration::from_millis(
                    u64::try_from(self.policy.lease_ms / 2)
                        .unwrap_or(0)
                        .max(100),
                );
                match tokio::time::timeout(patience, self.notifier.send_sms(&sms)).await {
                    Ok(Ok(())) => JobResult::Done,
                    Ok(Err(e)) => self.policy.after_failure(
                        job.attempts,
                        now(),
                        crate::error::error_chain(&e),
                    ),
                    Err(_) => self.policy.after_failure(
                        job.attempts,
                        now(),
                        "the SMS gateway did not answer in time".into(),
                    ),
                }
            }
        }
    }

    fn recipient(&self, job: &Job) -> Option<Mobile> {
        let sealed = job.mobile_sealed.as_ref()?;
        let clear = self
            .identity
            .open("mobile", job.recipient.as_str(), sealed)?;
        Mobile::parse(&clear).ok()
    }

    /// Runs due jobs every `poll` (at once again while batches come back full) until
    /// `stopping`, and deletes jobs finished over a week ago once an hour. A batch under way
    /// when `stopping` fires is finished and recorded first: await the handle before closing
    /// the store.
    pub fn start(self, poll: Duration, stopping: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut last_prune: Option<tokio::time::Instant> = None;
            loop {
                tokio::select! {
                    () = stopping.cancelled() => break,
                    () = tokio::time::sleep(poll) => {}
                }
                loop {
                    // A panic in one run (a notifier's bug) must not stop the worker for good.
                    let run = std::panic::AssertUnwindSafe(self.run_due())
                        .catch_unwind()
                        .await;
                    let Ok(run) = run else {
                        tracing::error!(
                            "running outbox jobs panicked; their leases run out and they are retried"
                        );
                        break;
                    };
                    match run {
                        Ok(n) if n >= self.batch as usize && !stopping.is_cancelled() => {}
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "running outbox jobs failed; retrying");
                            break;
                        }
                    }
                }
                if last_prune.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                    last_prune = Some(tokio::time::Instant::now());
                    if let Err(e) = self
                        .store
                        .prune_jobs(self.clock.now_millis() - KEEP_FINISHED_MS)
                        .await
                    {
                        tracing::warn!(error = %e, "pruning finished outbox jobs failed");
                    }
                }
            }
        })
    }
}
