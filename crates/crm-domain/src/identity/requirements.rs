//! The permissions identity's routes and services require, as types.

crate::requirements! {
    ActivitiesRead = "activities":"read";
    OrganizationRead = "organization":"read";
    OrganizationWrite = "organization":"write";
    UsersRead = "users":"read";
    UsersWrite = "users":"write";
    UsersDelete = "users":"delete";
    RolesRead = "roles":"read";
    RolesWrite = "roles":"write";
    RolesDelete = "roles":"delete";
    PermissionsRead = "permissions":"read";
    DepartmentsRead = "departments":"read";
    DepartmentsWrite = "departments":"write";
    DepartmentsDelete = "departments":"delete";
    DesignationsRead = "designations":"read";
    DesignationsWrite = "designations":"write";
    DesignationsDelete = "designations":"delete";
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_declared_permission_is_in_the_catalogue() {
        for (res, act) in super::DECLARED {
            assert!(
                super::super::permissions::is_known(&format!("{res}:{act}")),
                "{res}:{act}"
            );
        }
    }
}

crate::event_types! {
    "organization.created" => "An organization signed up",
    "organization.updated" => "The organization profile was changed",
    "user.created" => "A user was invited or created",
    "user.updated" => "A user profile was changed",
    "user.deactivated" => "A user was deactivated",
    "user.reactivated" => "A user was reactivated",
    "user.roles_changed" => "A user's roles were changed",
    "user.email_verified" => "A user verified their email address",
    "user.password_changed" => "A user changed their password",
    "user.password_reset" => "A user reset their password with an emailed code",
    "user.invitation_accepted" => "An invited user set their password",
    "role.created" => "A role was created",
    "role.updated" => "A role was changed",
    "role.deleted" => "A role was deleted",
    "department.created" => "A department was created",
    "department.updated" => "A department was changed",
    "department.deleted" => "A department was deleted",
    "designation.created" => "A designation was created",
    "designation.updated" => "A designation was changed",
    "designation.deleted" => "A designation was deleted",
}
