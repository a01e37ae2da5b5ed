//! Seeded randomness: the same seed makes the same cases, so a run and
//! its replays agree.

/// A deterministic proptest RNG from a seed, an 8-byte salt (which keeps
/// the streams of different uses apart) and a case number.
pub fn seeded_rng(seed: u64, salt: &[u8; 8], case: u64) -> proptest::test_runner::TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(salt);
    bytes[16..24].copy_from_slice(&case.to_le_bytes());
    proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes)
}
