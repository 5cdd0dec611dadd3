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
