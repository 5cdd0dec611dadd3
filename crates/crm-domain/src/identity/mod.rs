//! Identity and access: organizations, users, roles and permissions, codes and tokens.
