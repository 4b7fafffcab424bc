use sea_orm::entity::prelude::*;

use crate::domain::OrgRole;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_invitations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: Option<String>,
    pub user_id: Option<Uuid>,
    pub role: OrgRole,
    pub invited_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "org_id", to = "id")]
    pub org: BelongsTo<super::org::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
