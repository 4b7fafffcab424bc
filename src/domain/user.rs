use crate::error::FieldError;

/// An email address, trimmed and lower-cased, so comparisons are case-insensitive everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let fail = |message: &str| Err(FieldError::new("email", message));
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return fail("must not be empty");
        }
        if value.len() > 254 {
            return fail("must be at most 254 characters");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("must not contain spaces or control characters");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return fail("must be an address like name@example.org");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return fail("must be an address like name@example.org");
        }
        Ok(Email(value))
    }

    /// For lookups (login): the same normalisation, without judging the format, so a malformed
    /// address simply matches no account.
    pub fn normalise(raw: &str) -> String {
        raw.trim().to_lowercase()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A person's name as shown to others: 1 to 200 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new("display_name", "must not be empty"));
        }
        if value.chars().count() > 200 {
            return Err(FieldError::new(
                "display_name",
                "must be at most 200 characters",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(
                "display_name",
                "must not contain control characters",
            ));
        }
        Ok(DisplayName(value.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A new password: 12 to 1024 bytes. The upper bound is checked before any hashing, so a huge
/// password cannot be used to burn CPU.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_BYTES: usize = 12;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: String) -> Result<Password, FieldError> {
        if raw.len() < Self::MIN_BYTES {
            return Err(FieldError::new("password", "must be at least 12 bytes"));
        }
        if raw.len() > Self::MAX_BYTES {
            return Err(FieldError::new("password", "must be at most 1024 bytes"));
        }
        Ok(Password(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada@Example.ORG ").map(Email::into_inner);
        assert_eq!(email, Ok("ada@example.org".to_owned()));
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "a b@example.org",
            "ada@exa..mple.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn password_length_is_counted_in_bytes() {
        assert!(Password::parse("é".repeat(6)).is_ok()); // 12 bytes, 6 characters
        assert!(Password::parse("x".repeat(11)).is_err());
        assert!(Password::parse("x".repeat(1025)).is_err());
    }
}
