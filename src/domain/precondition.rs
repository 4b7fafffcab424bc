//! Optimistic concurrency: every versioned resource has a strong ETag, and changes to it carry
//! `If-Match`. Parsed at the edge into [`IfMatch`]; services only ask whether it holds.

/// The strong ETag of a resource version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// Why a change's precondition does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// `If-Match` is required here and was not sent (428).
    Required,
    /// The resource changed since the client read it (412).
    Failed,
}

/// A request's `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Absent,
    /// `*`: any current version.
    Any,
    /// Entity tags, as sent (weak tags never match: the comparison is strong).
    Tags(Vec<String>),
}

impl IfMatch {
    /// RFC 9110's grammar: `*` or a comma-separated list of entity tags (commas never occur
    /// inside ours). `None` when the header is malformed.
    pub fn parse(header: Option<&str>) -> Option<Self> {
        let Some(value) = header else {
            return Some(IfMatch::Absent);
        };
        let value = value.trim_matches([' ', '\t']);
        if value == "*" {
            return Some(IfMatch::Any);
        }
        let tags: Vec<String> = value
            .split(',')
            .map(|tag| tag.trim_matches([' ', '\t']).to_owned())
            .collect();
        tags.iter()
            .all(|t| well_formed_tag(t))
            .then_some(IfMatch::Tags(tags))
    }

    /// Whether the change may apply to `version`.
    pub fn check(&self, version: i32) -> Result<(), Precondition> {
        match self {
            IfMatch::Absent => Err(Precondition::Required),
            IfMatch::Any => Ok(()),
            IfMatch::Tags(tags) => {
                let current = etag(version);
                if tags.iter().any(|t| t == "*" || *t == current) {
                    Ok(())
                } else {
                    Err(Precondition::Failed)
                }
            }
        }
    }
}

fn well_formed_tag(tag: &str) -> bool {
    let tag_char = |b: u8| b == 0x21 || (0x23..=0x2b).contains(&b) || (0x2d..=0x7e).contains(&b);
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.len() >= 2
        && tag.starts_with('"')
        && tag.ends_with('"')
        && tag.as_bytes()[1..tag.len() - 1]
            .iter()
            .all(|&b| tag_char(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_holds_for_the_current_version_or_a_star_only() {
        let parsed = |h: &str| IfMatch::parse(Some(h));
        assert_eq!(parsed("\"3\"").map(|m| m.check(3)), Some(Ok(())));
        assert_eq!(parsed("\"2\", \"3\"").map(|m| m.check(3)), Some(Ok(())));
        assert_eq!(parsed("*").map(|m| m.check(7)), Some(Ok(())));
        assert_eq!(
            parsed("\"2\"").map(|m| m.check(3)),
            Some(Err(Precondition::Failed))
        );
        assert_eq!(
            parsed("W/\"3\"").map(|m| m.check(3)),
            Some(Err(Precondition::Failed))
        );
        assert_eq!(
            IfMatch::parse(None).map(|m| m.check(3)),
            Some(Err(Precondition::Required))
        );
        assert_eq!(parsed("3"), None);
        assert_eq!(parsed("\"3\",,"), None);
    }
}
