//! Away periods (DESIGN.md, Participation `away`): leave or illness, `{from, until}` with both
//! days inclusive and `until` open when null. Away members stay members; their away days are
//! left out of commitment, and their next actions go to the leads.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::FieldError;

/// At most this many periods per participation (a year of weekly leave fits).
pub const MAX_PERIODS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwayPeriod {
    /// First day away.
    #[serde(deserialize_with = "super::day::required")]
    #[schema(example = "2026-12-21")]
    pub from: NaiveDate,
    /// Last day away (inclusive); null or absent while the return is open.
    #[serde(default, deserialize_with = "super::day::optional")]
    #[schema(example = "2027-01-03")]
    pub until: Option<NaiveDate>,
}

impl AwayPeriod {
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|until| day <= until)
    }
}

/// A participation's periods, checked: each `from ≤ until`, none overlapping, in date order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Away(Vec<AwayPeriod>);

impl Away {
    pub fn parse(mut periods: Vec<AwayPeriod>) -> Result<Away, FieldError> {
        if periods.len() > MAX_PERIODS {
            return Err(FieldError::new(
                "away",
                format!("at most {MAX_PERIODS} periods"),
            ));
        }
        if let Some(i) = periods
            .iter()
            .position(|p| p.until.is_some_and(|until| until < p.from))
        {
            return Err(FieldError::new(
                format!("away[{i}].until"),
                "must not be before `from`",
            ));
        }
        periods.sort();
        let overlap = periods
            .windows(2)
            .any(|pair| pair[0].until.is_none_or(|until| until >= pair[1].from));
        if overlap {
            return Err(FieldError::new("away", "periods must not overlap"));
        }
        Ok(Away(periods))
    }

    /// Periods as stored (already checked when written); unreadable text reads as none.
    pub fn from_stored(json: &str) -> Away {
        Away(serde_json::from_str(json).unwrap_or_default())
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }

    pub fn periods(&self) -> &[AwayPeriod] {
        &self.0
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.0.iter().any(|p| p.covers(day))
    }

    /// The periods in `self` that `before` did not have, or had otherwise: what a change
    /// records. A member may only record periods that start today or later for themself.
    pub fn added_since<'a>(&'a self, before: &'a Away) -> impl Iterator<Item = &'a AwayPeriod> {
        self.0.iter().filter(|p| !before.0.contains(p))
    }

    /// The periods `before` had that `self` no longer has.
    pub fn removed_since<'a>(&'a self, before: &'a Away) -> impl Iterator<Item = &'a AwayPeriod> {
        before.0.iter().filter(|p| !self.0.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
    }

    fn period(from: u32, until: Option<u32>) -> AwayPeriod {
        AwayPeriod {
            from: day(from),
            until: until.map(day),
        }
    }

    #[test]
    fn periods_are_inclusive_and_may_stay_open() {
        let away = Away::parse(vec![period(10, Some(12)), period(20, None)]).unwrap();
        assert!(!away.covers(day(9)));
        assert!(away.covers(day(10)) && away.covers(day(12)));
        assert!(!away.covers(day(13)));
        assert!(away.covers(day(31)));
    }

    #[test]
    fn until_before_from_and_overlaps_are_refused() {
        let backwards = Away::parse(vec![period(12, Some(10))]).unwrap_err();
        assert_eq!(backwards.field, "away[0].until");
        for overlapping in [
            vec![period(10, Some(12)), period(12, Some(14))],
            vec![period(20, None), period(25, Some(26))],
        ] {
            assert_eq!(Away::parse(overlapping).unwrap_err().field, "away");
        }
        assert!(Away::parse(vec![period(10, Some(12)), period(13, Some(14))]).is_ok());
    }
}
