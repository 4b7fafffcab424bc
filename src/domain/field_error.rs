//! The one shape every validation failure takes, whichever layer finds it.

use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path in the request body, e.g. `email` or `criteria[2].text`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every field error of one request, collected so the client sees them all in one 422.
#[derive(Debug, Default)]
pub struct Checks(Vec<FieldError>);

impl Checks {
    /// The parsed value, or (recording the error) a placeholder that is never used: a request
    /// with any error does not get past [`Checks::finish`].
    pub fn take<T: Default>(&mut self, parsed: Result<T, FieldError>) -> T {
        parsed.unwrap_or_else(|e| {
            self.0.push(e);
            T::default()
        })
    }

    /// A field of a partial update: absent stays absent, present is parsed.
    pub fn patch<T>(&mut self, parsed: Option<Result<T, FieldError>>) -> Option<T> {
        match parsed? {
            Ok(value) => Some(value),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn require(&mut self, holds: bool, field: &str, message: &str) {
        if !holds {
            self.0.push(FieldError::new(field, message));
        }
    }

    pub fn add(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// `value` when every check passed, else every error found.
    pub fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self.0)
        }
    }
}
