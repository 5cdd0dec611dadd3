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
