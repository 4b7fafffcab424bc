//! What a client may log in the activity ledger, once parsed.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{ActivityKind, FieldError};

/// Hours as whole quarter hours: 0.25 to 24.
pub fn quarter_hours(hours: f64) -> Result<i32, FieldError> {
    let quarters = hours * 4.0;
    if !(0.25..=24.0).contains(&hours) || quarters.fract() != 0.0 {
        return Err(FieldError::new(
            "hours",
            "must be between 0.25 and 24 in quarter hours (e.g. 1.5)",
        ));
    }
    Ok(quarters as i32)
}

/// Time spent on a project. The day is checked against today and the project's start, and the
/// milestone against the project, by the service.
#[derive(Debug, Clone)]
pub struct Entry {
    pub occurred_on: NaiveDate,
    pub quarter_hours: i32,
    pub kind: ActivityKind,
    pub milestone_id: Option<Uuid>,
    pub note: Option<String>,
    /// The member the time is for, when an API key logs it.
    pub user_id: Option<Uuid>,
    /// A vendor's id for the entry (unique with `external_source` within the project).
    pub external_id: Option<String>,
    pub external_source: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_a_quarter_to_24_in_quarter_hours() {
        assert_eq!(quarter_hours(0.25), Ok(1));
        assert_eq!(quarter_hours(24.0), Ok(96));
        assert_eq!(quarter_hours(1.5), Ok(6));
        for bad in [0.0, 24.25, 0.1, -1.0] {
            assert!(quarter_hours(bad).is_err(), "{bad}");
        }
    }
}
