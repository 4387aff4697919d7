//! Kernel choice: the [`Kernel`]s, their fallback chains, and the plan of kernels to try
//! for one pair ([`Mode`]).

#[cfg(target_arch = "x86_64")]
use crate::{simd, wide};
use crate::{Scoring, PARASAIL_LANES};

/// Which dynamic-programming kernel computes the alignments. All give identical results
/// (scores, end cells, tie-breaking, statistics: parasail's 8-stripe semantics whatever the
/// vector width); only speed differs.
///
/// A kernel that cannot take a pair falls back along a fixed chain: `avx512-8` ->
/// `avx512-16` -> `avx512-32` -> `avx2-32` -> `scalar`, `avx2-8` -> `avx2-16` -> `avx2-32`
/// -> `scalar`. A kernel is skipped when the CPU lacks its features, when the pair's scores
/// provably do not fit its lanes (8-bit lanes: every global alignment), or (8- and 16-bit
/// lanes) when a score reached the lane maximum at run time, in which case the pair is
/// aligned again with the next kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// The fastest kernel this CPU runs (detected at run time, measured on the alignment
    /// benchmark, `docs/align.md`): `avx2-8` for local alignments with traceback and
    /// `avx2-16` for the rest (global ones, score-only local ones), else the AVX-512
    /// kernels, ..., else `scalar`, with the fallbacks above.
    /// [`Aligner::with_lanes`](crate::Aligner::with_lanes) other than [`PARASAIL_LANES`]
    /// always uses the scalar kernel.
    #[default]
    Auto,
    /// The portable scalar kernel (64-bit scores) for every pair.
    Scalar,
    /// AVX2, 8 x 32-bit lanes (parasail's own layout).
    Avx2x32,
    /// AVX2, 16 x 16-bit lanes, saturating, with overflow detection.
    Avx2x16,
    /// AVX-512 (F, BW), 16 x 32-bit lanes.
    Avx512x32,
    /// AVX-512 (F, BW), 32 x 16-bit lanes, saturating, with overflow detection.
    Avx512x16,
    /// AVX2, 32 x 8-bit lanes, unsigned saturating, with overflow detection; local
    /// alignments only (global ones start at the next kernel, `avx2-16`).
    Avx2x8,
    /// AVX-512 (F, BW), 64 x 8-bit lanes, like [`Kernel::Avx2x8`] (global: `avx512-16`).
    Avx512x8,
}

impl Kernel {
    /// Every kernel choice, [`Kernel::Auto`] first.
    pub const ALL: [Kernel; 8] = [
        Kernel::Auto,
        Kernel::Scalar,
        Kernel::Avx2x32,
        Kernel::Avx2x16,
        Kernel::Avx512x32,
        Kernel::Avx512x16,
        Kernel::Avx2x8,
        Kernel::Avx512x8,
    ];

    /// Preference order of [`Kernel::Auto`] (measured, `docs/align.md`).
    const AUTO_ORDER: [Kernel; 7] = [
        Kernel::Avx2x8,
        Kernel::Avx2x16,
        Kernel::Avx512x8,
        Kernel::Avx512x16,
        Kernel::Avx512x32,
        Kernel::Avx2x32,
        Kernel::Scalar,
    ];

    /// The name used by `HOMOLOG_ALIGN_KERNEL`: `auto`, `scalar`, `avx2-32`, `avx2-16`,
    /// `avx512-32`, `avx512-16`, `avx2-8`, `avx512-8`.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Auto => "auto",
            Kernel::Scalar => "scalar",
            Kernel::Avx2x32 => "avx2-32",
            Kernel::Avx2x16 => "avx2-16",
            Kernel::Avx512x32 => "avx512-32",
            Kernel::Avx512x16 => "avx512-16",
            Kernel::Avx2x8 => "avx2-8",
            Kernel::Avx512x8 => "avx512-8",
        }
    }

    /// The kernel named `name` (see [`Kernel::name`]; case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        Kernel::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The kernel named by the environment variable `HOMOLOG_ALIGN_KERNEL` (e.g. `scalar`,
    /// `avx2-16`), else [`Kernel::Auto`]. An unknown name also means `Auto`, with a warning on
    /// stderr (once per process) listing the known names, since results never depend on it.
    pub fn from_env() -> Self {
        let Ok(value) = std::env::var("HOMOLOG_ALIGN_KERNEL") else {
            return Kernel::Auto;
        };
        Kernel::parse(&value).unwrap_or_else(|| {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                let known: Vec<&str> = Kernel::ALL.iter().map(|k| k.name()).collect();
                eprintln!(
                    "warning: HOMOLOG_ALIGN_KERNEL={value:?} is not a kernel name ({}); using auto",
                    known.join(", ")
                );
            });
            Kernel::Auto
        })
    }

    /// Whether this CPU (and this build) can run the kernel; always true for `Auto` and
    /// `Scalar`.
    pub fn is_available(self) -> bool {
        match self {
            Kernel::Auto | Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x32 => simd::available(),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x16 => <wide::Avx2I16 as wide::Vector>::available(),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x32 => <wide::Avx512I32 as wide::Vector>::available(),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x16 => <wide::Avx512I16 as wide::Vector>::available(),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2x8 => <wide::Avx2U8 as wide::Vector>::available(),
            #[cfg(all(target_arch = "x86_64", homolog_avx512))]
            Kernel::Avx512x8 => <wide::Avx512U8 as wide::Vector>::available(),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// The concrete kernels this CPU runs, fastest first (the last is `Scalar`).
    pub fn available() -> Vec<Kernel> {
        Kernel::AUTO_ORDER
            .into_iter()
            .filter(|k| k.is_available())
            .collect()
    }

    /// The next kernel of the fallback chain.
    fn fallback(self) -> Option<Kernel> {
        match self {
            Kernel::Avx512x8 => Some(Kernel::Avx512x16),
            Kernel::Avx2x8 => Some(Kernel::Avx2x16),
            Kernel::Avx512x16 => Some(Kernel::Avx512x32),
            Kernel::Avx512x32 | Kernel::Avx2x16 => Some(Kernel::Avx2x32),
            Kernel::Avx2x32 => Some(Kernel::Scalar),
            Kernel::Auto | Kernel::Scalar => None,
        }
    }

    /// Lanes per vector (1 for the scalar kernel, 0 for `Auto`).
    pub fn lanes(self) -> usize {
        match self {
            Kernel::Auto => 0,
            Kernel::Scalar => 1,
            Kernel::Avx2x32 => 8,
            Kernel::Avx2x16 | Kernel::Avx512x32 => 16,
            Kernel::Avx512x16 | Kernel::Avx2x8 => 32,
            Kernel::Avx512x8 => 64,
        }
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Name of the kernel [`Kernel::Auto`] starts with on this CPU ([`Kernel::name`]:
/// `"avx2-8"`, `"avx2-16"`, ..., `"scalar"`). An 8-bit kernel takes only local alignments
/// with traceback; the others start at the next kernel of its chain (`avx2-16`).
pub fn best_kernel() -> &'static str {
    Kernel::available()[0].name()
}

/// The lanes of the batch kernel, which aligns many pairs at once (one per lane) in
/// [`Aligner::try_global_many`](crate::Aligner::try_global_many) and
/// [`Aligner::try_local_many`](crate::Aligner::try_local_many); results do not depend on
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchLanes {
    /// No batch kernel: the pairs go one by one.
    Off,
    /// The widest this CPU runs: AVX-512 (32 x `i16`, 64 x `u8` local, 64 x `i8` global
    /// differences), else AVX2 (16 x `i16`, 32 x `u8` local, 32 x `i8` global differences).
    #[default]
    Auto,
    /// AVX2's lanes (16 x `i16`, 32 x `u8`, 32 x `i8`), also on CPUs with AVX-512 (to compare
    /// or test them).
    Avx2,
}

impl BatchLanes {
    /// `HOMOLOG_ALIGN_BATCH`: `off` (or `0`) turns the batch kernel off, `avx2` keeps it on
    /// AVX2 lanes; anything else (or nothing) is [`BatchLanes::Auto`].
    pub fn from_env() -> Self {
        std::env::var("HOMOLOG_ALIGN_BATCH").map_or(BatchLanes::Auto, |v| {
            match v.trim().to_ascii_lowercase().as_str() {
                "0" | "off" | "false" | "no" => BatchLanes::Off,
                "avx2" => BatchLanes::Avx2,
                _ => BatchLanes::Auto,
            }
        })
    }
}

/// Most lanes of any kernel: traceback tables are at most the query rounded up to this.
pub(crate) const MAX_LANES: usize = 64;

/// Stripe width and kernel choice of an [`Aligner`](crate::Aligner).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mode {
    /// Stripe width whose tie-breaking is reproduced ([`PARASAIL_LANES`] by default).
    pub(crate) lanes: usize,
    /// The requested kernel.
    pub(crate) kernel: Kernel,
    /// One- or two-pass traceback.
    pub(crate) traceback: crate::Traceback,
    /// The batch kernel of many-pair calls ([`crate::batch`]).
    pub(crate) batch: BatchLanes,
}

impl Mode {
    /// parasail's stripe width, the kernel named by `HOMOLOG_ALIGN_KERNEL` (else `Auto`).
    pub(crate) fn auto() -> Self {
        let kernel = Kernel::from_env();
        Mode {
            lanes: PARASAIL_LANES,
            kernel,
            traceback: crate::Traceback::from_env(),
            batch: if kernel == Kernel::Auto {
                BatchLanes::from_env()
            } else {
                BatchLanes::Off
            },
        }
    }

    /// Whether many-pair calls use the batch kernel: asked for, and no forced two-pass
    /// traceback (the batch ring is not bounded by the two-pass memory).
    pub(crate) fn batches(&self) -> bool {
        self.batch != BatchLanes::Off && self.traceback != crate::Traceback::TwoPass
    }

    /// The kernels to try for an `m x n` pair, in order: the requested one and its
    /// fallbacks, skipping those the CPU lacks or whose lanes provably cannot hold the
    /// scores. Ends with [`Kernel::Scalar`].
    pub(crate) fn plan(
        &self,
        scoring: &Scoring,
        m: usize,
        n: usize,
        local: bool,
    ) -> impl Iterator<Item = Kernel> {
        self.plan_with(scoring, m, n, local, true, 0)
    }

    /// [`Mode::plan`] with or without traceback (`traced`), for a local alignment known to
    /// score at least `local_floor` (the global score of the same pair: a local alignment
    /// scores at least as much), which skips 8- and 16-bit lanes that would only detect
    /// their overflow and hand the pair on (with a second traceback table for a long
    /// pair). [`Kernel::Auto`] also skips them for score-only local alignments, where they
    /// measured no faster (`docs/align.md`).
    pub(crate) fn plan_with(
        &self,
        scoring: &Scoring,
        m: usize,
        n: usize,
        local: bool,
        traced: bool,
        local_floor: i64,
    ) -> impl Iterator<Item = Kernel> {
        let start = if self.lanes != PARASAIL_LANES {
            Kernel::Scalar
        } else if self.kernel == Kernel::Auto {
            Kernel::available()[0]
        } else {
            self.kernel
        };
        let max_abs = scoring.matrix.max_abs_score();
        let (open, ext) = (i64::from(scoring.gap_open), i64::from(scoring.gap_extend));
        #[cfg(target_arch = "x86_64")]
        let fits_u8 = (traced || self.kernel != Kernel::Auto)
            && wide::fits_u8(&scoring.matrix, local, local_floor);
        std::iter::successors(Some(start), |k| k.fallback()).filter(move |k| {
            k.is_available()
                && match k {
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2x32 | Kernel::Avx512x32 => simd::fits_i32(m, n, max_abs, open, ext),
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2x16 | Kernel::Avx512x16 => {
                        wide::fits_i16(m, n, max_abs, open, ext, local)
                            && local_floor < i64::from(i16::MAX)
                    }
                    #[cfg(target_arch = "x86_64")]
                    Kernel::Avx2x8 | Kernel::Avx512x8 => fits_u8,
                    _ => true,
                }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Aligner;

    #[test]
    fn kernel_names_round_trip_and_fallbacks_end_in_scalar() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::parse(k.name()), Some(k));
            assert_eq!(Kernel::parse(&k.name().to_uppercase()), Some(k));
            assert_eq!(k.to_string(), k.name());
        }
        assert_eq!(Kernel::parse("avx2"), None);
        assert_eq!(Kernel::available().last(), Some(&Kernel::Scalar));
        assert_eq!(best_kernel(), Kernel::available()[0].name());
        // Every chain ends in the scalar kernel, so every pair has a kernel.
        let s = Scoring::default();
        for k in Kernel::ALL {
            let a = Aligner::new(s.clone()).with_kernel(k);
            let plan: Vec<Kernel> = a.mode.plan(&s, 10, 10, false).collect();
            assert_eq!(plan.last(), Some(&Kernel::Scalar), "{k}");
            assert!(plan.iter().all(|k| k.is_available()));
        }
        // Other stripe widths only run on the scalar kernel.
        let a = Aligner::new(s.clone())
            .with_kernel(Kernel::Avx2x16)
            .with_lanes(4);
        assert_eq!(a.kernel_for(100, 100, true), Kernel::Scalar);
    }

    #[test]
    fn a_known_global_score_skips_8_bit_lanes() {
        let s = Scoring::default();
        let mut a = Aligner::new(s.clone()).with_kernel(Kernel::Avx2x8);
        // BLOSUM62: 8-bit lanes hold local scores up to 250 (bias 4).
        let first =
            |a: &Aligner, traced, floor| a.mode.plan_with(&s, 50, 50, true, traced, floor).next();
        if Kernel::Avx2x8.is_available() {
            assert_eq!(first(&a, true, 250), Some(Kernel::Avx2x8));
            assert_eq!(first(&a, true, 251), Some(Kernel::Avx2x16));
            assert_eq!(first(&a, true, 32_767), Some(Kernel::Avx2x32));
            // Forced: score-only too; auto: 8-bit lanes only with traceback.
            assert_eq!(first(&a, false, 0), Some(Kernel::Avx2x8));
            let auto = Aligner::new(s.clone()).with_kernel(Kernel::Auto);
            if Kernel::available()[0] == Kernel::Avx2x8 {
                assert_eq!(first(&auto, true, 0), Some(Kernel::Avx2x8));
                assert_eq!(first(&auto, false, 0), Some(Kernel::Avx2x16));
            }
        }
        let q = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
        assert!(a.global_score(q, q) >= 251);
        assert!(a.ws.hint.local_floor(q.as_bytes(), q.as_bytes()) >= 251);
        // Another pair, or the same one swapped, is not known.
        assert_eq!(a.ws.hint.local_floor(q.as_bytes(), b"MKT"), 0);
        let r = &q[1..];
        assert_eq!(a.ws.hint.local_floor(r.as_bytes(), q.as_bytes()), 0);
        // Negative global scores say nothing.
        a.global("WWWW", "PPPP");
        assert_eq!(a.ws.hint.local_floor(b"WWWW", b"PPPP"), 0);
    }
}
