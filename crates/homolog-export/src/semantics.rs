//! GO-term semantics of a candidate: how close the candidate term is to the other terms its
//! neighbours carry, and to the terms the query already had.
//!
//! - [`Anc2Vec`]: PROTEA's `anc2vec_*` columns from anc2vec's 200-d GO-term embeddings (an
//!   NPZ with `embeddings` and `go_ids`). Vectors are unit-normalised in f32 as PROTEA does;
//!   a term without a vector (absent or all zero) has `anc2vec_has_emb` = 0 and NaN cosines.
//!   * `anc2vec_neighbor_cos`: cosine of the candidate to the unit centroid of the distinct
//!     terms of the (query, aspect)'s neighbours that have a vector. The candidate is one of
//!     them, as in PROTEA.
//!   * `anc2vec_neighbor_maxcos`: the largest cosine to one of those terms; since the
//!     candidate is among them this is 1 (up to f32 rounding) for every KNN candidate, as in
//!     PROTEA (the column only varies there for ancestor-expanded rows).
//!   * `anc2vec_query_known_cos` / `_maxcos`: the same against the query's terms in the
//!     earlier release (every aspect); NaN when it had none with a vector.
//!   * `anc2vec_query_known_count`: how many terms the query had in the earlier release.
//! - [`IcSimilarity`]: ontology-based columns that need no embedding file, from the OBO and an
//!   information-accretion table (IA, e.g. CAFA's): the information content of a term is
//!   `IC(t) = Σ IA(a)` over `t` and all its `is_a`/`part_of` ancestors (the IA-weighted
//!   depth that CAFA's weighted metrics use). Resnik similarity = IC of the most informative
//!   common ancestor-or-self; Lin = 2·Resnik / (IC(a) + IC(b)) (0 when both ICs are 0,
//!   except 1 for a term with itself).
//!   * `go_ic`: IC of the candidate.
//!   * `go_resnik_neighbor_max`, `go_lin_neighbor_max`, `go_lin_neighbor_mean`: over the
//!     other distinct terms of the (query, aspect)'s neighbours (the candidate itself left
//!     out); NaN when there is none.
//!   * `go_lin_query_known_max`: the largest Lin similarity to the query's terms of the same
//!     aspect in the earlier release; NaN when it had none.

use std::collections::HashMap;
use std::path::Path;

use homolog_go::Ontology;

use crate::npz::{read_npz, NpyArray};
use crate::ExportError;

/// anc2vec GO-term vectors, unit-normalised.
#[derive(Debug, Clone)]
pub struct Anc2Vec {
    dim: usize,
    index: HashMap<String, usize>,
    /// `n × dim`, unit rows (zero rows for terms without a vector).
    unit: Vec<f32>,
    has: Vec<bool>,
}

/// The six `anc2vec_*` columns of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anc2VecFeatures {
    pub neighbor_cos: f64,
    pub neighbor_maxcos: f64,
    pub has_emb: f64,
    pub query_known_cos: f64,
    pub query_known_maxcos: f64,
    pub query_known_count: f64,
}

impl Anc2VecFeatures {
    /// No vector for the candidate (or no anc2vec file): NaN cosines, `has_emb` 0.
    pub fn missing(query_known_count: usize) -> Self {
        Anc2VecFeatures {
            neighbor_cos: f64::NAN,
            neighbor_maxcos: f64::NAN,
            has_emb: 0.0,
            query_known_cos: f64::NAN,
            query_known_maxcos: f64::NAN,
            query_known_count: query_known_count as f64,
        }
    }
}

/// A set of term vectors (unit rows) and their unit centroid.
#[derive(Debug, Clone, Default)]
pub struct TermGroup {
    rows: Vec<usize>,
    centroid: Option<Vec<f32>>,
}

impl Anc2Vec {
    /// Reads anc2vec's NPZ (`embeddings`: n × d floats, `go_ids`: n strings).
    pub fn load(path: &Path) -> Result<Anc2Vec, ExportError> {
        let arrays = read_npz(path, &["embeddings", "go_ids"])?;
        let bad = |m: String| ExportError::input(path, m);
        let (shape, values) = match &arrays[0] {
            NpyArray::Float { shape, values } if shape.len() == 2 => (shape, values),
            _ => {
                return Err(bad(
                    "`embeddings` must be a 2-D float array (terms × dimensions)".into(),
                ))
            }
        };
        let ids = match &arrays[1] {
            NpyArray::Text { values, .. } => values,
            _ => return Err(bad("`go_ids` must be a string array".into())),
        };
        if ids.len() != shape[0] {
            return Err(bad(format!(
                "{} go_ids for {} embedding rows; they must match one to one",
                ids.len(),
                shape[0]
            )));
        }
        let vectors: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        Ok(Self::from_vectors(
            ids.iter().map(String::as_str),
            &vectors,
            shape[1],
        ))
    }

    /// From ids and a row-major `n × dim` matrix.
    pub fn from_vectors<'a>(
        ids: impl IntoIterator<Item = &'a str>,
        vectors: &[f32],
        dim: usize,
    ) -> Anc2Vec {
        let mut index = HashMap::new();
        let mut unit = Vec::with_capacity(vectors.len());
        let mut has = Vec::new();
        for (i, (id, row)) in ids
            .into_iter()
            .zip(vectors.chunks_exact(dim.max(1)))
            .enumerate()
        {
            index.entry(id.trim().to_string()).or_insert(i);
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            let ok = norm > 0.0 && norm.is_finite();
            has.push(ok);
            unit.extend(row.iter().map(|v| if ok { v / norm } else { 0.0 }));
        }
        Anc2Vec {
            dim,
            index,
            unit,
            has,
        }
    }

    /// Terms with a vector among those loaded.
    pub fn len(&self) -> usize {
        self.has.iter().filter(|h| **h).count()
    }

    /// Whether no term has a vector.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.unit[i * self.dim..(i + 1) * self.dim]
    }

    fn lookup(&self, go_id: &str) -> Option<usize> {
        self.index.get(go_id).copied().filter(|&i| self.has[i])
    }

    /// The group of the distinct `terms` (first occurrence kept) that have a vector.
    pub fn group<'a>(&self, terms: impl IntoIterator<Item = &'a str>) -> TermGroup {
        let mut rows: Vec<usize> = Vec::new();
        for t in terms {
            if let Some(i) = self.lookup(t) {
                if !rows.contains(&i) {
                    rows.push(i);
                }
            }
        }
        if rows.is_empty() {
            return TermGroup::default();
        }
        let mut c = vec![0f32; self.dim];
        for &r in &rows {
            for (a, v) in c.iter_mut().zip(self.row(r)) {
                *a += v;
            }
        }
        let n = rows.len() as f32;
        c.iter_mut().for_each(|v| *v /= n);
        let norm = c.iter().map(|v| v * v).sum::<f32>().sqrt();
        let centroid = (norm > 0.0).then(|| c.iter().map(|v| v / norm).collect());
        TermGroup { rows, centroid }
    }

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn against(&self, cand: &[f32], g: &TermGroup) -> (f64, f64) {
        let cos = g
            .centroid
            .as_ref()
            .map_or(f64::NAN, |c| f64::from(Self::dot(cand, c)));
        let max = g
            .rows
            .iter()
            .map(|&r| Self::dot(cand, self.row(r)))
            .fold(None, |m: Option<f32>, v| Some(m.map_or(v, |m| m.max(v))))
            .map_or(f64::NAN, f64::from);
        (cos, max)
    }

    /// The candidate's columns against its neighbours' group and the query's known group.
    pub fn features(
        &self,
        candidate: &str,
        neighbours: &TermGroup,
        known: &TermGroup,
        known_count: usize,
    ) -> Anc2VecFeatures {
        let Some(i) = self.lookup(candidate) else {
            return Anc2VecFeatures::missing(known_count);
        };
        let cand = self.row(i);
        let (neighbor_cos, neighbor_maxcos) = self.against(cand, neighbours);
        let (query_known_cos, query_known_maxcos) = self.against(cand, known);
        Anc2VecFeatures {
            neighbor_cos,
            neighbor_maxcos,
            has_emb: 1.0,
            query_known_cos,
            query_known_maxcos,
            query_known_count: known_count as f64,
        }
    }
}

/// The five ontology similarity columns of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OntologyFeatures {
    pub go_ic: f64,
    pub resnik_neighbor_max: f64,
    pub lin_neighbor_max: f64,
    pub lin_neighbor_mean: f64,
    pub lin_query_known_max: f64,
}

impl OntologyFeatures {
    /// All NaN (no IA table).
    pub const MISSING: OntologyFeatures = OntologyFeatures {
        go_ic: f64::NAN,
        resnik_neighbor_max: f64::NAN,
        lin_neighbor_max: f64::NAN,
        lin_neighbor_mean: f64::NAN,
        lin_query_known_max: f64::NAN,
    };
}

/// IA-based information content of every ontology term.
#[derive(Debug, Clone)]
pub struct IcSimilarity {
    ic: Vec<f64>,
}

/// Scratch space of one worker: marks the ancestors of the current candidate.
#[derive(Debug, Clone, Default)]
pub struct IcScratch {
    stamp: Vec<u32>,
    round: u32,
}

impl IcSimilarity {
    /// From an IA table (`GO:id<TAB>ia`, header and `#` lines skipped); ids the ontology does
    /// not know are ignored, terms missing from the table count 0.
    pub fn load(path: &Path, onto: &Ontology) -> Result<IcSimilarity, ExportError> {
        let bad = |m: String| ExportError::input(path, m);
        let mut lines = homolog_io::Lines::open(path).map_err(|e| bad(e.to_string()))?;
        let mut ia = HashMap::new();
        while let Some((n, line)) = lines.next_line().map_err(|e| bad(e.to_string()))? {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut f = line.split(['\t', ' ', ',']).filter(|s| !s.is_empty());
            let (Some(id), Some(v)) = (f.next(), f.next()) else {
                return Err(bad(format!("line {n}: expected `GO:id<TAB>ia`")));
            };
            match v.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    ia.insert(id.to_string(), v);
                }
                _ if n == 1 => continue, // a header line
                _ => return Err(bad(format!("line {n}: {v:?} is not a number"))),
            }
        }
        Ok(Self::from_ia(&ia, onto))
    }

    /// From IA values by GO id.
    pub fn from_ia(ia: &HashMap<String, f64>, onto: &Ontology) -> IcSimilarity {
        let own: Vec<f64> = (0..onto.len() as u32)
            .map(|i| ia.get(onto.id_at(i)).copied().unwrap_or(0.0).max(0.0))
            .collect();
        let ic = (0..onto.len() as u32)
            .map(|i| {
                own[i as usize]
                    + onto
                        .ancestors_idx(i)
                        .iter()
                        .map(|&a| own[a as usize])
                        .sum::<f64>()
            })
            .collect();
        IcSimilarity { ic }
    }

    /// IC of an ontology index.
    pub fn ic(&self, t: u32) -> f64 {
        self.ic[t as usize]
    }

    fn mark(&self, onto: &Ontology, c: u32, s: &mut IcScratch) {
        if s.stamp.len() != self.ic.len() {
            s.stamp = vec![0; self.ic.len()];
            s.round = 0;
        }
        s.round = s.round.wrapping_add(1);
        if s.round == 0 {
            s.stamp.iter_mut().for_each(|v| *v = 0);
            s.round = 1;
        }
        s.stamp[c as usize] = s.round;
        for &a in onto.ancestors_idx(c) {
            s.stamp[a as usize] = s.round;
        }
    }

    /// Resnik similarity of the marked candidate to `t`.
    fn resnik_marked(&self, onto: &Ontology, t: u32, s: &IcScratch) -> f64 {
        std::iter::once(t)
            .chain(onto.ancestors_idx(t).iter().copied())
            .filter(|&a| s.stamp[a as usize] == s.round)
            .map(|a| self.ic[a as usize])
            .fold(0.0, f64::max)
    }

    fn lin(&self, c: u32, t: u32, resnik: f64) -> f64 {
        let d = self.ic(c) + self.ic(t);
        if d > 0.0 {
            2.0 * resnik / d
        } else if c == t {
            1.0
        } else {
            0.0
        }
    }

    /// Resnik similarity of two terms.
    pub fn resnik(&self, onto: &Ontology, a: u32, b: u32, s: &mut IcScratch) -> f64 {
        self.mark(onto, a, s);
        self.resnik_marked(onto, b, s)
    }

    /// The candidate's columns; `neighbours` are the distinct terms of the (query, aspect)'s
    /// neighbours, `known` the query's earlier terms of the same aspect (ontology indices).
    pub fn features(
        &self,
        onto: &Ontology,
        candidate: u32,
        neighbours: &[u32],
        known: &[u32],
        s: &mut IcScratch,
    ) -> OntologyFeatures {
        self.mark(onto, candidate, s);
        let (mut rmax, mut lmax, mut lsum, mut n) = (f64::NAN, f64::NAN, 0.0, 0usize);
        for &t in neighbours.iter().filter(|&&t| t != candidate) {
            let r = self.resnik_marked(onto, t, s);
            let l = self.lin(candidate, t, r);
            rmax = if rmax.is_nan() { r } else { rmax.max(r) };
            lmax = if lmax.is_nan() { l } else { lmax.max(l) };
            lsum += l;
            n += 1;
        }
        let kmax = known
            .iter()
            .map(|&t| self.lin(candidate, t, self.resnik_marked(onto, t, s)))
            .fold(f64::NAN, |m, v| if m.is_nan() { v } else { m.max(v) });
        OntologyFeatures {
            go_ic: self.ic(candidate),
            resnik_neighbor_max: rmax,
            lin_neighbor_max: lmax,
            lin_neighbor_mean: if n > 0 { lsum / n as f64 } else { f64::NAN },
            lin_query_known_max: kmax,
        }
    }
}
