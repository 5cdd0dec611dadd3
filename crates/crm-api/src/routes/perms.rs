//! The permissions routes require, as types for `Auth<P>`.

use crate::requirement;

requirement! {
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

requirement! {
    ClientsRead = "clients":"read";
    ClientsWrite = "clients":"write";
    ClientsDelete = "clients":"delete";
}

requirement! {
    LeadsRead = "leads":"read";
    LeadsWrite = "leads":"write";
    LeadsDelete = "leads":"delete";
    PipelinesRead = "pipelines":"read";
    PipelinesWrite = "pipelines":"write";
    PipelinesDelete = "pipelines":"delete";
    DealsRead = "deals":"read";
    DealsWrite = "deals":"write";
    DealsDelete = "deals":"delete";
    QuotationsRead = "quotations":"read";
    QuotationsWrite = "quotations":"write";
    QuotationsDelete = "quotations":"delete";
}
