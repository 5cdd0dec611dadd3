//! The permissions of the sales routes and services, as types.

crm_domain::requirements! {
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

#[cfg(test)]
mod tests {
    #[test]
    fn every_declared_permission_is_in_the_catalogue() {
        for (res, act) in super::DECLARED {
            assert!(
                crm_domain::identity::permissions::is_known(&format!("{res}:{act}")),
                "{res}:{act}"
            );
        }
    }
}
