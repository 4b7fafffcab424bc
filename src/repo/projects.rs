use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, Query},
};
use uuid::Uuid;

use crate::domain::project::NewProject;
pub use crate::domain::query::ProjectFilter;

use super::{HotSql, PageRequest, into_page};
use crate::{
    domain::{OrgRole, ProjectRole, ProjectStatus},
    entity::{org_member, project, project_member},
};

/// Everything a new project row holds.
pub async fn insert_project(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    new: &NewProject,
    now: DateTime<Utc>,
) -> Result<project::Model, DbErr> {
    let created = project::ActiveModel {
        id: Set(Uuid::now_v7()),
        org_id: Set(org_id),
        name: Set(new.name.clone()),
        description: Set(new.description.clone()),
        system_name: Set(new.system_name.clone()),
        status: Set(new.status),
        start_date: Set(new.start_date),
        go_live_date: Set(new.go_live_date),
        consultant_exit_date: Set(new.consultant_exit_date),
        external_id: Set(new.external_id.clone()),
        external_source: Set(new.external_source.clone()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    super::history::project(db, &created, now).await?;
    Ok(created)
}

/// A project of `org_id` (how an organisation's API key sees projects).
pub async fn find_in_org(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    org_id: Uuid,
) -> Result<Option<project::Model>, DbErr> {
    project::Entity::find_by_id(project_id)
        .filter(project::Column::OrgId.eq(org_id))
        .one(db)
        .await
}

/// A project as one user may see it: the row, their active participation (if any) and their
/// role in its organisation (if any).
pub struct ProjectForUser {
    pub project: project::Model,
    pub member_role: Option<ProjectRole>,
    pub member_is_lead: bool,
    pub org_role: Option<OrgRole>,
}

/// Finds a project only if `user_id` may see it (an active participant, or an admin of its
/// organisation): access is decided in the query, so a hidden project is simply not found.
/// One round trip.
pub async fn find_project_for_user(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    user_id: Uuid,
) -> Result<Option<ProjectForUser>, DbErr> {
    let statement = PROJECT_FOR_USER.statement(
        db.get_database_backend(),
        [user_id.into(), project_id.into()],
    );
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    Ok(Some(ProjectForUser {
        project: project::Model::from_query_result(&row, "")?,
        member_role: row.try_get("", "member_role")?,
        member_is_lead: row
            .try_get::<Option<bool>>("", "member_is_lead")?
            .unwrap_or(false),
        org_role: row.try_get("", "org_role")?,
    }))
}

static PROJECT_FOR_USER: HotSql = HotSql::new(
    r#"SELECT "projects".*, "pm"."role" AS "member_role", "pm"."is_lead" AS "member_is_lead",
              "om"."role" AS "org_role"
       FROM "projects"
       LEFT JOIN "project_members" AS "pm" ON "pm"."project_id" = "projects"."id"
            AND "pm"."user_id" = $1 AND "pm"."left_at" IS NULL
       LEFT JOIN "org_members" AS "om" ON "om"."org_id" = "projects"."org_id"
            AND "om"."user_id" = $1
       WHERE "projects"."id" = $2 AND ("pm"."id" IS NOT NULL OR "om"."role" = 'admin')"#,
);

/// Whose view of the project list.
pub enum Visibility {
    /// Projects the user takes part in, and every project of organisations they administer.
    User(Uuid),
    /// Every project of one organisation (an API key's view).
    Org(Uuid),
}

/// The visible projects in id order (UUIDv7, so creation order), one keyset page.
///
/// A person sees the projects they take part in and every project of the organisations they
/// administer. Each of the two is read as its own index-ordered keyset query of at most
/// `limit + 1` rows, and the page is the merge of both, so a page costs O(page) however many
/// projects the caller can see (one query with an OR of two IN-subqueries costs O(visible)).
pub async fn list_projects(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: ProjectFilter,
    page: PageRequest,
) -> Result<(Vec<project::Model>, bool), DbErr> {
    let rows = match visibility {
        Visibility::Org(org_id) => {
            let in_org = project::Entity::find().filter(project::Column::OrgId.eq(org_id));
            keyset(in_org, project::Column::Id, &filter, page)
                .all(db)
                .await?
        }
        Visibility::User(user_id) => {
            let participating = project::Entity::find()
                .inner_join(project_member::Entity)
                .filter(project_member::Column::UserId.eq(user_id))
                .filter(project_member::Column::LeftAt.is_null());
            // The organisations they administer, looked up first: usually none, and an IN over
            // a short list of ids lets the (org_id, id) index serve the page in order.
            let admin_of = administered_by(db, user_id).await?;
            let mut rows = keyset(
                participating,
                project_member::Column::ProjectId,
                &filter,
                page,
            )
            .all(db)
            .await?;
            if !admin_of.is_empty() {
                let administered =
                    project::Entity::find().filter(project::Column::OrgId.is_in(admin_of));
                rows.extend(
                    keyset(administered, project::Column::Id, &filter, page)
                        .all(db)
                        .await?,
                );
            }
            rows.sort_by_key(|p| p.id);
            rows.dedup_by_key(|p| p.id);
            rows
        }
    };
    Ok(into_page(rows, page.limit))
}

/// A project in someone's portfolio: the row, their active participation in it (role and
/// lead flag), and whether it is seen through its organisation (one they administer; for an
/// API key, always).
pub struct Visible {
    pub project: project::Model,
    pub participation: Option<(ProjectRole, bool)>,
    pub via_org: bool,
}

/// Every project the caller can see that passes `filter`'s organisation and status, at most
/// `max` (and whether there are more): for a person, the projects they take part in and those
/// of the organisations they administer, each read by its own index; for a key, its
/// organisation's. The cost grows with this set, never with the table.
pub async fn visible_all(
    db: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &ProjectFilter,
    max: u64,
) -> Result<(Vec<Visible>, bool), DbErr> {
    let filtered = |mut query: sea_orm::Select<project::Entity>| {
        if let Some(org_id) = filter.org_id {
            query = query.filter(project::Column::OrgId.eq(org_id));
        }
        if let Some(status) = filter.status {
            query = query.filter(project::Column::Status.eq(status));
        }
        query.limit(max + 1)
    };
    let mut found: std::collections::BTreeMap<Uuid, Visible> = Default::default();
    let admin_of = match visibility {
        Visibility::Org(org_id) => vec![org_id],
        Visibility::User(user_id) => {
            let participating = filtered(project::Entity::find())
                .inner_join(project_member::Entity)
                .filter(project_member::Column::UserId.eq(user_id))
                .filter(project_member::Column::LeftAt.is_null())
                .select_also(project_member::Entity)
                .all(db)
                .await?;
            for (project, member) in participating {
                let participation = member.map(|m| (m.role, m.is_lead));
                let visible = Visible {
                    project,
                    participation,
                    via_org: false,
                };
                found.insert(visible.project.id, visible);
            }
            administered_by(db, user_id).await?
        }
    };
    if !admin_of.is_empty() {
        let administered = filtered(project::Entity::find())
            .filter(project::Column::OrgId.is_in(admin_of))
            .all(db)
            .await?;
        for project in administered {
            found
                .entry(project.id)
                .or_insert(Visible {
                    project,
                    participation: None,
                    via_org: false,
                })
                .via_org = true;
        }
    }
    let more = found.len() as u64 > max;
    Ok((found.into_values().take(max as usize).collect(), more))
}

/// The organisations `user_id` administers.
async fn administered_by(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    org_member::Entity::find()
        .select_only()
        .column(org_member::Column::OrgId)
        .filter(org_member::Column::UserId.eq(user_id))
        .filter(org_member::Column::Role.eq(OrgRole::Admin))
        .into_tuple()
        .all(db)
        .await
}

/// Filters, cursor, order and limit shared by every project list query; `id` is the column
/// holding the project id that the query's index is ordered by.
fn keyset(
    query: sea_orm::Select<project::Entity>,
    id: impl ColumnTrait,
    filter: &ProjectFilter,
    page: PageRequest,
) -> sea_orm::Select<project::Entity> {
    let mut query = query.order_by_asc(id).limit(page.limit + 1);
    if let Some(after) = page.after {
        // On both sides of a join, so each index is entered at the cursor (PostgreSQL's merge
        // join otherwise walks the projects index from its start).
        query = query
            .filter(id.gt(after))
            .filter(project::Column::Id.gt(after));
    }
    if let Some(org_id) = filter.org_id {
        query = query.filter(project::Column::OrgId.eq(org_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(project::Column::Status.eq(status));
    }
    if let Some(source) = &filter.external_source {
        query = query.filter(project::Column::ExternalSource.eq(source.clone()));
    }
    if let Some(id) = &filter.external_id {
        query = query.filter(project::Column::ExternalId.eq(id.clone()));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(project::Column::UpdatedAt.gte(since));
    }
    query
}

/// Writes `changed` only if the row is still at `expected_version`; `None` means it moved on.
pub async fn update_project_if_version(
    db: &impl ConnectionTrait,
    changed: project::Model,
    expected_version: i32,
) -> Result<Option<project::Model>, DbErr> {
    let row = sea_orm::Condition::all().add(project::Column::Id.eq(changed.id));
    let version = project::Column::Version;
    let updated =
        super::update_if_version::<project::Entity>(db, changed, version, row, expected_version)
            .await?;
    if let Some(p) = &updated {
        super::history::project(db, p, p.updated_at).await?;
    }
    Ok(updated)
}

pub async fn delete_project_if_version(
    db: &impl ConnectionTrait,
    project_id: Uuid,
    expected_version: i32,
) -> Result<bool, DbErr> {
    let result = project::Entity::delete_many()
        .filter(project::Column::Id.eq(project_id))
        .filter(project::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        super::history::forget_project(db, project_id).await?;
    }
    Ok(result.rows_affected == 1)
}

/// Active staff-lead participations of `user_id` whose removal would leave their project
/// without one: the names of those projects in `org_id`.
pub async fn projects_led_only_by(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<project::Model>, DbErr> {
    let other_lead = Query::select()
        .expr(Expr::val(1))
        .from_as(project_member::Entity, Alias::new("other"))
        .and_where(
            Expr::col((Alias::new("other"), project_member::Column::ProjectId))
                .equals((project::Entity, project::Column::Id)),
        )
        .and_where(Expr::col((Alias::new("other"), project_member::Column::IsLead)).eq(true))
        .and_where(Expr::col((Alias::new("other"), project_member::Column::LeftAt)).is_null())
        .and_where(Expr::col((Alias::new("other"), project_member::Column::UserId)).ne(user_id))
        .to_owned();
    let led_by_user = Query::select()
        .column(project_member::Column::ProjectId)
        .from(project_member::Entity)
        .and_where(Expr::col(project_member::Column::UserId).eq(user_id))
        .and_where(Expr::col(project_member::Column::IsLead).eq(true))
        .and_where(Expr::col(project_member::Column::LeftAt).is_null())
        .to_owned();
    project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .filter(project::Column::Id.in_subquery(led_by_user))
        .filter(Expr::exists(other_lead).not())
        .order_by_asc(project::Column::Name)
        .all(db)
        .await
}

/// Projects of `org_id` on which `user_id` is an active consultant.
pub async fn projects_consulted_by(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<project::Model>, DbErr> {
    let consulting = Query::select()
        .column(project_member::Column::ProjectId)
        .from(project_member::Entity)
        .and_where(Expr::col(project_member::Column::UserId).eq(user_id))
        .and_where(Expr::col(project_member::Column::Role).eq(ProjectRole::Consultant))
        .and_where(Expr::col(project_member::Column::LeftAt).is_null())
        .to_owned();
    project::Entity::find()
        .filter(project::Column::OrgId.eq(org_id))
        .filter(project::Column::Id.in_subquery(consulting))
        .order_by_asc(project::Column::Name)
        .all(db)
        .await
}

/// Locks one project's row until the commit (PostgreSQL; SQLite has a single writer already) and
/// returns its status as it stands under the lock, or `None` when it is gone. Participation
/// changes, milestone creation and closing take it, so "another staff lead remains", "the
/// project is not closed" and "every milestone is handed off" cannot race. Take the
/// organisation's lock ([`super::orgs::lock_for_update`]) first when both are needed.
pub async fn lock_for_update(
    db: &impl ConnectionTrait,
    project_id: Uuid,
) -> Result<Option<ProjectStatus>, DbErr> {
    let mut query = project::Entity::find_by_id(project_id)
        .select_only()
        .column(project::Column::Status);
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        query = query.lock_exclusive();
    }
    query.into_tuple::<ProjectStatus>().one(db).await
}
