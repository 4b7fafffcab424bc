//! Request bodies: what clients send, as the OpenAPI document describes it, and the conversion
//! of each into a domain command (`TryFrom`, every field error collected into one 422). A
//! service never sees a body, only the command it became.

pub mod actions;
pub mod activities;
pub mod integrations;
pub mod members;
pub mod milestones;
pub mod orgs;
pub mod projects;
pub mod test_scripts;

use serde::{Deserialize, Deserializer};

/// Tells "absent" (`None`) from "null" (`Some(None)`).
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
