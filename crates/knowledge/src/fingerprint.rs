//! The one fingerprint helper: a stable 64-bit FNV-1a hash written as 16 hex digits. The knowledge,
//! the search index folders and the chart `file_id` cache all key on it.

/// An FNV-1a hasher. [`Fingerprint::field`] ends each field with a 0 byte, so `("ab", "c")` and
/// `("a", "bc")` differ.
#[derive(Debug, Clone)]
pub struct Fingerprint(u64);

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint::new()
    }
}

impl Fingerprint {
    pub fn new() -> Fingerprint {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    /// Feeds one field: its bytes, then a 0 separator.
    pub fn field(&mut self, bytes: impl AsRef<[u8]>) -> &mut Fingerprint {
        for b in bytes.as_ref().iter().chain([&0]) {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }

    /// The hash as 16 lower-case hex digits.
    pub fn finish(&self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_separated_and_stable() {
        let a = Fingerprint::new().field("ab").field("c").finish();
        let b = Fingerprint::new().field("a").field("bc").finish();
        assert_ne!(a, b);
        assert_eq!(a, Fingerprint::new().field("ab").field("c").finish());
        assert_eq!(a.len(), 16);
    }
}
