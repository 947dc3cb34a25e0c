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

#[cfg(test)]
mod tests {
    use super::*;

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
