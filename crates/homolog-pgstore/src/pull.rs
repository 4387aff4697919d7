//! `pull`: a store back into a reference folder, and `cache`: the same into a local folder
//! keyed by the store's content version, reused while the store is unchanged.

use std::path::{Path, PathBuf};

use homolog_reference::{
    Aspect, Manifest, MatrixSpec, OntologyInput, Precision, Protein, Provenance, ReferenceTables,
    ReferenceWriter, SourceEntry, TaxonRow, TermAnnotation, TermInfo, MANIFEST_FILE,
};
use postgres::binary_copy::BinaryCopyOutIter;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{IsolationLevel, Transaction};
use sha2::{Digest, Sha256};

use crate::error::PgStoreError;
use crate::push::require_store;
use crate::schema::{db_err, Storage};
use crate::StoreLocation;

/// What [`pull`] / [`cache`] wrote.
#[derive(Debug, Clone)]
pub struct Pulled {
    /// The reference folder.
    pub dir: PathBuf,
    /// The store's identity and revision (the cache key).
    pub store_id: String,
    pub revision: i64,
    /// False when [`cache`] found the folder of this revision already there.
    pub written: bool,
    /// The manifest of the folder (`None` when reused from the cache).
    pub manifest: Option<Manifest>,
}

/// Writes the store at `url` into the reference folder `out_dir` (absent, empty or an
/// existing reference, which is replaced atomically).
pub fn pull(url: &str, out_dir: &Path) -> Result<Pulled, PgStoreError> {
    let loc = StoreLocation::parse(url)?;
    let mut client = loc.connect()?;
    let mut tx = snapshot(&mut client, &loc)?;
    let (store_id, revision) = store_version(&mut tx, &loc)?;
    let manifest = write_folder(&mut tx, &loc, out_dir)?;
    Ok(Pulled {
        dir: out_dir.to_path_buf(),
        store_id,
        revision,
        written: true,
        manifest: Some(manifest),
    })
}

/// Pulls the store at `url` into `cache_root/<host_port_db_schema>/<store id>-r<revision>`
/// unless that folder exists already (the store is unchanged since the last pull), and returns
/// it. Folders of older revisions of the same store are removed (best effort).
pub fn cache(url: &str, cache_root: &Path) -> Result<Pulled, PgStoreError> {
    let loc = StoreLocation::parse(url)?;
    let mut client = loc.connect()?;
    let mut tx = snapshot(&mut client, &loc)?;
    let (store_id, revision) = store_version(&mut tx, &loc)?;
    let parent = cache_root.join(loc.cache_key());
    let name = format!("{store_id}-r{revision}");
    let dir = parent.join(&name);
    if dir.join(MANIFEST_FILE).is_file() {
        tracing::info!(
            "reference store {loc} revision {revision}: using {}",
            dir.display()
        );
        return Ok(Pulled {
            dir,
            store_id,
            revision,
            written: false,
            manifest: None,
        });
    }
    std::fs::create_dir_all(&parent).map_err(|e| PgStoreError::io("creating", &parent, e))?;
    tracing::info!(
        "reference store {loc} revision {revision}: pulling into {}",
        dir.display()
    );
    let manifest = write_folder(&mut tx, &loc, &dir)?;
    drop(tx);
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n != name && !n.starts_with('.') && e.path().join(MANIFEST_FILE).is_file() {
                if let Err(err) = std::fs::remove_dir_all(e.path()) {
                    tracing::warn!("could not remove the old cached store {n}: {err}");
                }
            }
        }
    }
    Ok(Pulled {
        dir,
        store_id,
        revision,
        written: true,
        manifest: Some(manifest),
    })
}

/// A read-only transaction that sees one consistent state of the store.
fn snapshot<'a>(
    client: &'a mut postgres::Client,
    loc: &StoreLocation,
) -> Result<Transaction<'a>, PgStoreError> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(db_err(loc, "starting a read-only transaction"))?;
    require_store(&mut tx, loc)?;
    Ok(tx)
}

fn store_version(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
) -> Result<(String, i64), PgStoreError> {
    let row = tx
        .query_one(
            &format!("SELECT store_id, revision FROM {}.store", loc.schema),
            &[],
        )
        .map_err(db_err(loc, "reading the store row"))?;
    Ok((row.get(0), row.get(1)))
}

/// The manifest fields of a store: those of its only push, or merged over its pushes (see the
/// crate docs, "Incremental add").
pub(crate) fn provenance(manifests: &[Manifest]) -> Provenance {
    let base = &manifests[0];
    let mut p = Provenance::of(base);
    if manifests.len() == 1 {
        return p;
    }
    let last = &manifests[manifests.len() - 1];
    p.homolog_version = last.homolog_version.clone();
    p.created = last.created.clone();
    let mut h = Sha256::new();
    for m in manifests {
        h.update(m.inputs_fingerprint.as_bytes());
        h.update(b"\n");
    }
    p.inputs_fingerprint = hex::encode(h.finalize());
    let same = |a: &SourceEntry, b: &SourceEntry| {
        a.role == b.role && a.location == b.location && a.sha256 == b.sha256
    };
    for m in &manifests[1..] {
        for s in &m.sources {
            if !p.sources.iter().any(|x| same(x, s)) {
                p.sources.push(s.clone());
            }
        }
        for u in &m.unfiltered_annotation_sources {
            if !p.unfiltered_annotation_sources.contains(u) {
                p.unfiltered_annotation_sources.push(u.clone());
            }
        }
        let (d, a) = (&mut p.dropped, &m.dropped);
        d.annotations_by_evidence += a.annotations_by_evidence;
        d.annotations_without_evidence += a.annotations_without_evidence;
        d.annotations_unknown_term += a.annotations_unknown_term;
        d.annotations_obsolete_term += a.annotations_obsolete_term;
        d.annotations_duplicate += a.annotations_duplicate;
        d.annotations_without_sequence += a.annotations_without_sequence;
        d.duplicate_accessions += a.duplicate_accessions;
        d.proteins_without_annotation += a.proteins_without_annotation;
        d.annotations_alt_id_mapped += a.annotations_alt_id_mapped;
    }
    p
}

fn write_folder(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    out_dir: &Path,
) -> Result<Manifest, PgStoreError> {
    let s = &loc.schema;
    let corrupt = |message: String| PgStoreError::Corrupt {
        url: loc.to_string(),
        message,
    };
    let row = tx
        .query_one(
            &format!("SELECT embedding_storage, ontology FROM {s}.store"),
            &[],
        )
        .map_err(db_err(loc, "reading the store row"))?;
    let storage = Storage::parse(row.get(0)).ok_or_else(|| {
        corrupt(format!(
            "unknown embedding storage {:?}",
            row.get::<_, String>(0)
        ))
    })?;
    let ontology: String = row.get(1);
    let manifests = tx
        .query(
            &format!("SELECT manifest FROM {s}.push_log ORDER BY revision"),
            &[],
        )
        .map_err(db_err(loc, "reading the push log"))?
        .iter()
        .map(|r| serde_json::from_str::<Manifest>(r.get(0)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt(format!("a pushed manifest does not parse: {e}")))?;
    if manifests.is_empty() {
        return Err(corrupt("the push log is empty".into()));
    }

    let mut tables = ReferenceTables::default();
    for (i, r) in tx
        .query(
            &format!("SELECT id, sequence, md5 FROM {s}.sequence ORDER BY id"),
            &[],
        )
        .map_err(db_err(loc, "reading the sequences"))?
        .iter()
        .enumerate()
    {
        if r.get::<_, i32>(0) as usize != i {
            return Err(corrupt(format!(
                "sequence ids are not 0..n (at position {i})"
            )));
        }
        tables.sequences.push(r.get(1));
        tables.md5s.push(r.get(2));
    }
    for (i, r) in tx
        .query(
            &format!(
                "SELECT id, accession, sequence_id, taxonomy_id, organism, gene_name \
                 FROM {s}.protein ORDER BY id"
            ),
            &[],
        )
        .map_err(db_err(loc, "reading the proteins"))?
        .iter()
        .enumerate()
    {
        if r.get::<_, i32>(0) as usize != i {
            return Err(corrupt(format!(
                "protein ids are not 0..n (at position {i})"
            )));
        }
        let taxonomy_id = r
            .get::<_, Option<i64>>(3)
            .map(u32::try_from)
            .transpose()
            .map_err(|_| {
                corrupt(format!(
                    "protein {} has a taxonomy id out of range",
                    r.get::<_, String>(1)
                ))
            })?;
        tables.proteins.push(Protein {
            accession: r.get(1),
            sequence_row: r.get::<_, i32>(2) as u32,
            taxonomy_id,
            organism: r.get(4),
            gene_name: r.get(5),
        });
    }
    tables.annotations = vec![Vec::new(); tables.proteins.len()];
    for r in tx
        .query(
            &format!(
                "SELECT protein_id, go_id, aspect, evidence FROM {s}.annotation \
                 ORDER BY protein_id, id"
            ),
            &[],
        )
        .map_err(db_err(loc, "reading the annotations"))?
    {
        let p = r.get::<_, i32>(0) as usize;
        tables.annotations[p].push(TermAnnotation {
            go_id: r.get(1),
            aspect: r.get::<_, Option<&str>>(2).and_then(Aspect::parse),
            evidence: r.get(3),
        });
    }
    tables.terms = tx
        .query(
            &format!("SELECT go_id, name, aspect FROM {s}.go_term ORDER BY position, go_id"),
            &[],
        )
        .map_err(db_err(loc, "reading the GO terms"))?
        .iter()
        .map(|r| TermInfo {
            go_id: r.get(0),
            name: r.get(1),
            aspect: r.get::<_, Option<&str>>(2).and_then(Aspect::parse),
        })
        .collect();
    let taxa: Vec<TaxonRow> = tx
        .query(
            &format!("SELECT taxid, parent, rank, name FROM {s}.taxon ORDER BY position"),
            &[],
        )
        .map_err(db_err(loc, "reading the taxa"))?
        .iter()
        .map(|r| {
            Ok(TaxonRow {
                taxid: u32::try_from(r.get::<_, i64>(0))
                    .map_err(|_| corrupt("taxid out of range".into()))?,
                parent: u32::try_from(r.get::<_, i64>(1))
                    .map_err(|_| corrupt("taxid out of range".into()))?,
                rank: r.get(2),
                name: r.get(3),
            })
        })
        .collect::<Result<_, PgStoreError>>()?;
    if manifests.iter().any(|m| m.has_taxonomy) || !taxa.is_empty() {
        tables.taxonomy = Some(taxa);
    }

    let mut writer = ReferenceWriter::create(out_dir, &tables, OntologyInput::Text(&ontology))?;
    drop(tables);
    let matrices = tx
        .query(
            &format!(
                "SELECT id, model, layer, backend, embedding_type_id, dtype, dim \
                 FROM {s}.embedding_matrix ORDER BY id"
            ),
            &[],
        )
        .map_err(db_err(loc, "reading the matrix list"))?;
    let value = match storage {
        Storage::RealArray => "value",
        Storage::PgVector => "coalesce(vec::real[], hvec::real[])",
    };
    for m in matrices {
        let id: i32 = m.get(0);
        let dtype: String = m.get(5);
        let spec = MatrixSpec {
            model: m.get(1),
            layer: m.get::<_, i32>(2) as usize,
            backend: m.get(3),
            embedding_type_id: m.get::<_, i32>(4) as u32,
            precision: Precision::parse(&dtype)
                .ok_or_else(|| corrupt(format!("matrix {id} has unknown dtype {dtype:?}")))?,
            dim: m.get::<_, i32>(6) as usize,
        };
        let mut rows = writer.matrix(spec)?;
        let what = format!("reading the embeddings of matrix {id}");
        let source = tx
            .copy_out(&format!(
                "COPY (SELECT sequence_id, {value} FROM {s}.embedding WHERE matrix_id = {id} \
                 ORDER BY sequence_id) TO STDOUT (FORMAT binary)"
            ))
            .map_err(db_err(loc, what.clone()))?;
        let mut it = BinaryCopyOutIter::new(source, &[Type::INT4, Type::FLOAT4_ARRAY]);
        while let Some(r) = it.next().map_err(db_err(loc, what.clone()))? {
            let sid: i32 = r.try_get(0).map_err(db_err(loc, what.clone()))?;
            let v: Vec<f32> = r.try_get(1).map_err(db_err(loc, what.clone()))?;
            rows.write_row(sid as usize, &v)?;
        }
        writer.add_matrix(rows)?;
    }
    Ok(writer.commit(provenance(&manifests))?)
}
