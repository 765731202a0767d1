//! The admin key: a secret that is never printed, logged or written out.

use std::fmt;

/// An OpenAI Admin API key. `Debug` and `Display` redact it; only the HTTP layer reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey(String);

impl AdminKey {
    /// Trims surrounding whitespace (a key file usually ends in a newline); `None` if empty.
    pub fn new(raw: impl AsRef<str>) -> Option<Self> {
        let key = raw.as_ref().trim();
        (!key.is_empty()).then(|| Self(key.to_owned()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKey(***)")
    }
}

impl fmt::Display for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let k = AdminKey::new("sk-admin-very-secret\n").expect("non-empty");
        assert_eq!(format!("{k:?}"), "AdminKey(***)");
        assert_eq!(format!("{k}"), "***");
        assert_eq!(k.expose(), "sk-admin-very-secret");
        assert!(AdminKey::new("  \n").is_none());
    }
}
