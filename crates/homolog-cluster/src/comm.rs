//! The few collective operations the algorithms need, behind one trait so the same code runs on
//! threads ([`Local`]: one process) or MPI ranks (`MpiComm`, feature `mpi`).
//!
//! Results must not depend on how rows are split over ranks, so everything that feeds a later
//! decision is reduced exactly: integer sums (fixed-point centroid sums, counts) are
//! associative, and gathers concatenate in rank order before callers sort by global row index.

/// Collective operations over the processes of one run.
pub trait Comm: Sync {
    /// This process's rank (0-based).
    fn rank(&self) -> usize;
    /// Number of processes.
    fn size(&self) -> usize;
    /// Element-wise sum over all processes, in place (exact).
    fn sum_i64(&self, buf: &mut [i64]);
    /// Element-wise sum over all processes, in place (order may vary: reporting only).
    fn sum_f64(&self, buf: &mut [f64]);
    /// Maximum over all processes.
    fn max_f64(&self, x: f64) -> f64;
    /// Every process's `local` concatenated in rank order, on every process.
    fn gather_f32(&self, local: &[f32]) -> Vec<f32>;
    /// Every process's `local` concatenated in rank order, on every process.
    fn gather_u64(&self, local: &[u64]) -> Vec<u64>;
}

/// A single process (threads only).
#[derive(Debug, Clone, Copy, Default)]
pub struct Local;

impl Comm for Local {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn sum_i64(&self, _buf: &mut [i64]) {}
    fn sum_f64(&self, _buf: &mut [f64]) {}
    fn max_f64(&self, x: f64) -> f64 {
        x
    }
    fn gather_f32(&self, local: &[f32]) -> Vec<f32> {
        local.to_vec()
    }
    fn gather_u64(&self, local: &[u64]) -> Vec<u64> {
        local.to_vec()
    }
}

#[cfg(feature = "mpi")]
pub use self::mpi_comm::MpiComm;

#[cfg(feature = "mpi")]
mod mpi_comm {
    use mpi::collective::SystemOperation;
    use mpi::datatype::PartitionMut;
    use mpi::topology::{Communicator, SimpleCommunicator};
    use mpi::traits::*;
    use mpi::Count;

    use super::Comm;

    /// MPI_COMM_WORLD of an initialised MPI environment.
    pub struct MpiComm {
        world: SimpleCommunicator,
    }

    impl MpiComm {
        /// Wraps the world communicator of `universe`.
        pub fn new(universe: &mpi::environment::Universe) -> Self {
            Self {
                world: universe.world(),
            }
        }

        fn gather<T: Equivalence + Copy + Default>(&self, local: &[T]) -> Vec<T> {
            let n = local.len() as Count;
            let mut counts = vec![0 as Count; self.world.size() as usize];
            self.world.all_gather_into(&n, &mut counts[..]);
            let displs: Vec<Count> = counts
                .iter()
                .scan(0, |acc, &c| {
                    let d = *acc;
                    *acc += c;
                    Some(d)
                })
                .collect();
            let total: Count = counts.iter().sum();
            let mut out = vec![T::default(); total as usize];
            {
                let mut part = PartitionMut::new(&mut out[..], counts, &displs[..]);
                self.world.all_gather_varcount_into(local, &mut part);
            }
            out
        }
    }

    // SAFETY of Sync: the collectives are only called from the thread that owns the
    // communicator (the algorithms call them between parallel sections, never inside).
    unsafe impl Sync for MpiComm {}

    impl Comm for MpiComm {
        fn rank(&self) -> usize {
            self.world.rank() as usize
        }
        fn size(&self) -> usize {
            self.world.size() as usize
        }
        fn sum_i64(&self, buf: &mut [i64]) {
            let local = buf.to_vec();
            self.world
                .all_reduce_into(&local[..], buf, SystemOperation::sum());
        }
        fn sum_f64(&self, buf: &mut [f64]) {
            let local = buf.to_vec();
            self.world
                .all_reduce_into(&local[..], buf, SystemOperation::sum());
        }
        fn max_f64(&self, x: f64) -> f64 {
            let mut out = 0f64;
            self.world
                .all_reduce_into(&x, &mut out, SystemOperation::max());
            out
        }
        fn gather_f32(&self, local: &[f32]) -> Vec<f32> {
            self.gather(local)
        }
        fn gather_u64(&self, local: &[u64]) -> Vec<u64> {
            self.gather(local)
        }
    }
}
