//! KSUIDs (segmentio/ksuid), the sync-id format of `v1_sync_runs`: 4 bytes of seconds since
//! 2014-05-13 16:53:20 UTC, 16 random bytes, as 27 base62 characters. Time-sortable, which is
//! what the SDK relies on when it orders syncs by id. A dozen lines do not justify a crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// The KSUID epoch (Unix seconds).
const EPOCH: u64 = 1_400_000_000;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENCODED_LEN: usize = 27;

/// A new KSUID for `at` with a random payload.
pub fn new_at(at: SystemTime) -> String {
    encode(at, rand::random::<[u8; 16]>())
}

/// The KSUID of `at` and `payload`; times outside the 32-bit range saturate.
pub fn encode(at: SystemTime, payload: [u8; 16]) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        .saturating_sub(EPOCH);
    let ts = u32::try_from(secs).unwrap_or(u32::MAX);
    let mut num = [0u8; 20];
    num[..4].copy_from_slice(&ts.to_be_bytes());
    num[4..].copy_from_slice(&payload);
    base62(num)
}

/// Big-endian base62, left-padded with '0' to 27 characters (2^160 < 62^27).
fn base62(mut num: [u8; 20]) -> String {
    let mut out = [b'0'; ENCODED_LEN];
    let mut pos = ENCODED_LEN;
    while num.iter().any(|&b| b != 0) && pos > 0 {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let acc = rem * 256 + u32::from(*b);
            *b = (acc / 62) as u8;
            rem = acc % 62;
        }
        pos -= 1;
        out[pos] = ALPHABET[rem as usize];
    }
    out.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn matches_the_reference_implementation() {
        // segmentio/ksuid README: 0ujtsYcgvSTl8PAuAdqWYSMnLOv =
        // time 107608047 (+ epoch), payload B5A1CD34B5F99D1154FB6853345C9735.
        let at = UNIX_EPOCH + Duration::from_secs(EPOCH + 107_608_047);
        let payload = [
            0xB5, 0xA1, 0xCD, 0x34, 0xB5, 0xF9, 0x9D, 0x11, 0x54, 0xFB, 0x68, 0x53, 0x34, 0x5C,
            0x97, 0x35,
        ];
        assert_eq!(encode(at, payload), "0ujtsYcgvSTl8PAuAdqWYSMnLOv");
    }

    #[test]
    fn is_time_sortable_and_fixed_length() {
        let a = encode(UNIX_EPOCH + Duration::from_secs(EPOCH + 5), [0xff; 16]);
        let b = encode(UNIX_EPOCH + Duration::from_secs(EPOCH + 6), [0; 16]);
        assert_eq!(a.len(), ENCODED_LEN);
        assert!(a < b);
        assert_eq!(encode(UNIX_EPOCH, [0; 16]), "0".repeat(ENCODED_LEN));
    }
}
