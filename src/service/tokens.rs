//! Access tokens (HS256 JWTs) and opaque refresh tokens.
//!
//! An access token names the user (`sub`) and the session (`sid`); the session row is checked on
//! every request, so logout and disabled accounts take effect at once even though the JWT itself
//! is still unexpired. Refresh tokens are 256 random bits, stored only as a SHA-256 hash.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    clock::Clock,
    error::{ApiError, AuthFailure},
};

pub const ISSUER: &str = "buyin";
pub const AUDIENCE: &str = "buyin-api";
const LEEWAY_SECS: i64 = 30;
const REFRESH_TOKEN_PREFIX: &str = "bir_";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: Uuid,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: Uuid,
    pub sid: Uuid,
}

#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    clock: Clock,
}

impl Tokens {
    pub fn new(secret: &[u8], access_ttl: Duration, clock: Clock) -> Tokens {
        // Only HS256 is accepted: `alg: none` and algorithm-confusion tokens fail validation.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        // `exp` and `nbf` are checked against the one clock below, not the system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            clock,
        }
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    pub fn issue_access_token(&self, user_id: Uuid, session_id: Uuid) -> Result<String, ApiError> {
        let now = self.clock.now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id,
            exp: now + self.access_ttl.as_secs() as i64,
            nbf: now,
            iat: now,
            jti: Uuid::new_v4(),
            sid: session_id,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    pub fn verify_access_token(&self, token: &str) -> Result<Claims, ApiError> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthorized(AuthFailure::InvalidToken))?
            .claims;
        let now = self.clock.now().timestamp();
        if claims.exp + LEEWAY_SECS <= now || claims.nbf > now + LEEWAY_SECS {
            return Err(ApiError::Unauthorized(AuthFailure::InvalidToken));
        }
        Ok(claims)
    }
}

/// A new refresh token and the hash under which it is stored.
pub fn new_refresh_token() -> (String, String) {
    let token = crate::secrets::random_token(REFRESH_TOKEN_PREFIX);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// A fast hash is right here: the token has 256 bits of entropy, so it cannot be guessed from
/// its hash, and lookups must be cheap.
pub fn hash_refresh_token(token: &str) -> String {
    crate::secrets::sha256_hex(&[token.as_bytes()])
}
