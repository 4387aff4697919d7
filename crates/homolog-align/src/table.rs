//! Large scratch tables: traceback tables of the per-pair kernels and the batch kernel's
//! ring of trace columns.

/// Tables from this size on are backed by transparent huge pages where Linux offers them.
const HUGE_FROM: usize = 4 << 20;

/// Makes `table` at least `bytes` long, its new bytes zero, with room for `room` bytes
/// when it must be reallocated (a growing table then reallocates rarely; only the bytes in
/// use are touched). A table is freed before it is reallocated (never two at once) and its
/// contents are not kept: the kernels overwrite every byte they use. `Err(bytes)` if it
/// cannot be allocated.
pub(crate) fn grow(table: &mut Vec<u8>, bytes: usize, room: usize) -> Result<(), usize> {
    if table.len() < bytes {
        if table.capacity() < bytes {
            *table = Vec::new();
            table
                .try_reserve_exact(bytes.max(room))
                .map_err(|_| bytes)?;
            advise_huge_pages(table.as_ptr(), table.capacity());
        }
        table.resize(bytes, 0);
    }
    Ok(())
}

/// Asks Linux to back the 2 MiB-aligned part of the `len` bytes at `ptr` with transparent
/// huge pages (a no-op where THP is off, and on other systems). A walk steps to another
/// column nearly every cell, so with 4 KiB pages it misses the TLB at nearly every step;
/// a new table also takes 512 times fewer page faults.
fn advise_huge_pages(ptr: *const u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        if len < HUGE_FROM {
            return;
        }
        let start = (ptr as usize).next_multiple_of(HUGE);
        let end = (ptr as usize + len) / HUGE * HUGE;
        if end > start {
            // SAFETY: advice on pages of an allocation this process owns; it changes how
            // they are backed, not their contents, and a refusal changes nothing.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, len, HUGE_FROM);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_keeps_a_long_enough_table_and_zeroes_new_bytes() {
        let mut table = vec![7u8; 10];
        grow(&mut table, 5, 5).unwrap();
        assert_eq!(table, vec![7u8; 10]);
        grow(&mut table, HUGE_FROM + 3, 2 * HUGE_FROM).unwrap();
        assert_eq!(table.len(), HUGE_FROM + 3);
        assert!(table.capacity() >= 2 * HUGE_FROM);
        assert!(table.iter().all(|&b| b == 0));
        // Growing within the room keeps the allocation.
        let at = table.as_ptr();
        grow(&mut table, HUGE_FROM + 10, 0).unwrap();
        assert_eq!((table.as_ptr(), table.len()), (at, HUGE_FROM + 10));
        assert_eq!(grow(&mut Vec::new(), usize::MAX, 0), Err(usize::MAX));
    }
}
