//! Free-text fields: names, descriptions, external ids.

use super::FieldError;

/// Characters that show nothing: format characters (zero-width spaces and joiners, direction
/// marks and overrides, the byte-order mark, soft hyphen, tag characters), variation selectors
/// and Hangul fillers, and control characters. They make look-alike identities ("ada" and
/// "a\u{200B}da") and padding that is not there.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The most characters of a name (an organisation's, a project's, a milestone's title, an API
/// key's, a person's display name).
pub const NAME_MAX: usize = 200;

/// A required name: trimmed, 1 to [`NAME_MAX`] characters, no control characters.
pub fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    required(field, raw, NAME_MAX)
}

/// A required one-line text of at most `max` characters: trimmed, not empty, no control
/// characters.
pub fn required(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    at_most(field, raw, max)?;
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Optional text up to `max` characters; blank becomes `None`.
pub fn optional(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else { return Ok(None) };
    at_most(field, raw, max)?;
    match raw.trim() {
        "" => Ok(None),
        value => Ok(Some(value.to_owned())),
    }
}

/// Every text's limit counts the characters as sent, padding included (the text is trimmed
/// after), so the `maxLength` the OpenAPI document states is exactly the rule.
pub fn at_most(field: &str, raw: &str, max: usize) -> Result<(), FieldError> {
    if raw.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// The most characters of an organisation's slug.
pub const SLUG_MAX: usize = 64;

/// A URL-safe organisation handle: 2 to [`SLUG_MAX`] of `a-z`, `0-9` and `-`, not starting or
/// ending with `-`.
pub fn slug(raw: &str) -> Result<String, FieldError> {
    let value = raw.trim().to_lowercase();
    let ok = raw.chars().count() <= SLUG_MAX
        && (2..=SLUG_MAX).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if ok {
        Ok(value)
    } else {
        Err(FieldError::new(
            "slug",
            "must be 2 to 64 characters of a-z, 0-9 and '-'",
        ))
    }
}

/// A slug made from a name: "Acme Association" → "acme-association".
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let mut out: String = out.chars().take(48).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.len() < 2 { "org".to_owned() } else { out }
}

/// Weekly commitment in hours: 0 to 80 in quarter hours. Stored as whole quarter hours.
pub fn weekly_quarter_hours(hours: f64) -> Result<i32, FieldError> {
    let quarters = hours * 4.0;
    if !(0.0..=80.0).contains(&hours) || quarters.fract() != 0.0 {
        return Err(FieldError::new(
            "weekly_hours",
            "must be between 0 and 80 in quarter hours (e.g. 7.5)",
        ));
    }
    Ok(quarters as i32)
}

/// An optional text of a resource: `(field, most characters)`.
pub const DESCRIPTION: (&str, usize) = ("description", 10_000);
pub const EXTERNAL_ID: (&str, usize) = ("external_id", 200);
pub const EXTERNAL_SOURCE: (&str, usize) = ("external_source", 100);
pub const SYSTEM_NAME: (&str, usize) = ("system_name", 200);
/// A reason given with a transition, or a note on an activity.
pub const NOTE: (&str, usize) = ("note", 2_000);

/// `raw` as an optional text of `spec`.
pub fn optional_text(spec: (&str, usize), raw: Option<&str>) -> Result<Option<String>, FieldError> {
    optional(spec.0, raw, spec.1)
}

/// An optional text in a partial update: absent stays absent, `null` clears, a value is parsed.
pub fn optional_patch(
    spec: (&str, usize),
    patch: Option<Option<String>>,
) -> Option<Result<Option<String>, FieldError>> {
    patch.map(|value| optional_text(spec, value.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(
            slugify("Acme Association of Widgets!"),
            "acme-association-of-widgets"
        );
        assert_eq!(slugify("!!"), "org");
    }

    #[test]
    fn weekly_hours_are_quarter_hours_from_0_to_80() {
        assert_eq!(weekly_quarter_hours(7.5), Ok(30));
        assert_eq!(weekly_quarter_hours(0.0), Ok(0));
        assert_eq!(weekly_quarter_hours(80.0), Ok(320));
        assert!(weekly_quarter_hours(80.25).is_err());
        assert!(weekly_quarter_hours(-0.25).is_err());
        assert!(weekly_quarter_hours(1.1).is_err());
    }
}
