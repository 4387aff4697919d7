//! Large scratch tables: traceback tables of the per-pair kernels and the batch kernel's
//! ring of trace columns.

/// Makes `table` at least `bytes` long, its new bytes zero, with room for `room` bytes
/// when it must be reallocated (a growing table then reallocates rarely; only the bytes in
/// use are touched). The kernels overwrite every byte they use, so the contents do not
/// matter; a table is reallocated rather than freed and allocated anew because the
/// allocator moves a large allocation's pages (Linux `mremap`) instead of copying them: the
/// pages already touched stay, and only new ones are faulted in and zeroed (about 0.4 ms
/// per MB on the development VMs). `Err(bytes)` if it cannot be allocated.
///
/// Tables stay on the system's default pages (no `madvise` for transparent huge pages): on
/// the VMs measured, a fresh huge page costs about 1.5-1.9 ms per MB to touch, as the host
/// faults its memory back in, against 0.4 ms per MB for small pages, while the walks and
/// lanes ran no faster on huge pages (`docs/benchmarks.md`).
pub(crate) fn grow(table: &mut Vec<u8>, bytes: usize, room: usize) -> Result<(), usize> {
    if table.len() < bytes {
        if table.capacity() < bytes {
            table
                .try_reserve_exact(bytes.max(room) - table.len())
                .map_err(|_| bytes)?;
        }
        table.resize(bytes, 0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB4: usize = 4 << 20;

    #[test]
    fn grow_keeps_a_long_enough_table_and_zeroes_new_bytes() {
        let mut table = vec![7u8; 10];
        grow(&mut table, 5, 5).unwrap();
        assert_eq!(table, vec![7u8; 10]);
        grow(&mut table, MIB4 + 3, 2 * MIB4).unwrap();
        assert_eq!(table.len(), MIB4 + 3);
        assert!(table.capacity() >= 2 * MIB4);
        // Reallocated, not replaced: the old bytes stay, the new ones are zero.
        assert_eq!(table[..10], [7u8; 10]);
        assert!(table[10..].iter().all(|&b| b == 0));
        // Growing within the room keeps the allocation.
        let at = table.as_ptr();
        grow(&mut table, MIB4 + 10, 0).unwrap();
        assert_eq!((table.as_ptr(), table.len()), (at, MIB4 + 10));
        // Past its room, it grows again in one piece.
        table[MIB4] = 9;
        grow(&mut table, 3 * MIB4, 0).unwrap();
        assert_eq!((table[9], table[MIB4], table.len()), (7, 9, 3 * MIB4));
        assert_eq!(grow(&mut Vec::new(), usize::MAX, 0), Err(usize::MAX));
    }
}
