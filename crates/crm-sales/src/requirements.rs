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

crm_domain::event_types! {
    "lead.created" => "A lead was created",
    "lead.updated" => "A lead was changed",
    "lead.deleted" => "A lead was deleted",
    "lead.converted" => "A lead was converted into a client and a deal",
    "pipeline.created" => "A pipeline was created",
    "pipeline.updated" => "A pipeline or its stages were changed",
    "pipeline.deleted" => "A pipeline was deleted",
    "deal.created" => "A deal was created",
    "deal.updated" => "A deal was changed (other than a move to another stage)",
    "deal.stage_changed" => "A deal moved to another stage (with or without other changes)",
    "deal.deleted" => "A deal was deleted",
    "deal.won" => "A deal was won",
    "deal.lost" => "A deal was lost",
    "quotation.created" => "A quotation was created",
    "quotation.updated" => "A quotation was changed",
    "quotation.deleted" => "A quotation was deleted",
    "quotation.sent" => "A quotation was sent to its client",
    "quotation.accepted" => "A quotation was accepted",
    "quotation.rejected" => "A quotation was rejected",
}

// Something given to the owner or decided for them by someone else; never the actor's own.
crm_domain::notification_types! {
    "lead.assigned" => "A lead was assigned to you": assigned("lead");
    "lead.converted" => "Your lead was converted into a client and a deal": decided("lead", "converted");
    "deal.assigned" => "A deal was assigned to you": assigned("deal");
    "quotation.assigned" => "A quotation was assigned to you": assigned("quotation");
    "quotation.accepted" => "Your quotation was accepted": decided("quotation", "accepted");
    "quotation.rejected" => "Your quotation was rejected": decided("quotation", "rejected");
}
