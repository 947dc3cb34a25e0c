//! Random codes from the unambiguous alphabet (no I, O, 0, 1), drawn from
//! the operating system's cryptographically secure generator.

pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `len` random characters of `ALPHABET`. The alphabet has 32 letters, so
/// `byte % 32` is unbiased.
pub fn random_code(len: usize) -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect())
}

/// `count` random codes of `len` characters, from one read of the OS
/// generator (a million codes need one system call, not a million).
pub fn random_codes(count: usize, len: usize) -> Result<Vec<String>, getrandom::Error> {
    let mut bytes = vec![0u8; count * len];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .chunks(len.max(1))
        .take(count)
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
                .collect()
        })
        .collect())
}

/// The alphabet in byte order (how both databases sort codes).
const SORTED: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// How many values the first two characters of a code can take: a code's
/// "lead" (0..LEADS) is their rank in byte order.
pub const LEADS: u32 = 32 * 32;

/// The leads a part of a run draws from, so that each batch of a long run
/// lands in its own slice of the unique index instead of all over it: the
/// part from `done` to `done + n` of a run of `total` codes takes the same
/// share of the leads. A whole run (or a short one) takes all of them. Every
/// code is still uniformly random within the run's codes.
pub fn leads_for(done: u64, n: u64, total: u64) -> std::ops::Range<u32> {
    if total == 0 || n >= total {
        return 0..LEADS;
    }
    let at = |k: u64| (k.min(total) * u64::from(LEADS) / total) as u32;
    let start = at(done).min(LEADS - 1);
    start..at(done + n).max(start + 1)
}

/// `count` random codes of `len` (at least 2) characters whose lead lies in
/// `leads` (see `leads_for`), drawn uniformly within it; the other
/// characters as in `random_codes`.
pub fn random_codes_in(
    count: usize,
    len: usize,
    leads: std::ops::Range<u32>,
) -> Result<Vec<String>, getrandom::Error> {
    let width = leads.end.saturating_sub(leads.start).clamp(1, LEADS);
    if len < 2 || width == LEADS {
        return random_codes(count, len);
    }
    // Rejection sampling over 16 bits keeps the draw unbiased.
    let zone = (u32::from(u16::MAX) + 1) / width * width;
    let mut codes = random_codes(count, len)?;
    let mut pool = Vec::new();
    for code in &mut codes {
        let lead = loop {
            if pool.len() < 2 {
                pool = vec![0u8; 2 * 64];
                getrandom::fill(&mut pool)?;
            }
            let (Some(lo), Some(hi)) = (pool.pop(), pool.pop()) else {
                continue;
            };
            let draw = u32::from(u16::from_le_bytes([lo, hi]));
            if draw < zone {
                break leads.start + draw % width;
            }
        };
        let first = char::from(SORTED[(lead / 32) as usize]);
        let second = char::from(SORTED[(lead % 32) as usize]);
        code.replace_range(0..2, &format!("{first}{second}"));
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_split_a_run_in_order_and_cover_every_lead() {
        assert_eq!(leads_for(0, 100, 100), 0..LEADS);
        assert_eq!(leads_for(0, 50, 100), 0..LEADS / 2);
        assert_eq!(leads_for(50, 50, 100), LEADS / 2..LEADS);
        // Consecutive batches of a long run tile the leads.
        let total = 1_000_000;
        let mut next = 0;
        for done in (0..total).step_by(50_000) {
            let range = leads_for(done, 50_000, total);
            assert_eq!(range.start, next);
            next = range.end;
        }
        assert_eq!(next, LEADS);
        // Never empty, even near the end or past it.
        assert!(!leads_for(total - 1, 1, total).is_empty());
        assert!(!leads_for(total, 5, total).is_empty());
    }

    #[test]
    fn codes_in_a_slice_of_leads_sort_inside_it() {
        let leads = leads_for(200_000, 50_000, 1_000_000);
        let codes = random_codes_in(2_000, 10, leads.clone()).unwrap_or_default();
        assert_eq!(codes.len(), 2_000);
        let rank = |b: u8| SORTED.iter().position(|s| *s == b).unwrap_or(99) as u32;
        let mut seen = std::collections::HashSet::new();
        for code in &codes {
            let bytes = code.as_bytes();
            assert_eq!(bytes.len(), 10);
            assert!(bytes.iter().all(|b| ALPHABET.contains(b)));
            let lead = rank(bytes[0]) * 32 + rank(bytes[1]);
            assert!(leads.contains(&lead), "{code} has lead {lead}");
            seen.insert(lead);
        }
        // Every lead of the slice is drawn (51 leads, 2,000 draws).
        assert_eq!(seen.len(), leads.len());
        // The slice of leads is a slice of the sort order.
        let (low, high) = (
            random_codes_in(1, 8, 0..1).unwrap_or_default(),
            random_codes_in(1, 8, LEADS - 1..LEADS).unwrap_or_default(),
        );
        assert!(low[0].starts_with("22") && high[0].starts_with("ZZ"));
    }

    #[test]
    fn codes_use_only_the_alphabet() {
        let code = random_code(64).unwrap_or_default();
        assert_eq!(code.len(), 64);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(!code.contains(['I', 'O', '0', '1']));
        assert_ne!(random_code(16).ok(), random_code(16).ok());
        let many = random_codes(100, 12).unwrap_or_default();
        assert_eq!(many.len(), 100);
        assert!(
            many.iter()
                .all(|c| c.len() == 12 && c.bytes().all(|b| ALPHABET.contains(&b)))
        );
    }
}
