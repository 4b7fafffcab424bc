use super::FieldError;
use super::text::{NAME_MAX, at_most, is_invisible, required};

/// An email address in one canonical form, so that one mailbox is one account: trimmed, the
/// local part ASCII and lower-cased, the domain lower-cased and, when international, in its
/// IDNA ASCII form (`xn--…`). Invisible characters are refused, and so is a non-ASCII local
/// part: those are how look-alike addresses ("аda" with a Cyrillic а, "a\u{200B}da") would
/// pass as someone else's. An international domain stays possible, shown as `xn--…`, where a
/// look-alike cannot hide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// RFC 5321's limit, on the address as sent and in its canonical form.
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let fail = |message: &str| Err(FieldError::new("email", message));
        at_most("email", raw, Self::MAX_CHARS)?;
        let value = raw.trim();
        if value.is_empty() {
            return fail("must not be empty");
        }
        if value.chars().any(|c| c.is_whitespace() || is_invisible(c)) {
            return fail("must not contain spaces, control or invisible characters");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return fail("must be an address like name@example.org");
        };
        if !local.is_ascii() {
            return fail("the part before @ must be plain ASCII letters, digits and punctuation");
        }
        let local = local.to_ascii_lowercase();
        let domain = match url::Host::parse(domain) {
            Ok(url::Host::Domain(ascii)) => ascii,
            _ => return fail("must be an address like name@example.org"),
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return fail("must be an address like name@example.org");
        }
        let value = format!("{local}@{domain}");
        if value.len() > Self::MAX_CHARS {
            return fail("must be at most 254 characters");
        }
        Ok(Email(value))
    }

    /// For lookups (login): the same canonical form when the address is well formed; otherwise
    /// just trimmed and lower-cased, so a malformed address simply matches no account.
    pub fn normalise(raw: &str) -> String {
        Email::parse(raw).map_or_else(|_| raw.trim().to_lowercase(), Email::into_inner)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A person's name as shown to others: 1 to 200 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, FieldError> {
        required("display_name", raw, NAME_MAX).map(DisplayName)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A new password: at least 12 visible characters (invisible ones do not count), at most 1024
/// bytes (checked before any hashing, so a huge password cannot burn CPU), not blank, not one
/// character repeated, and not one of the most common passwords (NIST SP 800-63B §5.1.1.2).
#[derive(Clone)]
pub struct Password(String);

/// The most common passwords long enough to pass the length rule, lower-cased, one a line.
const COMMON: &str = include_str!("common_passwords.txt");

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_BYTES: usize = 1024;

    pub fn parse(raw: String) -> Result<Password, FieldError> {
        let fail = |message: &str| Err(FieldError::new("password", message));
        if raw.len() > Self::MAX_BYTES {
            return fail("must be at most 1024 bytes");
        }
        let visible: Vec<char> = raw.chars().filter(|c| !is_invisible(*c)).collect();
        if visible.len() < Self::MIN_CHARS {
            return fail("must be at least 12 characters (invisible ones do not count)");
        }
        if visible.iter().all(|c| c.is_whitespace()) {
            return fail("must not be blank");
        }
        if visible.iter().all(|c| *c == visible[0]) {
            return fail("must not be one character repeated");
        }
        let lowered = raw.trim().to_lowercase();
        if COMMON.lines().any(|common| common == lowered) {
            return fail("is one of the most common passwords; choose another");
        }
        Ok(Password(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A new account, every field valid (all three errors reported together otherwise).
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: DisplayName,
    pub password: Password,
}

impl NewAccount {
    pub fn parse(
        email: &str,
        display_name: &str,
        password: String,
    ) -> Result<Self, Vec<FieldError>> {
        match (
            Email::parse(email),
            DisplayName::parse(display_name),
            Password::parse(password),
        ) {
            (Ok(email), Ok(display_name), Ok(password)) => Ok(NewAccount {
                email,
                display_name,
                password,
            }),
            (e, d, p) => Err([e.err(), d.err(), p.err()].into_iter().flatten().collect()),
        }
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
    fn look_alike_and_invisible_emails_are_refused_and_domains_take_one_form() {
        for bad in [
            "a\u{200B}da@example.org",
            "ada@exam\u{200D}ple.org",
            "\u{FEFF}ada@example.org",
            "\u{0430}da@example.org", // Cyrillic а
            "ａｄａ@example.org",     // full-width
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        let canonical = |raw: &str| Email::parse(raw).map(Email::into_inner).unwrap();
        assert_eq!(canonical("Ada@EXAMPLE.org"), "ada@example.org");
        assert_eq!(canonical("ada@bücher.example"), "ada@xn--bcher-kva.example");
        assert_eq!(canonical("ada@BÜCHER.example"), "ada@xn--bcher-kva.example");
    }

    #[test]
    fn password_length_is_counted_in_visible_characters() {
        assert!(
            Password::parse("é".repeat(6)).is_err(),
            "12 bytes, 6 characters"
        );
        assert!(
            Password::parse("\u{200B}".repeat(12)).is_err(),
            "nothing visible"
        );
        assert!(Password::parse(format!("ab{}", "\u{200B}".repeat(10))).is_err());
        assert!(
            Password::parse("éàüöéàüöéàüö".into()).is_ok(),
            "12 characters, 24 bytes"
        );
        assert!(Password::parse("x".repeat(1025)).is_err());
        assert!(Password::parse("tree lamp river 9".into()).is_ok());
    }

    #[test]
    fn blank_repeated_and_common_passwords_are_refused() {
        for bad in [
            " ".repeat(12),
            "a".repeat(16),
            "password1234".into(),
            "Qwertyuiop123".into(),
        ] {
            assert!(
                Password::parse(bad.clone()).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
