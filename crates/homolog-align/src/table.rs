//! Large scratch tables: traceback tables of the per-pair kernels and the batch kernel's
//! ring of trace columns.

/// Tables from this size on are backed by transparent huge pages where Linux offers them.
const HUGE_FROM: usize = 4 << 20;

/// Makes `table` at least `bytes` long, its new bytes zero, with room for `room` bytes
/// when it must be reallocated (a growing table then reallocates rarely; only the bytes in
/// use are touched). The kernels overwrite every byte they use, so the contents do not
/// matter; a table is reallocated rather than freed and allocated anew because the
/// allocator moves a large allocation's pages (Linux `mremap`) instead of copying them: the
/// pages already touched stay, and only new ones are faulted in and zeroed (on a VM, about
/// 1.5 ms per MB). `Err(bytes)` if it cannot be allocated.
pub(crate) fn grow(table: &mut Vec<u8>, bytes: usize, room: usize) -> Result<(), usize> {
    if table.len() < bytes {
        if table.capacity() < bytes {
            table
                .try_reserve_exact(bytes.max(room) - table.len())
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
        const PAGE: usize = 4 << 10;
        if len < HUGE_FROM {
            return;
        }
        // The whole pages the table touches: Linux backs the 2 MiB-aligned part of them
        // with huge pages. Advice on a part of a mapping would split it in two or three
        // mappings, which `mremap` cannot grow (the allocator would then copy the table).
        let start = ptr as usize / PAGE * PAGE;
        let end = (ptr as usize + len).next_multiple_of(PAGE);
        // SAFETY: advice on pages of this process's memory (the allocation's own and at
        // most the allocator's header page before it); it changes how they are backed, not
        // their contents, and a refusal changes nothing.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
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
        // Reallocated, not replaced: the old bytes stay, the new ones are zero.
        assert_eq!(table[..10], [7u8; 10]);
        assert!(table[10..].iter().all(|&b| b == 0));
        // Growing within the room keeps the allocation.
        let at = table.as_ptr();
        grow(&mut table, HUGE_FROM + 10, 0).unwrap();
        assert_eq!((table.as_ptr(), table.len()), (at, HUGE_FROM + 10));
        // Past its room (and its huge-page advice), it grows again in one piece.
        table[HUGE_FROM] = 9;
        grow(&mut table, 3 * HUGE_FROM, 0).unwrap();
        assert_eq!(
            (table[9], table[HUGE_FROM], table.len()),
            (7, 9, 3 * HUGE_FROM)
        );
        assert_eq!(grow(&mut Vec::new(), usize::MAX, 0), Err(usize::MAX));
    }
}
