//! The process's allocator, mimalloc, and the one setting it needs.
//!
//! mimalloc 3 gives freed pages back to the kernel only after `purge_delay`, 1 s by default.
//! Under steady load that second of freed memory stays resident: in the benchmark the deal board
//! peaked at 47 MiB and a login burst after it at 62 MiB (docs/PERFORMANCE.md), against 33 and
//! 45 MiB with immediate purging, at the same throughput. mimalloc reads its options from
//! `MIMALLOC_*` environment variables only at start-up, so the binary sets this one itself.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in the mimalloc 3 that libmimalloc-sys bundles (its
/// `include/mimalloc.h`); the crate exports no constant for it. The test below fails if an
/// upgrade renumbers the options.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes mimalloc return freed pages to the kernel at once. Called first thing in `main`.
#[allow(unsafe_code)]
pub fn purge_freed_memory_at_once() {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table, which mimalloc reads
    // atomically; any option index and value are accepted.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)]
    fn get(option: libmimalloc_sys::mi_option_t) -> std::ffi::c_long {
        // SAFETY: reads one integer from mimalloc's option table.
        unsafe { libmimalloc_sys::mi_option_get(option) }
    }

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // Only `purge_delay` defaults to 1000 (ms) in mimalloc 3.
        let default = std::env::var("MIMALLOC_PURGE_DELAY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        assert_eq!(
            get(PURGE_DELAY),
            default,
            "option {PURGE_DELAY} is not purge_delay"
        );
        purge_freed_memory_at_once();
        assert_eq!(get(PURGE_DELAY), 0);
    }
}
