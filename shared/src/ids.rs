//! The ids of the agency record, each its own type so that a facility's id cannot be passed
//! where a user's is wanted, nor an inspection's uuid where a photo's hash is. On the wire and
//! in the documents they are the plain strings (or uuid) they wrap (`serde(transparent)`).

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An inspection (and its Automerge document): a UUID v7, made on the device that starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InspectionId(Uuid);

impl InspectionId {
    /// A new id, ordered by creation time (UUID v7).
    pub fn new_v7() -> Self {
        InspectionId(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// The nil id: names no inspection (e.g. in an error about a row whose id is unreadable).
    pub const fn nil() -> Self {
        InspectionId(Uuid::nil())
    }

    /// An id from a number (tests and fixtures).
    pub const fn from_u128(n: u128) -> Self {
        InspectionId(Uuid::from_u128(n))
    }
}

impl From<Uuid> for InspectionId {
    fn from(u: Uuid) -> Self {
        InspectionId(u)
    }
}

impl fmt::Display for InspectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for InspectionId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(InspectionId)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
    };
}

string_id!(
    /// A facility of the registry: farm, plant, station, BTU or hauler/sampler.
    FacilityId
);
string_id!(
    /// A user of the agency: sanitarian, evaluator, rating officer, supervisor, administrator.
    UserId
);
string_id!(
    /// An enrolled device (one per enrollment; revocable).
    DeviceId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_their_plain_value_on_the_wire() {
        let f = FacilityId::new("farm-1");
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"farm-1\"");
        let back: FacilityId = serde_json::from_str("\"farm-1\"").unwrap();
        assert_eq!(back, f);
        let i = InspectionId::new_v7();
        let s = serde_json::to_string(&i).unwrap();
        assert_eq!(s, format!("\"{i}\""));
        assert_eq!(serde_json::from_str::<InspectionId>(&s).unwrap(), i);
        assert_eq!(i.to_string().parse::<InspectionId>().unwrap(), i);
    }
}
