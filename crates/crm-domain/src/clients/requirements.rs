//! The permissions of clients, their contacts and interactions, as types.

crate::requirements! {
    ClientsRead = "clients":"read";
    ClientsWrite = "clients":"write";
    ClientsDelete = "clients":"delete";
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_declared_permission_is_in_the_catalogue() {
        for (res, act) in super::DECLARED {
            assert!(
                crate::identity::permissions::is_known(&format!("{res}:{act}")),
                "{res}:{act}"
            );
        }
    }
}

crate::event_types! {
    "client.created" => "A client was created",
    "client.updated" => "A client was changed (also when a won deal makes it a customer)",
    "client.deleted" => "A client was deleted",
    "contact.created" => "A contact was added to a client",
    "contact.updated" => "A contact was changed",
    "contact.deleted" => "A contact was deleted",
    "interaction.created" => "An interaction with a client was recorded",
    "interaction.updated" => "An interaction was changed",
    "interaction.deleted" => "An interaction was deleted",
}

crate::notification_types! {
    "client.assigned" => "A client was assigned to you": assigned("client");
}
