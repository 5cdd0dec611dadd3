//! argon2id hashing and verification with each hashing thread's working memory kept.
//!
//! The library allocates (and zeroes) m KiB for every hash and frees it afterwards. At a
//! hundred logins a second that is 700 MiB a second through the allocator, whose delayed
//! purge kept freed blocks resident long enough to add 15–30 MiB to the peak of a login burst
//! (docs/PERFORMANCE.md). Hashes with the current parameters instead run in one buffer per
//! hashing thread, allocated at its first hash and kept; argon2 writes every block before it
//! reads it, so the buffer needs no clearing between hashes. The thread gives it back
//! ([`release_memory`]) when no hash is waiting, so an idle server holds none. Hashes with
//! other parameters
//! (older ones, awaiting their rehash) go through the library's own allocation.

use argon2::password_hash::PasswordVerifier as _;
use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash as Phc, Version};
use crm_domain::identity::HashError;
use rand::RngCore as _;
use std::cell::RefCell;

// OWASP lists m = 19 MiB, t = 2 and m = 7 MiB, t = 5 (p = 1) as equally strong: the same
// memory-time product costs an attacker the same. Each hash in progress holds m, one per
// core, so the smaller m keeps a login burst from adding 38 MiB to the resident set; older
// hashes still verify and are rehashed to these parameters at the next sign-in.
pub const M_COST: u32 = 7 * 1024;
pub const T_COST: u32 = 5;
pub const P_COST: u32 = 1;
const SALT_LEN: usize = 16;
const OUTPUT_LEN: usize = 32;

thread_local! {
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn failed(e: impl std::fmt::Display) -> HashError {
    HashError::Failed(e.to_string())
}

fn current_params() -> Result<Params, HashError> {
    Params::new(M_COST, T_COST, P_COST, Some(OUTPUT_LEN)).map_err(failed)
}

/// True when `hash` was made with the current parameters.
pub fn is_current(hash: &str) -> bool {
    hash.starts_with(&format!("$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}$"))
}

/// Runs `argon2` over `out` in this thread's kept memory when `params` are the current ones.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), HashError> {
    let current = current_params()?;
    let (m, t, p) = (params.m_cost(), params.t_cost(), params.p_cost());
    if (m, t, p) != (current.m_cost(), current.t_cost(), current.p_cost()) {
        return argon2
            .hash_password_into(password, salt, out)
            .map_err(failed);
    }
    MEMORY.with(|memory| {
        let mut blocks = memory.borrow_mut();
        let needed = params.block_count();
        if blocks.len() < needed {
            blocks.resize(needed, Block::new());
        }
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
            .map_err(failed)
    })
}

/// Frees this thread's kept memory (until its next hash with the current parameters).
pub fn release_memory() {
    MEMORY.with(|memory| *memory.borrow_mut() = Vec::new());
}

/// How many argon2 blocks this thread keeps.
#[cfg(test)]
pub fn kept_blocks() -> usize {
    MEMORY.with(|memory| memory.borrow().len())
}

/// A new PHC string for `password` with a random salt and the current parameters.
pub fn hash(password: &[u8]) -> Result<String, HashError> {
    let params = current_params()?;
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; OUTPUT_LEN];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    compute(&argon2, &params, password, &salt, &mut out)?;
    let phc = Phc {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(failed)?,
        salt: Some(Salt::new(&salt).map_err(failed)?),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the argon2 PHC string `hash`; a malformed hash never matches.
pub fn verify(password: &[u8], hash: &str) -> bool {
    let Ok(phc) = Phc::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&phc.salt, &phc.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(phc.algorithm.as_str());
    let version = phc.version.map_or(Ok(Version::V0x13), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, Params::try_from(&phc))
    else {
        // Let the library judge what this module does not read itself.
        return Argon2::default().verify_password(password, hash).is_ok();
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if compute(&argon2, &params, password, salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| &computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;

    #[test]
    fn hashes_are_standard_phc_strings_the_library_verifies() {
        let h = hash(b"correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(is_current(&h));
        let library = Argon2::default();
        assert!(
            library
                .verify_password(b"correct horse", h.as_str())
                .is_ok()
        );
        assert!(library.verify_password(b"wrong", h.as_str()).is_err());
        // A fresh salt every time.
        assert_ne!(h, hash(b"correct horse").unwrap());
    }

    #[test]
    fn library_hashes_verify_here_with_current_and_other_parameters() {
        for (m, t) in [(M_COST, T_COST), (19 * 1024, 2), (8 * 1024, 1)] {
            let params = Params::new(m, t, 1, None).unwrap();
            let h = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(b"s3cret-pass")
                .unwrap()
                .to_string();
            assert!(verify(b"s3cret-pass", &h), "{h}");
            assert!(!verify(b"s3cret-pasS", &h), "{h}");
            assert_eq!(is_current(&h), (m, t) == (M_COST, T_COST), "{h}");
        }
    }

    #[test]
    fn the_kept_memory_gives_the_same_answers_hash_after_hash() {
        let first = hash(b"one").unwrap();
        let second = hash(b"two").unwrap();
        // Verified after each other in the same buffer, in both orders.
        for _ in 0..2 {
            assert!(verify(b"one", &first) && !verify(b"two", &first));
            assert!(verify(b"two", &second) && !verify(b"one", &second));
        }
        MEMORY.with(|m| assert_eq!(m.borrow().len(), current_params().unwrap().block_count()));
        release_memory();
        MEMORY.with(|m| assert_eq!(m.borrow().capacity(), 0));
        assert!(verify(b"one", &first));
    }

    #[test]
    fn malformed_hashes_never_match() {
        for h in [
            "",
            "$argon2id$",
            "$argon2id$v=19$m=7168,t=5,p=1$",
            "$argon2id$v=19$x",
        ] {
            assert!(!verify(b"anything", h), "{h}");
        }
    }
}
