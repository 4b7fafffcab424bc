//! Argon2id password hashing at OWASP's parameters m = 7168 KiB, t = 5, p = 1: one of the five
//! configurations OWASP's Password Storage Cheat Sheet lists as giving an equal level of defense
//! (19 MiB with t = 2 is another). Of those, the smallest memory: a hash costs about the same CPU,
//! but sweeps 7 MiB instead of 19 through the caches of the core that also serves requests, and
//! each password thread keeps 7 MiB instead of 19. Hashes stored with other parameters still
//! verify (a PHC string names its own).
//!
//! Hashing is deliberately slow, so it runs on a few threads of its own (`permits` of them): at
//! most that many hashes run at once and the async workers keep serving other requests. Unknown
//! accounts are verified against a dummy hash so a login takes as long whether or not the email
//! exists.
//!
//! The line of waiting jobs is short and bounded: when it is full the request is answered 503
//! with `Retry-After` at once (load shedding), and a job whose request has gone (the client hung
//! up, the deadline passed) is skipped rather than hashed for nobody. A flood of logins therefore
//! costs a bounded queue, never an unbounded backlog that starves later logins.
//!
//! Why threads of its own, each with its Argon2 working memory allocated once: allocating and
//! freeing the working memory (then 19 MiB) per hash fragmented the system allocator's arenas, and a burst of logins left
//! the server at 144–158 MiB (`bench/run`, memory row). Now the most it keeps after logins is
//! `permits` × 7 MiB.

use std::{
    cell::RefCell,
    sync::{Arc, Mutex, mpsc},
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::phc::{Output, ParamsString, PasswordHash, Salt},
};
use tokio::sync::oneshot;

use crate::error::{ApiError, Unavailable};

type Job = Box<dyn FnOnce() + Send>;

/// Jobs that may wait per hashing thread; more are shed. At ~25 ms a hash, a full line clears
/// in well under a second.
const WAITING_PER_THREAD: usize = 16;

/// What unknown accounts are verified against: a hash, at the same parameters, of a random
/// password nobody kept. A constant, so start-up hashes nothing (and allocates no Argon2 memory
/// until the first login).
const DUMMY_HASH: &str = "$argon2id$v=19$m=7168,t=5,p=1$jMGwe2noOx9+6HUSn9rqMg$gzTKld3mz0dJPNWxpaQ+jUpXKhTT8AcM1rz7J4C/DHs";

#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::SyncSender<Job>,
}

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(7_168, 5, 1, None).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

thread_local! {
    /// Each password thread's Argon2 working memory (7 MiB), allocated on its first hash and
    /// reused for every later one instead of allocated and freed per hash.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Argon2 of `password` into `out`, in this thread's reusable working memory.
fn compute(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), ApiError> {
    MEMORY.with_borrow_mut(|memory| {
        let blocks = argon2.params().block_count();
        if memory.len() < blocks {
            *memory = vec![Block::default(); blocks];
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
            .map_err(ApiError::internal)
    })
}

fn hash_blocking(password: &[u8]) -> Result<String, ApiError> {
    let argon2 = argon2()?;
    let salt = crate::secrets::random_bytes::<16>();
    let mut out = [0u8; 32];
    compute(&argon2, password, &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon2.params()).map_err(ApiError::internal)?,
        salt: Some(Salt::new(&salt).map_err(ApiError::internal)?),
        hash: Some(Output::new(&out).map_err(ApiError::internal)?),
    };
    Ok(phc.to_string())
}

/// Checks `password` against a PHC string with the parameters it names (constant-time compare).
fn verify_blocking(password: &[u8], hash: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(hash).map_err(ApiError::internal)?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return Ok(false);
    };
    let argon2 = Argon2::new(
        Algorithm::try_from(parsed.algorithm.as_str()).map_err(ApiError::internal)?,
        parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(ApiError::internal)?
            .unwrap_or_default(),
        Params::try_from(&parsed).map_err(ApiError::internal)?,
    );
    let mut out = vec![0u8; expected.len()];
    compute(&argon2, password, salt.as_ref(), &mut out)?;
    Ok(Output::new(&out).map_err(ApiError::internal)? == *expected)
}

/// Hashing yields to serving: each password thread moves itself to Linux's `SCHED_IDLE` policy,
/// so a request worker that wakes up on the same core preempts a running hash at once instead of
/// waiting out its time slice (nice 10 was not enough under EEVDF: a worker still waited up to a
/// slice). Logins use whatever CPU serving leaves; when serving saturates the core they wait in
/// the bounded queue and are refused with 503 once it is full, so a login flood never slows
/// other requests. A failure only costs that preference, so it is logged and ignored.
fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::{
            NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
            set_thread_priority_and_policy, thread_native_id,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        if let Err(err) =
            set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
        {
            tracing::warn!(error = ?err, "cannot move the password thread to SCHED_IDLE");
        }
    }
}

impl Passwords {
    /// `permits` threads hash, so at most that many hashes run at once; up to
    /// [`WAITING_PER_THREAD`] per thread wait in line, and the rest are refused.
    pub fn new(permits: usize) -> Result<Passwords, ApiError> {
        Self::with_queue(permits, permits.max(1) * WAITING_PER_THREAD)
    }

    fn with_queue(permits: usize, waiting: usize) -> Result<Passwords, ApiError> {
        let (jobs, queue) = mpsc::sync_channel::<Job>(waiting);
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..permits.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    yield_to_requests();
                    loop {
                        // The lock is held only to take the next job, never while hashing.
                        let next = queue.lock().map(|q| q.recv());
                        match next {
                            Ok(Ok(job)) => job(),
                            _ => return, // every `Passwords` is gone
                        }
                    }
                })
                .map_err(ApiError::internal)?;
        }
        Ok(Passwords { jobs })
    }

    /// A thread count that leaves at least one core for serving requests, and at most four
    /// (each thread may keep 7 MiB after hashing).
    pub fn default_permits() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .clamp(1, 4)
    }

    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let password = password.as_bytes().to_vec();
        self.run(move || hash_blocking(&password)).await
    }

    /// Verifies `password` against `hash`, or against the dummy hash when there is no account,
    /// which always fails but costs the same.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, ApiError> {
        let password = password.as_bytes().to_vec();
        let known = hash.is_some();
        let hash = hash.unwrap_or(DUMMY_HASH).to_owned();
        let matches = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The request was dropped while this job waited: nobody would read the answer.
            if !done.is_closed() {
                let _ = done.send(work());
            }
        });
        self.jobs.try_send(job).map_err(|err| match err {
            mpsc::TrySendError::Full(_) => {
                tracing::warn!("password hashing queue full; request shed");
                ApiError::Unavailable(Unavailable::Overloaded)
            }
            mpsc::TrySendError::Disconnected(_) => {
                ApiError::internal("the password threads are gone")
            }
        })?;
        result
            .await
            .map_err(|_| ApiError::internal("a password thread dropped its job"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Passwords` whose one thread is held until the returned sender is dropped or sent to.
    fn blocked(waiting: usize) -> (Passwords, mpsc::Sender<()>) {
        let passwords = Passwords::with_queue(1, waiting).unwrap();
        let (release, wait) = mpsc::channel::<()>();
        passwords
            .jobs
            .try_send(Box::new(move || {
                let _ = wait.recv();
            }))
            .unwrap();
        (passwords, release)
    }

    #[tokio::test]
    async fn a_full_queue_sheds_at_once_with_503() {
        let (passwords, release) = blocked(2);
        // Give the thread time to take the blocking job off the queue.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let p = passwords.clone();
                tokio::spawn(async move { p.verify("x", None).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        let shed = passwords.verify("x", None).await;
        assert!(
            matches!(shed, Err(ApiError::Unavailable(Unavailable::Overloaded))),
            "{shed:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_millis(50),
            "at once"
        );
        drop(release);
        for job in waiting {
            assert!(!job.await.unwrap().unwrap(), "the waiting jobs still run");
        }
    }

    #[tokio::test]
    async fn a_job_whose_request_has_gone_is_never_hashed() {
        let (passwords, release) = blocked(4);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let hashed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&hashed);
        let gone = passwords.run(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(())
        });
        // Poll it once so the job is queued, then drop the request.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(10), gone).await;
        drop(release);
        // A later job runs after it; by then the dropped one has been passed over.
        passwords.run(|| Ok(())).await.unwrap();
        assert_eq!(hashed.load(std::sync::atomic::Ordering::SeqCst), 0);
    }

    #[test]
    fn a_hash_verifies_its_password_and_no_other() {
        let hash = hash_blocking(b"correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        assert!(verify_blocking(b"correct horse battery staple", &hash).unwrap());
        assert!(!verify_blocking(b"correct horse battery stapl", &hash).unwrap());
        assert_ne!(
            hash,
            hash_blocking(b"correct horse battery staple").unwrap(),
            "salted"
        );
    }

    #[test]
    fn hashes_made_with_the_crates_own_api_still_verify() {
        use argon2::password_hash::PasswordHasher;
        let stored = argon2()
            .unwrap()
            .hash_password(b"an older hash")
            .unwrap()
            .to_string();
        assert!(verify_blocking(b"an older hash", &stored).unwrap());
    }

    #[test]
    fn hashes_stored_at_the_earlier_parameters_still_verify() {
        let earlier = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19_456, 2, 1, None).unwrap(),
        );
        use argon2::password_hash::PasswordHasher;
        let stored = earlier.hash_password(b"set in 2026").unwrap().to_string();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_blocking(b"set in 2026", &stored).unwrap());
        assert!(!verify_blocking(b"set in 2025", &stored).unwrap());
    }

    #[test]
    fn the_dummy_hash_has_the_production_parameters_and_matches_nothing_we_send() {
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        assert!(!verify_blocking(b"buyin", DUMMY_HASH).unwrap());
    }
}
