//! Where the files of an experiment folder go.

use std::path::{Path, PathBuf};

use homolog_go::Aspect;

/// Paths of a FANTASIA-style experiment folder (design.md section 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExperimentLayout {
    root: PathBuf,
}

impl ExperimentLayout {
    /// A layout rooted at an existing or future experiment folder.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ExperimentLayout { root: root.into() }
    }

    /// FANTASIA's naming: `<base>/experiments/<prefix>_<timestamp>`; `timestamp` is
    /// `YYYYMMDDHHMMSS` by convention (the caller formats it).
    pub fn timestamped(base: impl AsRef<Path>, prefix: &str, timestamp: &str) -> Self {
        Self::new(
            base.as_ref()
                .join("experiments")
                .join(format!("{prefix}_{timestamp}")),
        )
    }

    /// The experiment folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `experiment_config.yaml`: the effective configuration.
    pub fn experiment_config(&self) -> PathBuf {
        self.root.join("experiment_config.yaml")
    }
    /// `clusters.tsv`: the MMseqs2 clusters of the redundancy filter (when it ran).
    pub fn clusters(&self) -> PathBuf {
        self.root.join("clusters.tsv")
    }
    /// `model_provenance.yaml`.
    pub fn model_provenance(&self) -> PathBuf {
        self.root.join("model_provenance.yaml")
    }
    /// `embeddings.h5`.
    pub fn embeddings(&self) -> PathBuf {
        self.root.join("embeddings.h5")
    }
    /// `sequences.fasta` (FANTASIA's Q*/R* sequence index).
    pub fn sequences_fasta(&self) -> PathBuf {
        self.root.join("sequences.fasta")
    }
    /// `summary.csv`.
    pub fn summary(&self) -> PathBuf {
        self.root.join("summary.csv")
    }
    /// `raw_results/`.
    pub fn raw_results_dir(&self) -> PathBuf {
        self.root.join("raw_results")
    }
    /// `raw_results/<model>/layer_<k>/` with FANTASIA's sanitised model name.
    pub fn raw_result_dir(&self, model: &str, layer: u32) -> PathBuf {
        self.raw_results_dir()
            .join(sanitize_file_component(model))
            .join(format!("layer_{layer}"))
    }
    /// `raw_results/<model>/layer_<k>/<accession>.csv` (model and accession sanitised).
    pub fn raw_result_file(&self, model: &str, layer: u32, accession: &str) -> PathBuf {
        self.raw_result_dir(model, layer)
            .join(format!("{}.csv", sanitize_file_component(accession)))
    }
    /// `topgo/`.
    pub fn topgo_dir(&self) -> PathBuf {
        self.root.join("topgo")
    }
    /// `topgo/<model>/layer_<k>/<P|F|C>.topgo`.
    pub fn topgo_file(&self, model: &str, layer: u32, aspect: Aspect) -> PathBuf {
        self.topgo_dir()
            .join(topgo_model_component(model))
            .join(format!("layer_{layer}"))
            .join(format!("{}.topgo", aspect.code()))
    }
    /// `topgo/ensemble/<P|F|C>.topgo`.
    pub fn topgo_ensemble_file(&self, aspect: Aspect) -> PathBuf {
        self.topgo_dir()
            .join("ensemble")
            .join(format!("{}.topgo", aspect.code()))
    }
}

/// FANTASIA's `_sanitize` for file names: trim, lower-case, whitespace runs -> `_`, every
/// character outside `[a-z0-9._-]` -> `_`; empty -> `model`.
pub fn sanitize_file_component(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut in_space = false;
    for c in lower.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push('_');
            }
            in_space = true;
            continue;
        }
        in_space = false;
        if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
            out.push(c);
        } else {
            // One '_' per character, as Python's per-character regex substitution.
            out.push('_');
        }
    }
    if out.is_empty() {
        "model".to_string()
    } else {
        out
    }
}

/// FANTASIA names TopGO model folders with the raw model name; homolog does too unless the
/// name could not be a single path component, then it sanitises it.
fn topgo_model_component(model: &str) -> String {
    let unsafe_name =
        model.is_empty() || model == "." || model == ".." || model.contains(['/', '\\', '\0']);
    if unsafe_name {
        sanitize_file_component(model)
    } else {
        model.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_paths_follow_fantasia() {
        let l = ExperimentLayout::timestamped("/base", "run", "20250101120000");
        assert_eq!(l.root(), Path::new("/base/experiments/run_20250101120000"));
        assert_eq!(
            l.raw_result_file("Prot-T5", 2, "sp|P1 X"),
            Path::new(
                "/base/experiments/run_20250101120000/raw_results/prot-t5/layer_2/sp_p1_x.csv"
            )
        );
        assert_eq!(
            l.topgo_file("Prot-T5", 0, Aspect::MolecularFunction),
            Path::new("/base/experiments/run_20250101120000/topgo/Prot-T5/layer_0/F.topgo")
        );
        assert_eq!(
            l.topgo_ensemble_file(Aspect::CellularComponent),
            Path::new("/base/experiments/run_20250101120000/topgo/ensemble/C.topgo")
        );
        assert_eq!(l.summary().file_name().unwrap(), "summary.csv");
    }

    #[test]
    fn sanitize_matches_fantasia() {
        assert_eq!(sanitize_file_component("  Prot T5  "), "prot_t5");
        assert_eq!(sanitize_file_component("a  \t b"), "a_b");
        assert_eq!(sanitize_file_component("sp|Q9/X:1"), "sp_q9_x_1");
        assert_eq!(sanitize_file_component("ÄB"), "_b");
        assert_eq!(sanitize_file_component("   "), "model");
    }
}
