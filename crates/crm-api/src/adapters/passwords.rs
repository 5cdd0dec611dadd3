//! Password hashing off the async workers, on dedicated threads bounded by the core count.
//!
//! argon2id (m = 7 MiB, t = 5, p = 1) costs tens of milliseconds of CPU. Running it on the
//! async workers would stall every other request, so each hash runs on one of `workers`
//! hashing threads, one per core. At most `queue` more may wait; beyond that the port answers
//! `Busy` at once, which the API turns into a fast `503`, so a login flood cannot pile up.
//!
//! The hashing threads run at a lower CPU priority (nice + [`HASH_NICE`]) than request
//! handling. On an idle machine they still get whole cores, so login capacity is unchanged;
//! when reads and hashes compete for the cores, the reads win and the hashes queue, and the
//! queue's bound turns the excess into fast `503`s. A login flood therefore cannot take the
//! cores from every other request (docs/PERFORMANCE.md, login flood).

use super::argon2id;
use async_trait::async_trait;
use crm_domain::identity::{HashError, PasswordCheck, PasswordHash, PasswordHasher, PlainPassword};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{Semaphore, oneshot};

/// Which scheme new hashes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Argon2id,
    /// Cost 10, for a database still shared with the original Node.js server.
    Bcrypt,
}

const BCRYPT_COST: u32 = 10;

/// How much lower than the process the hashing threads run (Linux nice levels; 10 gives a
/// hashing thread about a tenth of the CPU share of a request-handling thread it competes with).
pub const HASH_NICE: i32 = 10;

/// A hash to run; what it returns hands the answer to the caller. The thread runs the
/// hand-over last, after its own housekeeping, so a caller that got its answer sees that done.
type Job = Box<dyn FnOnce() -> Deliver + Send>;
type Deliver = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct PooledHasher {
    scheme: Scheme,
    /// One permit per hash that may run at once: as many as there are hashing threads, so a
    /// job handed over always finds a free thread.
    running: Arc<Semaphore>,
    /// Permits for hashes running or waiting; when none is left, callers get `Busy`.
    admitted: Arc<Semaphore>,
    /// The hashing threads' queue; they stop when the last hasher is dropped.
    jobs: mpsc::Sender<Job>,
    /// Hashes admitted and not yet started: a thread that finds none keeps no argon2 memory.
    waiting: Arc<AtomicUsize>,
    dummy: Arc<OnceLock<String>>,
}

impl PooledHasher {
    /// `workers` hashes at once (the core count), `queue` more waiting.
    pub fn new(scheme: Scheme, workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let inbox = Arc::new(Mutex::new(inbox));
        let waiting = Arc::new(AtomicUsize::new(0));
        for n in 0..workers {
            let (inbox, waiting) = (inbox.clone(), waiting.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("crm-hash-{n}"))
                .spawn(move || hashing_thread(&inbox, &waiting));
            if let Err(e) = spawned {
                // Fewer threads only means fewer hashes at once; none at all is reported by
                // every hash as a failure rather than hanging.
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self {
            scheme,
            running: Arc::new(Semaphore::new(workers)),
            admitted: Arc::new(Semaphore::new(workers + queue)),
            jobs,
            waiting,
            dummy: Arc::new(OnceLock::new()),
        }
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        let waiting = Waiting::new(&self.waiting);
        let _running = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| HashError::Failed("hashing pool closed".into()))?;
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                drop(waiting);
                let answer = job();
                Box::new(move || {
                    let _ = done.send(answer);
                }) as Deliver
            }))
            .map_err(|_| HashError::Failed("no password hashing thread is running".into()))?;
        result
            .await
            .map_err(|_| HashError::Failed("the password hashing job was lost".into()))?
    }
}

/// Counts one admitted hash until its job starts, or until it is given up (the caller went
/// away, or the job was dropped unrun).
struct Waiting(Arc<AtomicUsize>);

impl Waiting {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(count.clone())
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn hashing_thread(inbox: &Mutex<mpsc::Receiver<Job>>, waiting: &AtomicUsize) {
    lower_thread_priority(HASH_NICE, "password hashing");
    loop {
        // The lock is held only while waiting, so exactly one idle thread takes the next job.
        let next = inbox.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(job) = next else { return };
        // A panicking hash drops its answer (the caller sees `Failed`) but keeps the thread.
        let deliver = std::panic::catch_unwind(AssertUnwindSafe(job));
        // Keep the argon2 memory through a burst; give it back when the burst is over.
        if waiting.load(Ordering::SeqCst) == 0 {
            argon2id::release_memory();
        }
        match deliver {
            Ok(deliver) => deliver(),
            Err(_) => tracing::error!("a password hashing job panicked"),
        }
    }
}

/// Lowers the calling thread's CPU priority by `by` nice levels (at most to 19), so that on a
/// busy machine request threads win the cores; `what` names the thread in a warning.
#[cfg(target_os = "linux")]
pub(crate) fn lower_thread_priority(by: i32, what: &str) {
    use rustix::process::{getpriority_process, setpriority_process};
    // On Linux the nice level is per thread: this lowers only the calling thread.
    let me = Some(rustix::thread::gettid());
    let lowered =
        getpriority_process(me).and_then(|current| setpriority_process(me, (current + by).min(19)));
    if let Err(e) = lowered {
        tracing::warn!(error = %e, "cannot lower the {what} threads' priority");
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn lower_thread_priority(_by: i32, _what: &str) {}

fn is_bcrypt(hash: &str) -> bool {
    ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p))
}

fn hash_with(scheme: Scheme, password: &str) -> Result<String, HashError> {
    match scheme {
        Scheme::Argon2id => argon2id::hash(password.as_bytes()),
        Scheme::Bcrypt => {
            bcrypt::hash(password, BCRYPT_COST).map_err(|e| HashError::Failed(e.to_string()))
        }
    }
}

fn verify_with(scheme: Scheme, password: &str, hash: &str) -> Result<PasswordCheck, HashError> {
    if is_bcrypt(hash) {
        let matches =
            bcrypt::verify(password, hash).map_err(|e| HashError::Failed(e.to_string()))?;
        let cost_ok = hash.get(4..6).and_then(|c| c.parse::<u32>().ok()) == Some(BCRYPT_COST);
        return Ok(PasswordCheck {
            matches,
            needs_rehash: matches && (scheme != Scheme::Bcrypt || !cost_ok),
        });
    }
    if hash.starts_with("$argon2") {
        let matches = argon2id::verify(password.as_bytes(), hash);
        return Ok(PasswordCheck {
            matches,
            needs_rehash: matches && (scheme != Scheme::Argon2id || !argon2id::is_current(hash)),
        });
    }
    // An unknown format never matches; the account needs a password reset.
    Ok(PasswordCheck {
        matches: false,
        needs_rehash: false,
    })
}

#[async_trait]
impl PasswordHasher for PooledHasher {
    async fn hash(&self, password: &PlainPassword) -> Result<PasswordHash, HashError> {
        let (scheme, pw) = (self.scheme, password.expose().to_string());
        self.run(move || hash_with(scheme, &pw))
            .await
            .map(PasswordHash::new)
    }

    async fn verify(
        &self,
        password: &PlainPassword,
        hash: &PasswordHash,
    ) -> Result<PasswordCheck, HashError> {
        let (scheme, pw, h) = (
            self.scheme,
            password.expose().to_string(),
            hash.as_str().to_string(),
        );
        self.run(move || verify_with(scheme, &pw, &h)).await
    }

    async fn verify_dummy(&self, password: &PlainPassword) -> Result<(), HashError> {
        let scheme = self.scheme;
        let dummy = self.dummy.clone();
        let pw = password.expose().to_string();
        self.run(move || {
            // The first call pays for making the dummy hash once; every later one costs exactly
            // what a real verification costs.
            let h = match dummy.get() {
                Some(h) => h.clone(),
                None => {
                    let h = hash_with(scheme, "dummy password that nobody has")?;
                    dummy.get_or_init(|| h).clone()
                }
            };
            verify_with(scheme, &pw, &h).map(|_| ())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;
    use argon2::{Algorithm, Argon2, Params, Version};

    fn pw(s: &str) -> PlainPassword {
        PlainPassword::new(s)
    }

    #[tokio::test]
    async fn argon2id_round_trip_with_the_current_parameters() {
        let h = PooledHasher::new(Scheme::Argon2id, 2, 4);
        let hash = h.hash(&pw("correct horse")).await.unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{}",
            hash.as_str()
        );
        let ok = h.verify(&pw("correct horse"), &hash).await.unwrap();
        assert!(ok.matches && !ok.needs_rehash);
        assert!(!h.verify(&pw("wrong"), &hash).await.unwrap().matches);
    }

    #[tokio::test]
    async fn hashes_with_the_earlier_parameters_verify_and_ask_for_rehash() {
        let earlier = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(19 * 1024, 2, 1, None).unwrap(),
        )
        .hash_password(b"correct horse")
        .unwrap()
        .to_string();
        let h = PooledHasher::new(Scheme::Argon2id, 1, 0);
        let r = h
            .verify(&pw("correct horse"), &PasswordHash::new(earlier.clone()))
            .await
            .unwrap();
        assert!(r.matches && r.needs_rehash, "{earlier}");
        let wrong = h
            .verify(&pw("wrong"), &PasswordHash::new(earlier))
            .await
            .unwrap();
        assert!(!wrong.matches && !wrong.needs_rehash);
    }

    #[tokio::test]
    async fn bcrypt_hashes_from_the_node_server_verify_and_ask_for_rehash() {
        let h = PooledHasher::new(Scheme::Argon2id, 2, 4);
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let legacy = bcrypt::hash("s3cret-pass", 4)
                .unwrap()
                .replacen("$2b$", prefix, 1);
            let r = h
                .verify(&pw("s3cret-pass"), &PasswordHash::new(legacy.clone()))
                .await
                .unwrap();
            assert!(r.matches && r.needs_rehash, "{prefix}");
            assert!(
                !h.verify(&pw("nope"), &PasswordHash::new(legacy))
                    .await
                    .unwrap()
                    .matches
            );
        }
        let b = PooledHasher::new(Scheme::Bcrypt, 2, 4);
        let hash = b.hash(&pw("s3cret-pass")).await.unwrap();
        assert!(hash.as_str().starts_with("$2b$10$"));
        let r = b.verify(&pw("s3cret-pass"), &hash).await.unwrap();
        assert!(r.matches && !r.needs_rehash);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashes_run_below_the_priority_of_request_handling() {
        use rustix::process::getpriority_process;
        let ours = getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let h = PooledHasher::new(Scheme::Argon2id, 1, 0);
        let theirs = h
            .run(|| {
                getpriority_process(Some(rustix::thread::gettid()))
                    .map_err(|e| HashError::Failed(e.to_string()))
            })
            .await
            .unwrap();
        assert_eq!(theirs, (ours + HASH_NICE).min(19));
    }

    #[tokio::test]
    async fn argon2_memory_is_kept_through_a_burst_and_freed_when_idle() {
        let h = PooledHasher::new(Scheme::Argon2id, 1, 3);
        h.hash(&pw("alone")).await.unwrap();
        let probe = || Ok(argon2id::kept_blocks());
        assert_eq!(h.run(probe).await.unwrap(), 0, "idle after a lone hash");

        // A burst: a gate holds the one thread while a hash and then a probe are admitted.
        let (open, gate) = std::sync::mpsc::channel::<()>();
        let g = h.clone();
        let gated = tokio::spawn(async move {
            g.run(move || gate.recv().map_err(|e| HashError::Failed(e.to_string())))
                .await
        });
        let until_waiting = |n: usize| {
            let h = h.clone();
            async move {
                while h.waiting.load(Ordering::SeqCst) != n {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
            }
        };
        until_waiting(0).await;
        let h2 = h.clone();
        let hashed = tokio::spawn(async move { h2.hash(&pw("first")).await });
        until_waiting(1).await;
        let h3 = h.clone();
        let during = tokio::spawn(async move { h3.run(probe).await });
        until_waiting(2).await;
        open.send(()).unwrap();
        gated.await.unwrap().unwrap();
        hashed.await.unwrap().unwrap();
        assert!(
            during.await.unwrap().unwrap() > 0,
            "kept while a hash waited"
        );
        assert_eq!(h.run(probe).await.unwrap(), 0, "idle again");
    }

    #[tokio::test]
    async fn a_saturated_pool_answers_busy_at_once() {
        let h = PooledHasher::new(Scheme::Argon2id, 1, 0);
        let h2 = h.clone();
        let first = tokio::spawn(async move { h2.hash(&pw("one")).await });
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let started = std::time::Instant::now();
        let second = h.hash(&pw("two")).await;
        assert_eq!(second.unwrap_err(), HashError::Busy);
        assert!(started.elapsed() < std::time::Duration::from_millis(5));
        assert!(first.await.unwrap().is_ok());
    }
}
