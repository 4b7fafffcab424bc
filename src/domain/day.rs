//! Calendar dates as requests may send them: 1900-01-01 to 9999-12-31.
//!
//! chrono reads years far outside what the databases store (PostgreSQL stops at 4713 BC, and
//! SQLite compares dates as text, so a five-digit year sorts wrongly); no project date is
//! outside this range. Used as `#[serde(deserialize_with = …)]` on every date a request carries,
//! so an out-of-range date is refused with the field named, like any malformed value.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, de::Error};

pub const FIRST: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a valid date");
pub const LAST: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date");

fn bounded<E: Error>(day: NaiveDate) -> Result<NaiveDate, E> {
    if (FIRST..=LAST).contains(&day) {
        Ok(day)
    } else {
        Err(E::custom(format!(
            "`{day}` is out of range: dates run from {FIRST} to {LAST}"
        )))
    }
}

/// A date in range.
pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    bounded(NaiveDate::deserialize(d)?)
}

/// An optional date in range.
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    Option::<NaiveDate>::deserialize(d)?
        .map(bounded)
        .transpose()
}

/// A PATCH date: absent (`None`, with `#[serde(default)]`), `null` (`Some(None)`) or a date in
/// range.
pub fn nullable<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    optional(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Body {
        #[serde(deserialize_with = "required")]
        day: NaiveDate,
    }

    fn parse(day: &str) -> Result<NaiveDate, String> {
        serde_json::from_value::<Body>(serde_json::json!({ "day": day }))
            .map(|b| b.day)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn dates_run_from_1900_to_9999() {
        assert!(parse("1900-01-01").is_ok());
        assert!(parse("9999-12-31").is_ok());
        assert!(parse("2026-12-02").is_ok());
        for bad in ["1899-12-31", "-4714-01-01", "+10000-01-01", "0000-01-01"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
