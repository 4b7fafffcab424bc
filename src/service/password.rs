//! Argon2id password hashing at the OWASP parameters (m = 19456 KiB, t = 2, p = 1).
//!
//! Hashing is deliberately slow, so it runs on the blocking thread pool behind a semaphore: at
//! most `permits` hashes run at once and the async workers keep serving other requests. Unknown
//! accounts are verified against a dummy hash so a login takes as long whether or not the email
//! exists.

use std::sync::Arc;

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Clone)]
pub struct Passwords {
    semaphore: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19_456, 2, 1, None).map_err(ApiError::internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &[u8]) -> Result<String, ApiError> {
    Ok(argon2()?
        .hash_password(password)
        .map_err(ApiError::internal)?
        .to_string())
}

fn verify_blocking(password: &[u8], hash: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(hash).map_err(ApiError::internal)?;
    Ok(argon2()?.verify_password(password, &parsed).is_ok())
}

impl Passwords {
    /// `permits` bounds how many hashes run at once (one per core left for other work).
    pub fn new(permits: usize) -> Result<Passwords, ApiError> {
        let dummy_hash = hash_blocking(b"buyin dummy password for unknown accounts")?;
        Ok(Passwords {
            semaphore: Arc::new(Semaphore::new(permits.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// A permit count that leaves at least one core for serving requests.
    pub fn default_permits() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .max(1)
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
        let hash = hash.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let matches = self.run(move || verify_blocking(&password, &hash)).await?;
        Ok(known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self.semaphore.acquire().await.map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(ApiError::internal)?
    }
}
