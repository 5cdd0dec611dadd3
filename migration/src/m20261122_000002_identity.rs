//! Identity and access: users, roles, codes, refresh tokens, departments, designations.

use crate::schema::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        let resource = |name: &'static str| resource_table(b, name);

        let mut users = resource("users");
        users
            .col(string("name", 200))
            .col(string("email", 254))
            .col(string_null("password_hash", 255))
            .col(string("status", 32))
            .col(uuid_null("department_id"))
            .col(uuid_null("designation_id"))
            .col(ts_null(b, "tokens_valid_after"))
            .col(ts_null(b, "last_login_at"));
        m.create_table(users).await?;
        // Login is by email across all organizations, so an address names one account.
        index(m, "ux_users_email", "users", &["email"], true).await?;
        index(
            m,
            "ix_users_org_created",
            "users",
            &["organization_id", "created_at", "id"],
            false,
        )
        .await?;

        let mut roles = resource("roles");
        roles
            .col(string("name", 100))
            .col(text_null("description"))
            .col(json("permissions"))
            .col(boolean("is_system", false));
        m.create_table(roles).await?;
        index(
            m,
            "ux_roles_org_name",
            "roles",
            &["organization_id", "name"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table("user_roles")
                .if_not_exists()
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(uuid("role_id"))
                .primary_key(Index::create().col("user_id").col("role_id"))
                .foreign_key(&mut org_fk("user_roles"))
                .foreign_key(&mut cascade_fk("user_roles", "user_id", "users"))
                .foreign_key(&mut cascade_fk("user_roles", "role_id", "roles"))
                .to_owned(),
        )
        .await?;
        index(m, "ix_user_roles_role", "user_roles", &["role_id"], false).await?;

        m.create_table(
            Table::create()
                .table("verification_codes")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(string("email", 254))
                .col(string("purpose", 32))
                .col(string("code_hash", 128))
                .col(integer("attempts", 0))
                .col(integer("max_attempts", 5))
                .col(string("status", 16))
                .col(ts(b, "created_at"))
                .col(ts(b, "expires_at"))
                .col(ts_null(b, "used_at"))
                .foreign_key(&mut org_fk("verification_codes"))
                .foreign_key(&mut cascade_fk("verification_codes", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ix_codes_user_purpose",
            "verification_codes",
            &["user_id", "purpose", "status"],
            false,
        )
        .await?;
        // Resend caps count the codes mailed to an address in the last hour.
        index(
            m,
            "ix_codes_email_created",
            "verification_codes",
            &["email", "created_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .if_not_exists()
                .col(id())
                .col(uuid("organization_id"))
                .col(uuid("user_id"))
                .col(uuid("family_id"))
                .col(string("token_hash", 128))
                .col(ts(b, "created_at"))
                .col(ts(b, "expires_at"))
                .col(ts_null(b, "used_at"))
                .col(ts_null(b, "revoked_at"))
                .foreign_key(&mut org_fk("refresh_tokens"))
                .foreign_key(&mut cascade_fk("refresh_tokens", "user_id", "users"))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "ux_refresh_tokens_hash",
            "refresh_tokens",
            &["token_hash"],
            true,
        )
        .await?;
        index(
            m,
            "ix_refresh_tokens_family",
            "refresh_tokens",
            &["family_id"],
            false,
        )
        .await?;
        index(
            m,
            "ix_refresh_tokens_user",
            "refresh_tokens",
            &["user_id"],
            false,
        )
        .await?;

        let mut departments = resource("departments");
        departments
            .col(string("name", 200))
            .col(string_null("code", 50))
            .col(uuid_null("parent_id"))
            .col(uuid_null("head_user_id"));
        m.create_table(departments).await?;
        index(
            m,
            "ux_departments_org_code",
            "departments",
            &["organization_id", "code"],
            true,
        )
        .await?;
        index(
            m,
            "ix_departments_org_created",
            "departments",
            &["organization_id", "created_at", "id"],
            false,
        )
        .await?;

        let mut designations = resource("designations");
        designations
            .col(string("title", 200))
            .col(uuid_null("department_id"))
            .col(integer_null("level"));
        m.create_table(designations).await?;
        index(
            m,
            "ix_designations_org_created",
            "designations",
            &["organization_id", "created_at", "id"],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "designations",
            "departments",
            "refresh_tokens",
            "verification_codes",
            "user_roles",
            "roles",
            "users",
        ] {
            m.drop_table(Table::drop().table(t).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
