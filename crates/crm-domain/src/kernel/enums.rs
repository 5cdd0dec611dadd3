//! Closed sets of names (statuses, kinds) declared once: the serde form, `as_str`, `Display`,
//! `FromStr` (which the adapters use to read a stored value back) and `ALL`, in one line per
//! variant.

/// Declares a snake_case name enum:
///
/// ```ignore
/// crm_domain::name_enum!(
///     /// Whether a client is an organization or a person.
///     ClientKind, "kind" { Company => "company", Individual => "individual" }
/// );
/// ```
///
/// `"kind"` is what the refusal of an unknown name calls the value. The first variant is the
/// `Default`, which only [`crate::kernel::input::Errors::value`] uses as a placeholder that
/// is never seen. The enum derives `utoipa::ToSchema` when the calling crate's `openapi`
/// feature is on.
#[macro_export]
macro_rules! name_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $first:ident => $first_text:literal $(, $variant:ident => $text:literal)* $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            #[default]
            $first,
            $($variant),*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[Self::$first, $(Self::$variant),*];

            pub fn as_str(&self) -> &'static str {
                match self {
                    Self::$first => $first_text,
                    $(Self::$variant => $text),*
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::kernel::validation::ValueError;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                match s {
                    $first_text => Ok(Self::$first),
                    $($text => Ok(Self::$variant),)*
                    _ => Err($crate::kernel::validation::ValueError::new(
                        "invalid",
                        format!(
                            concat!($what, " must be one of {}"),
                            [$first_text, $($text),*].join(", ")
                        ),
                    )),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::name_enum!(
        /// A test set.
        Colour, "colour" { Red => "red", DarkBlue => "dark_blue" }
    );

    #[test]
    fn names_round_trip() {
        for c in Colour::ALL {
            assert_eq!(c.as_str().parse::<Colour>().unwrap(), *c);
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        let e = "green".parse::<Colour>().unwrap_err();
        assert_eq!(e.message, "colour must be one of red, dark_blue");
        assert_eq!(Colour::default(), Colour::Red);
    }
}
