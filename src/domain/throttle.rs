//! How failed sign-in attempts slow a guesser down without locking the owner out.
//!
//! Attempts are counted per source address and per account *from* that source (OWASP's
//! authentication guidance: per-source limits and progressive delays instead of an account-wide
//! lockout, which anyone who knows an email could keep renewing). The owner signing in from
//! anywhere else is not held back by someone else's guesses; unknown emails are counted exactly
//! like known ones, so throttling tells nobody which emails have accounts.

use std::{net::IpAddr, time::Duration};

/// Free attempts, then a wait that doubles with each further attempt, up to a ceiling. A key
/// that saw no attempt for `forget_after` starts again from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub free: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
    pub forget_after: Duration,
}

impl Policy {
    /// One account from one source: five tries, then 30 s, 60 s, … up to 15 minutes.
    pub const ACCOUNT_FROM_SOURCE: Policy = Policy {
        free: 5,
        first_wait: Duration::from_secs(30),
        max_wait: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(24 * 3600),
    };
    /// Failed logins from one source, whatever the emails: twenty, then 1 s, 2 s, … up to 15
    /// minutes (a source that logs in successfully is not counted for it).
    pub const SOURCE: Policy = Policy {
        free: 20,
        first_wait: Duration::from_secs(1),
        max_wait: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(24 * 3600),
    };
    /// Accounts created from one source: twenty, then 2 s, 4 s, … up to 15 minutes; forgotten
    /// after an hour without one.
    pub const REGISTRATION: Policy = Policy {
        free: 20,
        first_wait: Duration::from_secs(2),
        max_wait: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(3600),
    };

    /// How long the key is blocked once its `attempts`-th attempt has been counted.
    pub fn wait_after(&self, attempts: u32) -> Option<Duration> {
        let beyond = attempts.checked_sub(self.free)?;
        let doubling = 2u32.saturating_pow(beyond.min(16));
        Some(self.first_wait.saturating_mul(doubling).min(self.max_wait))
    }
}

/// The part of an address that identifies one source: an IPv4 address, or an IPv6 /64 (one
/// customer's network: handing out a new address per request costs an attacker nothing).
pub fn source_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("ip:{v4}"),
            None => {
                let s = v6.segments();
                format!("ip6:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_tries_per_account_and_source_then_the_wait_doubles_up_to_fifteen_minutes() {
        let p = Policy::ACCOUNT_FROM_SOURCE;
        assert_eq!(p.wait_after(4), None);
        assert_eq!(p.wait_after(5), Some(Duration::from_secs(30)));
        assert_eq!(p.wait_after(6), Some(Duration::from_secs(60)));
        assert_eq!(p.wait_after(9), Some(Duration::from_secs(480)));
        assert_eq!(p.wait_after(10), Some(Duration::from_secs(900)));
        assert_eq!(p.wait_after(1000), Some(Duration::from_secs(900)));
    }

    #[test]
    fn a_source_is_one_ipv4_address_or_one_ipv6_64() {
        let key = |s: &str| source_key(s.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "ip:203.0.113.7");
        assert_eq!(key("2001:db8:1:2:3:4:5:6"), key("2001:db8:1:2:ffff::1"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
    }
}
