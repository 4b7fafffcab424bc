//! Random secrets and their hashes, in one place: refresh tokens, API keys, webhook secrets,
//! the generated JWT secret and idempotency fingerprints all use these.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// `N` bytes from the operating system's CSPRNG (through `rand`'s thread generator).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// `prefix` followed by 256 random bits, base64url: what clients hold (`bik_…`, `bir_…`).
pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `parts` concatenated, as hex. A fast hash is right for what is hashed here: tokens
/// with 256 bits of entropy (they cannot be guessed from their hash) and request fingerprints.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hex(&hasher.finalize())
}
