//! How many children a parent may hold. Every collection a caller can add to has a ceiling, so
//! no request, and no stream of requests, can grow a parent (or the answers that list it)
//! without bound: one 64 KiB request once created 13,000 criteria on one milestone.

/// At most `max` of `what` in one `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u64,
    pub what: &'static str,
    pub per: &'static str,
}

impl Limit {
    /// Whether one more may be added to `count` existing.
    pub fn allows_one_more(&self, count: u64) -> bool {
        count < self.max
    }
}

pub const CRITERIA_PER_MILESTONE: Limit = Limit {
    max: 100,
    what: "acceptance criteria",
    per: "milestone",
};
pub const MILESTONES_PER_PROJECT: Limit = Limit {
    max: 2_000,
    what: "milestones",
    per: "project",
};
pub const MEMBERS_PER_PROJECT: Limit = Limit {
    max: 500,
    what: "active members",
    per: "project",
};
pub const PROJECTS_PER_ORG: Limit = Limit {
    max: 1_000,
    what: "projects",
    per: "organisation",
};
pub const MEMBERS_PER_ORG: Limit = Limit {
    max: 10_000,
    what: "members",
    per: "organisation",
};
pub const INVITATIONS_PER_ORG: Limit = Limit {
    max: 1_000,
    what: "pending invitations",
    per: "organisation",
};
pub const ORGS_PER_USER: Limit = Limit {
    max: 100,
    what: "organisations",
    per: "account",
};
pub const API_KEYS_PER_ORG: Limit = Limit {
    max: 50,
    what: "live API keys",
    per: "organisation",
};
pub const WEBHOOKS_PER_ORG: Limit = Limit {
    max: 20,
    what: "webhooks",
    per: "organisation",
};

pub const ACTIONS_PER_PROJECT: Limit = Limit {
    max: 5_000,
    what: "agreed actions",
    per: "project",
};
pub const TEST_SCRIPTS_PER_PROJECT: Limit = Limit {
    max: 1_000,
    what: "test scripts",
    per: "project",
};
pub const RUNS_PER_TEST_SCRIPT: Limit = Limit {
    max: 1_000,
    what: "runs",
    per: "test script",
};

/// Live sessions per account: a new login beyond it ends the oldest session, so a script that
/// logs in over and over cannot grow the table without bound. High enough that an integration
/// logging in often does not end a person's session within a working day of normal use.
pub const SESSIONS_PER_USER: u64 = 1_000;

/// A member's hours on one project on one day: a day has 24 (in quarter hours).
pub const QUARTER_HOURS_PER_DAY: i64 = 96;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_at_its_limit_takes_no_more() {
        assert!(CRITERIA_PER_MILESTONE.allows_one_more(99));
        assert!(!CRITERIA_PER_MILESTONE.allows_one_more(100));
    }
}
