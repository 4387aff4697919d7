//! [`Aligner`]: alignments with one scoring and kernel choice, reusing buffers across pairs.

use crate::dispatch::{align, align_infallible, align_many, score_only};
use crate::kernel::Workspace;
use crate::kernel_choice::{Mode, MAX_LANES};
use crate::{AlignError, AlignmentStats, BatchLanes, Kernel, PairFeatures, Scoring, Traceback};

/// Aligns many pairs with one scoring, reusing its buffers (profile, rows, traceback table).
///
/// # Examples
///
/// ```
/// use homolog_align::{Aligner, Kernel, Scoring};
///
/// let mut aligner = Aligner::new(Scoring::default());
/// let pairs = [("HEAGAWGHEE", "PAWHEAE"), ("MKTAYIAKQR", "MKTAYIAKQR")];
/// for (query, reference) in pairs {
///     let nw = aligner.global(query, reference);
///     let sw = aligner.local(query, reference);
///     assert!(sw.score >= nw.score);
///     // Every kernel gives the same result; this one says which kernel ran.
///     assert!(aligner.last_kernel().is_some());
/// }
/// // Errors instead of aborting (invalid penalties, an unallocatable traceback).
/// assert_eq!(aligner.try_local("AW", "W")?.score, 11);
/// // Forcing a kernel never changes a result.
/// let mut scalar = Aligner::default().with_kernel(Kernel::Scalar);
/// assert_eq!(scalar.local_score("HEAGAWGHEE", "PAWHEAE"), 18);
/// # Ok::<(), homolog_align::AlignError>(())
/// ```
#[derive(Debug)]
pub struct Aligner {
    scoring: Scoring,
    pub(crate) mode: Mode,
    pub(crate) ws: Workspace,
}

impl Default for Aligner {
    fn default() -> Self {
        Self::new(Scoring::default())
    }
}

impl Aligner {
    /// An aligner with parasail's AVX2 tie-breaking ([`PARASAIL_LANES`](crate::PARASAIL_LANES)).
    pub fn new(scoring: Scoring) -> Self {
        Self {
            scoring,
            mode: Mode::auto(),
            ws: Workspace::default(),
        }
    }

    /// Emulates parasail's striped kernels with `lanes` stripes (8 = AVX2 32-bit, 4 = SSE4.1
    /// 32-bit; 1 = a plain Gotoh recurrence without the stripe quirk). 0 is treated as 1.
    /// Widths other than [`PARASAIL_LANES`](crate::PARASAIL_LANES) run on the scalar kernel.
    pub fn with_lanes(mut self, lanes: usize) -> Self {
        self.mode.lanes = lanes.max(1);
        self
    }

    /// Chooses the kernel (default [`Kernel::from_env`]); results do not depend on it. A
    /// forced kernel (not [`Kernel::Auto`]) also aligns the pairs of
    /// [`Aligner::try_global_many`] one by one.
    pub fn with_kernel(mut self, kernel: Kernel) -> Self {
        self.mode.kernel = kernel;
        self.mode.batch = match (kernel, self.mode.batch) {
            (Kernel::Auto, BatchLanes::Avx2) => BatchLanes::Avx2,
            (Kernel::Auto, _) => BatchLanes::Auto,
            _ => BatchLanes::Off,
        };
        self
    }

    /// Whether [`Aligner::try_global_many`] and [`Aligner::try_local_many`] may align many
    /// pairs at once (default: on with [`Kernel::Auto`], unless `HOMOLOG_ALIGN_BATCH=off`);
    /// results do not depend on it. `true` is [`BatchLanes::Auto`].
    pub fn with_batch(self, batch: bool) -> Self {
        self.with_batch_lanes(if batch {
            BatchLanes::Auto
        } else {
            BatchLanes::Off
        })
    }

    /// The lanes of the batch kernel (default [`BatchLanes::from_env`] with
    /// [`Kernel::Auto`], else off); results do not depend on them.
    pub fn with_batch_lanes(mut self, lanes: BatchLanes) -> Self {
        self.mode.batch = lanes;
        self
    }

    /// Chooses how traced alignments keep their traceback (default
    /// [`Traceback::from_env`]: one pass for small pairs, two passes in `O(sqrt(n) m)`
    /// memory for large ones); results do not depend on it.
    pub fn with_traceback(mut self, traceback: Traceback) -> Self {
        self.mode.traceback = traceback;
        self
    }

    /// The traceback choice in use.
    pub fn traceback(&self) -> Traceback {
        self.mode.traceback
    }

    /// Whether the AVX2 kernel would align an `m x n` pair with this aligner's settings.
    pub fn uses_simd(&self, m: usize, n: usize) -> bool {
        self.kernel_for(m, n, false) != Kernel::Scalar
    }

    /// The kernel that an `m x n` global (`local = false`) or local alignment tries first
    /// with this aligner's settings (never [`Kernel::Auto`]). A 16-bit kernel may still hand
    /// the pair to a 32-bit one at run time ([`Aligner::last_kernel`] tells).
    pub fn kernel_for(&self, m: usize, n: usize, local: bool) -> Kernel {
        self.mode
            .plan(&self.scoring, m, n, local)
            .next()
            .unwrap_or(Kernel::Scalar)
    }

    /// How many pairs of the last [`Aligner::try_global_many`] or
    /// [`Aligner::try_local_many`] call the batch kernel aligned (the others went one by one).
    pub fn last_batched(&self) -> usize {
        self.ws.batched
    }

    /// The kernel that computed the last alignment (`None` before the first one and after
    /// a pair with an empty side, which needs no kernel).
    pub fn last_kernel(&self) -> Option<Kernel> {
        self.ws.last
    }

    /// Upper bound of the traceback table an `m x n` alignment traced in one pass
    /// ([`Traceback::Full`]) needs: one byte per cell, the query rounded up to whole vectors
    /// of the widest kernel (64 lanes; a 35,000 x 35,000 pair: 1.23 GB). The default
    /// ([`Traceback::Auto`]) traces pairs above [`Traceback::AUTO_FULL_CELLS`] cells in two
    /// passes, in `O(sqrt(n) m)` bytes.
    pub fn traceback_bytes_needed(m: usize, n: usize) -> usize {
        m.div_ceil(MAX_LANES)
            .saturating_mul(MAX_LANES)
            .saturating_mul(n)
    }

    /// Upper bound of the memory an `m x n` alignment traced in two passes
    /// ([`Traceback::TwoPass`]) holds: checkpoints every `k = sqrt(4 s n)` columns of 4
    /// buffers of `s`-byte lanes per striped row, plus one block table of `k` bytes per row,
    /// for the kernel with the most (`s` = 8 on `m` rows for the scalar kernel, 4 on `m`
    /// rounded up to 64 rows for the 32-bit ones; a 35,000 x 35,000 pair: 74 MB, against
    /// 1.23 GB in one pass).
    pub fn two_pass_bytes_needed(m: usize, n: usize) -> usize {
        let padded = m.div_ceil(MAX_LANES).saturating_mul(MAX_LANES);
        [(8, m), (4, padded)]
            .into_iter()
            .map(|(lane, rows)| {
                let every = crate::twopass::block_columns(4 * lane, n);
                let checkpoints = n.saturating_sub(1) / every;
                rows.saturating_mul(checkpoints.saturating_mul(4 * lane).saturating_add(every))
            })
            .max()
            .unwrap_or(0)
    }

    /// Bytes currently held for tracebacks: the table (one byte per cell of the largest pair
    /// traced in one pass, rounded up to whole stripes, or of one block of columns with
    /// [`Traceback::TwoPass`]; the many-pair calls' ring of trace columns where it was
    /// larger) and the two-pass checkpoints.
    pub fn traceback_bytes(&self) -> usize {
        // All kernels share one table (the 8-lane kernel and the batch kernel borrow it
        // during a run). Its length is what was touched; its capacity may hold address
        // space reserved for the batch kernel's largest ring.
        self.ws.trace.len() + self.ws.checkpoint_bytes()
    }

    /// The scoring in use.
    pub fn scoring(&self) -> &Scoring {
        &self.scoring
    }

    /// See [`global`](crate::global).
    pub fn global(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> AlignmentStats {
        self.traced(query.as_ref(), reference.as_ref(), false)
    }

    /// See [`local`](crate::local).
    pub fn local(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> AlignmentStats {
        self.traced(query.as_ref(), reference.as_ref(), true)
    }

    /// [`Aligner::global`] that reports invalid penalties or an unallocatable traceback.
    pub fn try_global(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> Result<AlignmentStats, AlignError> {
        self.try_traced(query.as_ref(), reference.as_ref(), false)
    }

    /// [`Aligner::local`] that reports invalid penalties or an unallocatable traceback.
    pub fn try_local(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> Result<AlignmentStats, AlignError> {
        self.try_traced(query.as_ref(), reference.as_ref(), true)
    }

    /// See [`global_score`](crate::global_score).
    pub fn global_score(&mut self, query: impl AsRef<[u8]>, reference: impl AsRef<[u8]>) -> i32 {
        self.score(query.as_ref(), reference.as_ref(), false)
    }

    /// See [`local_score`](crate::local_score).
    pub fn local_score(&mut self, query: impl AsRef<[u8]>, reference: impl AsRef<[u8]>) -> i32 {
        self.score(query.as_ref(), reference.as_ref(), true)
    }

    /// See [`features`](crate::features).
    pub fn features(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> PairFeatures {
        let (q, r) = (query.as_ref(), reference.as_ref());
        let nw = self.global(q, r);
        let sw = self.local(q, r);
        PairFeatures::from_stats(&nw, &sw, q.len(), r.len())
    }

    /// [`Aligner::features`] that reports errors instead of aborting.
    pub fn try_features(
        &mut self,
        query: impl AsRef<[u8]>,
        reference: impl AsRef<[u8]>,
    ) -> Result<PairFeatures, AlignError> {
        let (q, r) = (query.as_ref(), reference.as_ref());
        let nw = self.try_global(q, r)?;
        let sw = self.try_local(q, r)?;
        Ok(PairFeatures::from_stats(&nw, &sw, q.len(), r.len()))
    }

    /// [`Aligner::try_global`] of every pair, in order, with the same results. On CPUs with
    /// AVX-512 VBMI, pairs of up to about two million cells are aligned 32 at a time, one
    /// per 16-bit vector lane (the batch kernel, `docs/align.md`); the rest one by one.
    ///
    /// ```
    /// use homolog_align::Aligner;
    ///
    /// let mut aligner = Aligner::default();
    /// let pairs = [("HEAGAWGHEE", "PAWHEAE"), ("MKTAYIAKQR", "MKTAYIAKQR")];
    /// let many = aligner.try_global_many(&pairs);
    /// for ((q, r), stats) in pairs.iter().zip(many) {
    ///     assert_eq!(stats?, aligner.try_global(q, r)?);
    /// }
    /// # Ok::<(), homolog_align::AlignError>(())
    /// ```
    pub fn try_global_many<Q: AsRef<[u8]>, R: AsRef<[u8]>>(
        &mut self,
        pairs: &[(Q, R)],
    ) -> Vec<Result<AlignmentStats, AlignError>> {
        self.try_many(pairs, false, None)
    }

    /// [`Aligner::try_local`] of every pair, in order; see [`Aligner::try_global_many`].
    pub fn try_local_many<Q: AsRef<[u8]>, R: AsRef<[u8]>>(
        &mut self,
        pairs: &[(Q, R)],
    ) -> Vec<Result<AlignmentStats, AlignError>> {
        self.try_many(pairs, true, None)
    }

    /// [`Aligner::try_global`] then [`Aligner::try_local`] of every pair (PROTEA's
    /// features), in order; see [`Aligner::try_global_many`].
    #[allow(clippy::type_complexity)]
    pub fn try_global_local_many<Q: AsRef<[u8]>, R: AsRef<[u8]>>(
        &mut self,
        pairs: &[(Q, R)],
    ) -> Vec<Result<(AlignmentStats, AlignmentStats), AlignError>> {
        let global = self.try_many(pairs, false, None);
        let scores: Vec<Option<i32>> = global
            .iter()
            .map(|g| g.as_ref().ok().map(|g| g.score))
            .collect();
        let local = self.try_many(pairs, true, Some(&scores));
        global
            .into_iter()
            .zip(local)
            .map(|(g, l)| Ok((g?, l?)))
            .collect()
    }

    fn try_many<Q: AsRef<[u8]>, R: AsRef<[u8]>>(
        &mut self,
        pairs: &[(Q, R)],
        local: bool,
        global_scores: Option<&[Option<i32>]>,
    ) -> Vec<Result<AlignmentStats, AlignError>> {
        if self.scoring.validate().is_err() {
            return pairs
                .iter()
                .map(|_| self.scoring.validate().map(|()| AlignmentStats::default()))
                .collect();
        }
        let pairs: Vec<(&[u8], &[u8])> = pairs
            .iter()
            .map(|(q, r)| (q.as_ref(), r.as_ref()))
            .collect();
        align_many(
            &mut self.ws,
            &self.scoring,
            self.mode,
            &pairs,
            local,
            global_scores,
        )
    }

    fn traced(&mut self, query: &[u8], reference: &[u8], local: bool) -> AlignmentStats {
        align_infallible(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query,
            reference,
            local,
        )
    }

    fn try_traced(
        &mut self,
        query: &[u8],
        reference: &[u8],
        local: bool,
    ) -> Result<AlignmentStats, AlignError> {
        self.scoring.validate()?;
        align(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query,
            reference,
            local,
        )
    }

    fn score(&mut self, query: &[u8], reference: &[u8], local: bool) -> i32 {
        score_only(
            &mut self.ws,
            &self.scoring,
            self.mode,
            query,
            reference,
            local,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{global, local};

    #[test]
    fn aligner_reuse_gives_identical_results() {
        let s = Scoring::default();
        let mut a = Aligner::new(s.clone());
        let pairs = [
            ("HEAGAWGHEE", "PAWHEAE"),
            ("A", "WWWW"),
            ("MKTAYIAKQR", "MKTAYIAKQR"),
            ("", "A"),
        ];
        for _ in 0..2 {
            for (q, r) in pairs {
                assert_eq!(a.global(q, r), global(q, r, &s));
                assert_eq!(a.local(q, r), local(q, r, &s));
                assert_eq!(a.global_score(q, r), global(q, r, &s).score);
                assert_eq!(a.local_score(q, r), local(q, r, &s).score);
            }
        }
    }

    #[test]
    fn a_pair_handed_on_holds_one_traceback_table() {
        // 3,000 W's score 33,000: the 16-bit kernels overflow at run time and hand the pair
        // to a 32-bit one; the kernels share one table, so memory stays one table.
        let w = "W".repeat(3000);
        for k in Kernel::available() {
            let mut a = Aligner::default().with_kernel(k);
            let nw = a.global(&w, &w);
            let sw = a.local(&w, &w);
            assert_eq!((nw.score, sw.score), (33_000, 33_000), "{k}");
            assert!(
                a.traceback_bytes() <= Aligner::traceback_bytes_needed(3000, 3000),
                "{k}: {} bytes",
                a.traceback_bytes()
            );
        }
    }

    #[test]
    fn the_batch_kernel_and_the_per_pair_kernels_share_one_table() {
        // 64 related pairs of 300 residues: the batch kernel takes them where the CPU has it,
        // its ring of trace columns in the aligner's one table.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut residue = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b"ACDEFGHIKLMNPQRSTVWY"[(x % 20) as usize]
        };
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (0..64)
            .map(|_| {
                let q: Vec<u8> = (0..300).map(|_| residue()).collect();
                let mut r = q.clone();
                r[150] = b'W';
                (q, r)
            })
            .collect();
        let mut a = Aligner::default().with_batch(true);
        let many = a.try_global_many(&pairs);
        if !crate::batch_kernel() {
            return;
        }
        assert_eq!(a.last_batched(), pairs.len());
        // At least 32 lanes (AVX2) of 300 x 300 cells, 4 bits each.
        let ring = a.traceback_bytes();
        assert!(ring >= 32 * 300 * 300 / 2, "{ring} bytes");
        // A pair aligned alone after them traces into the same table: no second one.
        let (q, r) = &pairs[0];
        assert_eq!(&a.try_global(q, r).unwrap(), many[0].as_ref().unwrap());
        assert_eq!(a.traceback_bytes(), ring);
    }

    #[test]
    fn traceback_uses_one_byte_per_cell() {
        let q = "ACDEFGHIKLMNPQRSTVWY".repeat(100);
        let r = "YWVTSRQPNMLKIHGFEDCA".repeat(75);
        let mut a = Aligner::default().with_traceback(Traceback::Full);
        let stats = a.global(&q, &r);
        // One byte per cell, the query rounded up to whole vectors of the kernel used.
        let lanes = a.last_kernel().unwrap().lanes();
        assert_eq!(
            a.traceback_bytes(),
            2000usize.div_ceil(lanes) * lanes * 1500
        );
        assert!(a.traceback_bytes() <= Aligner::traceback_bytes_needed(2000, 1500));
        assert_eq!(stats.length - stats.query_gaps, 2000);
        assert_eq!(stats.length - stats.reference_gaps, 1500);
        let mut ws = Workspace::default();
        assert_eq!(ws.reserve_trace(usize::MAX / 2, 4), Err(usize::MAX));
    }
}
