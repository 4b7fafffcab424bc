//! What clients send about organisations and their members, and how each becomes a command.

use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{
    Checks, Email, FieldError, OrgRole,
    org::{Invitation, Invitee, NewOrg, OrgPatch},
    text,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// 1 to 200 characters.
    #[schema(example = "Acme Association")]
    pub name: String,
    /// URL handle; made from the name when omitted.
    #[schema(example = "acme-association")]
    pub slug: Option<String>,
}

impl TryFrom<CreateOrg> for NewOrg {
    type Error = Vec<FieldError>;

    fn try_from(b: CreateOrg) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let new = NewOrg {
            name: checks.take(text::name("name", &b.name)),
            slug: checks.patch(b.slug.as_deref().map(text::slug)),
        };
        checks.finish(new)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    #[schema(example = "Acme Association of Widget Makers")]
    pub name: Option<String>,
    /// URL handle: 2 to 64 of `a-z`, `0-9` and `-`.
    #[schema(example = "acme-widgets")]
    pub slug: Option<String>,
}

impl TryFrom<UpdateOrg> for OrgPatch {
    type Error = Vec<FieldError>;

    fn try_from(b: UpdateOrg) -> Result<Self, Self::Error> {
        let mut checks = Checks::default();
        let patch = OrgPatch {
            name: checks.patch(b.name.as_deref().map(|n| text::name("name", n))),
            slug: checks.patch(b.slug.as_deref().map(text::slug)),
        };
        checks.finish(patch)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddOrgMember {
    #[schema(example = "bob@example.org")]
    pub email: Option<String>,
    #[schema(example = "0193a5b2-7c1e-7d2a-9f10-2b3c4d5e6f70")]
    pub user_id: Option<Uuid>,
    pub role: OrgRole,
}

impl TryFrom<AddOrgMember> for Invitation {
    type Error = Vec<FieldError>;

    fn try_from(b: AddOrgMember) -> Result<Self, Self::Error> {
        let invitee = match (b.email, b.user_id) {
            (Some(email), None) => {
                Invitee::Email(Email::parse(&email).map_err(|e| vec![e])?.into_inner())
            }
            (None, Some(id)) => Invitee::User(id),
            _ => {
                let message = "give exactly one of `email` and `user_id`";
                return Err(vec![FieldError::new("email", message)]);
            }
        };
        Ok(Invitation {
            invitee,
            role: b.role,
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrgMember {
    pub role: OrgRole,
}
