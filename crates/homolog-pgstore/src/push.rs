//! `push`: a reference folder into a store, in full (replacing the store) or incrementally
//! (`add`: only what the store does not hold yet). Each push is one transaction: readers see
//! the old store or the new one, never a mix.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use homolog_reference::{
    Manifest, Reference, ReferenceTables, TaxonRow, TermAnnotation, TermInfo, MANIFEST_FILE,
    ONTOLOGY_FILE,
};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::Transaction;

use crate::error::PgStoreError;
use crate::schema::{self, db_err, PgHalfVec, PgVector, SchemaState, Storage, StorageChoice};
use crate::StoreLocation;

/// How to push.
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Add what the store does not hold yet instead of replacing it (see the crate docs).
    pub add: bool,
    /// Embedding storage of a new store (ignored by `add`, which keeps the store's).
    pub storage: StorageChoice,
    /// Replace the store even when it already holds exactly this folder.
    pub force: bool,
}

/// Rows a push wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Added {
    pub proteins: u64,
    pub sequences: u64,
    pub annotations: u64,
    pub terms: u64,
    pub taxa: u64,
    /// Embedding vectors over all matrices.
    pub embeddings: u64,
}

/// What [`push`] did.
#[derive(Debug, Clone)]
pub struct PushReport {
    /// The store (URL without password, and schema).
    pub location: String,
    /// The store's revision after the push (1 after a full push, +1 per add).
    pub revision: i64,
    pub storage: Storage,
    /// True when the store already held exactly this folder and nothing was written.
    pub up_to_date: bool,
    pub added: Added,
}

/// The reference folder being pushed.
struct Folder {
    reference: Reference,
    tables: ReferenceTables,
    manifest: Manifest,
    manifest_text: String,
    ontology: String,
}

fn read_folder(dir: &Path) -> Result<Folder, PgStoreError> {
    let reference = Reference::open(dir)?;
    let path = dir.join(MANIFEST_FILE);
    let manifest_text =
        std::fs::read_to_string(&path).map_err(|e| PgStoreError::io("reading", &path, e))?;
    let path = dir.join(ONTOLOGY_FILE);
    let ontology =
        std::fs::read_to_string(&path).map_err(|e| PgStoreError::io("reading", &path, e))?;
    Ok(Folder {
        tables: ReferenceTables::read(dir)?,
        manifest: reference.manifest().clone(),
        reference,
        manifest_text,
        ontology,
    })
}

/// Pushes the reference folder `dir` into the store at `url` (see the crate docs).
pub fn push(dir: &Path, url: &str, options: &PushOptions) -> Result<PushReport, PgStoreError> {
    let loc = StoreLocation::parse(url)?;
    let folder = read_folder(dir)?;
    let mut client = loc.connect()?;
    let mut tx = client
        .transaction()
        .map_err(db_err(&loc, "starting a transaction"))?;
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .map_err(db_err(&loc, "setting up the session"))?;
    let report = if options.add {
        add(&mut tx, &loc, &folder)?
    } else {
        full(&mut tx, &loc, &folder, options)?
    };
    tx.commit().map_err(db_err(&loc, "committing the push"))?;
    tracing::info!(
        "pushed {} to {}: revision {}, {:?}",
        dir.display(),
        loc,
        report.revision,
        report.added
    );
    Ok(report)
}

fn full(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    folder: &Folder,
    options: &PushOptions,
) -> Result<PushReport, PgStoreError> {
    let s = &loc.schema;
    match schema::inspect(tx, loc)? {
        SchemaState::Foreign(tables) => {
            return Err(PgStoreError::NotAStore {
                url: loc.to_string(),
                schema: s.clone(),
                tables: tables.join(", "),
            })
        }
        SchemaState::Store { version } => {
            if version == schema::SCHEMA_VERSION && !options.force {
                let log: Vec<String> = tx
                    .query(&format!("SELECT manifest FROM {s}.push_log"), &[])
                    .map_err(db_err(loc, "reading the push log"))?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                if log.len() == 1 && log[0] == folder.manifest_text {
                    let row = tx
                        .query_one(
                            &format!("SELECT revision, embedding_storage FROM {s}.store"),
                            &[],
                        )
                        .map_err(db_err(loc, "reading the store"))?;
                    return Ok(PushReport {
                        location: loc.to_string(),
                        revision: row.get(0),
                        storage: Storage::parse(row.get(1)).unwrap_or(Storage::RealArray),
                        up_to_date: true,
                        added: Added::default(),
                    });
                }
            }
            let drop: String = schema::TABLES
                .iter()
                .rev()
                .map(|t| format!("DROP TABLE IF EXISTS {s}.{t} CASCADE;"))
                .collect();
            tx.batch_execute(&drop)
                .map_err(db_err(loc, "dropping the previous store"))?;
        }
        SchemaState::Absent => tx
            .batch_execute(&format!("CREATE SCHEMA {s}"))
            .map_err(db_err(loc, "creating the schema"))?,
        SchemaState::Empty => {}
    }
    let storage = schema::choose_storage(tx, loc, options.storage)?;
    tx.batch_execute(&schema::ddl(s, storage))
        .map_err(db_err(loc, "creating the tables"))?;

    let t = &folder.tables;
    let mut added = Added {
        sequences: copy_sequences(tx, loc, (0..t.sequences.len()).map(|i| (i as i32, i)), t)?,
        proteins: copy_proteins(
            tx,
            loc,
            t.proteins
                .iter()
                .enumerate()
                .map(|(i, p)| (i as i32, p, p.sequence_row as i32)),
        )?,
        terms: copy_terms(
            tx,
            loc,
            t.terms.iter().enumerate().map(|(i, x)| (i as i32, x)),
        )?,
        ..Added::default()
    };
    let mut next = 0i64;
    added.annotations = copy_annotations(
        tx,
        loc,
        t.annotations
            .iter()
            .enumerate()
            .flat_map(|(p, list)| list.iter().map(move |a| (p as i32, a)))
            .map(|(p, a)| {
                next += 1;
                (next - 1, p, a)
            }),
    )?;
    if let Some(taxa) = &t.taxonomy {
        added.taxa = copy_taxa(tx, loc, taxa.iter().enumerate().map(|(i, x)| (i as i32, x)))?;
    }
    for (id, entry) in folder.manifest.matrices.iter().enumerate() {
        tx.execute(
            &format!(
                "INSERT INTO {s}.embedding_matrix (id, model, layer, backend, embedding_type_id, \
                 dtype, dim) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            ),
            &[
                &(id as i32),
                &entry.model,
                &(entry.layer as i32),
                &entry.backend,
                &(entry.embedding_type_id as i32),
                &entry.dtype,
                &(entry.dim as i32),
            ],
        )
        .map_err(db_err(loc, "writing the matrix list"))?;
        let matrix = folder.reference.matrix(&entry.model, entry.layer)?;
        added.embeddings += copy_embeddings(
            tx,
            loc,
            storage,
            id as i32,
            entry.dtype == "f16",
            (0..matrix.rows()).map(|r| (r as i32, matrix.row(r))),
        )?;
    }
    tx.execute(
        &format!(
            "INSERT INTO {s}.store (schema_version, store_id, revision, embedding_storage, \
             ontology) VALUES ($1, md5(random()::text || clock_timestamp()::text), 1, $2, $3)"
        ),
        &[&schema::SCHEMA_VERSION, &storage.as_str(), &folder.ontology],
    )
    .map_err(db_err(loc, "writing the store row"))?;
    tx.execute(
        &format!("INSERT INTO {s}.push_log (revision, kind, manifest) VALUES (1, 'full', $1)"),
        &[&folder.manifest_text],
    )
    .map_err(db_err(loc, "writing the push log"))?;
    Ok(PushReport {
        location: loc.to_string(),
        revision: 1,
        storage,
        up_to_date: false,
        added,
    })
}

/// The store's row and version check shared by add and pull.
pub(crate) fn require_store(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
) -> Result<(), PgStoreError> {
    match schema::inspect(tx, loc)? {
        SchemaState::Store { version } if version == schema::SCHEMA_VERSION => Ok(()),
        SchemaState::Store { version } => Err(PgStoreError::SchemaVersion {
            url: loc.to_string(),
            schema: loc.schema.clone(),
            found: version,
            expected: schema::SCHEMA_VERSION,
        }),
        SchemaState::Foreign(tables) => Err(PgStoreError::NotAStore {
            url: loc.to_string(),
            schema: loc.schema.clone(),
            tables: tables.join(", "),
        }),
        SchemaState::Absent | SchemaState::Empty => Err(PgStoreError::NoStore {
            url: loc.to_string(),
            schema: loc.schema.clone(),
        }),
    }
}

fn add(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    folder: &Folder,
) -> Result<PushReport, PgStoreError> {
    let s = &loc.schema;
    require_store(tx, loc)?;
    let incompatible = |message: String| PgStoreError::Incompatible {
        url: loc.to_string(),
        message,
    };
    let row = tx
        .query_one(
            &format!("SELECT revision, embedding_storage, ontology FROM {s}.store FOR UPDATE"),
            &[],
        )
        .map_err(db_err(loc, "locking the store"))?;
    let revision: i64 = row.get(0);
    let storage = Storage::parse(row.get(1)).ok_or_else(|| PgStoreError::Corrupt {
        url: loc.to_string(),
        message: format!("unknown embedding storage {:?}", row.get::<_, String>(1)),
    })?;
    let ontology: String = row.get(2);
    if ontology != folder.ontology {
        return Err(incompatible(
            "the folder's ontology.obo differs from the store's; build the folder with the same \
             ontology file, or push it in full (without --add)"
                .into(),
        ));
    }
    let base_text: String = tx
        .query_one(
            &format!("SELECT manifest FROM {s}.push_log ORDER BY revision LIMIT 1"),
            &[],
        )
        .map_err(db_err(loc, "reading the push log"))?
        .get(0);
    let base: Manifest = serde_json::from_str(&base_text).map_err(|e| PgStoreError::Corrupt {
        url: loc.to_string(),
        message: format!("the first pushed manifest does not parse: {e}"),
    })?;
    if base.evidence_codes != folder.manifest.evidence_codes {
        return Err(incompatible(format!(
            "the folder keeps evidence codes {:?}, the store {:?}; build it with the store's \
             reference.evidence_codes",
            folder.manifest.evidence_codes, base.evidence_codes
        )));
    }

    // Matrices: the same (model, layer, dtype, dim) set, so every new sequence gets a row in each.
    let store_matrices: Vec<(i32, String, i32, String, i32)> = tx
        .query(
            &format!("SELECT id, model, layer, dtype, dim FROM {s}.embedding_matrix ORDER BY id"),
            &[],
        )
        .map_err(db_err(loc, "reading the matrix list"))?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
        .collect();
    let describe = |v: Vec<(String, i64, String, i64)>| {
        let mut v: Vec<String> = v
            .into_iter()
            .map(|(m, l, d, n)| format!("{m} layer {l} ({d}, {n}-d)"))
            .collect();
        v.sort();
        v.join(", ")
    };
    let have = describe(
        store_matrices
            .iter()
            .map(|(_, m, l, d, n)| (m.clone(), *l as i64, d.clone(), *n as i64))
            .collect(),
    );
    let want = describe(
        folder
            .manifest
            .matrices
            .iter()
            .map(|e| {
                (
                    e.model.clone(),
                    e.layer as i64,
                    e.dtype.clone(),
                    e.dim as i64,
                )
            })
            .collect(),
    );
    if have != want {
        return Err(incompatible(format!(
            "the folder's matrices [{want}] differ from the store's [{have}]; build it with the \
             same models, layers and precision"
        )));
    }

    // What the store holds.
    let md5_rows = tx
        .query(
            &format!("SELECT id, md5 FROM {s}.sequence ORDER BY id"),
            &[],
        )
        .map_err(db_err(loc, "reading the sequences"))?;
    let mut md5_of_id: Vec<String> = Vec::with_capacity(md5_rows.len());
    let mut id_of_md5: HashMap<String, i32> = HashMap::with_capacity(md5_rows.len());
    for (i, r) in md5_rows.iter().enumerate() {
        let id: i32 = r.get(0);
        if id as usize != i {
            return Err(PgStoreError::Corrupt {
                url: loc.to_string(),
                message: format!("sequence ids are not 0..n (id {id} at position {i})"),
            });
        }
        let md5: String = r.get(1);
        id_of_md5.insert(md5.clone(), id);
        md5_of_id.push(md5);
    }
    let proteins: HashMap<String, (i32, i32)> = tx
        .query(
            &format!("SELECT accession, id, sequence_id FROM {s}.protein"),
            &[],
        )
        .map_err(db_err(loc, "reading the proteins"))?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let mut ann_keys: HashSet<(i32, String, Option<String>)> = tx
        .query(
            &format!("SELECT protein_id, go_id, evidence FROM {s}.annotation"),
            &[],
        )
        .map_err(db_err(loc, "reading the annotations"))?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let next_ann: i64 = tx
        .query_one(
            &format!("SELECT coalesce(max(id) + 1, 0) FROM {s}.annotation"),
            &[],
        )
        .map_err(db_err(loc, "reading the annotations"))?
        .get(0);
    let terms: HashSet<String> = tx
        .query(&format!("SELECT go_id FROM {s}.go_term"), &[])
        .map_err(db_err(loc, "reading the GO terms"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let taxa: HashSet<i64> = tx
        .query(&format!("SELECT taxid FROM {s}.taxon"), &[])
        .map_err(db_err(loc, "reading the taxa"))?
        .iter()
        .map(|r| r.get(0))
        .collect();

    // New sequences get the next ids, in the folder's row order.
    let t = &folder.tables;
    let mut store_id_of_row: Vec<i32> = Vec::with_capacity(t.sequences.len());
    let mut new_rows: Vec<(i32, usize)> = Vec::new();
    for (row, md5) in t.md5s.iter().enumerate() {
        let id = match id_of_md5.get(md5) {
            Some(&id) => id,
            None => {
                let id = (md5_of_id.len() + new_rows.len()) as i32;
                new_rows.push((id, row));
                id
            }
        };
        store_id_of_row.push(id);
    }
    // New proteins; an accession already stored must keep its sequence.
    let mut next_protein = proteins.len() as i32;
    let mut new_proteins = Vec::new();
    let mut protein_ids = Vec::with_capacity(t.proteins.len());
    for p in &t.proteins {
        let seq = store_id_of_row[p.sequence_row as usize];
        match proteins.get(&p.accession) {
            Some(&(id, stored_seq)) => {
                if stored_seq != seq {
                    return Err(incompatible(format!(
                        "protein {} has another sequence in the store (md5 {}) than in the \
                         folder (md5 {}); an add never changes stored proteins: push in full \
                         (without --add) to replace them",
                        p.accession,
                        md5_of_id
                            .get(stored_seq as usize)
                            .map_or("?", |s| s.as_str()),
                        t.md5s[p.sequence_row as usize]
                    )));
                }
                protein_ids.push(id);
            }
            None => {
                new_proteins.push((next_protein, p, seq));
                protein_ids.push(next_protein);
                next_protein += 1;
            }
        }
    }
    let mut new_annotations: Vec<(i64, i32, &TermAnnotation)> = Vec::new();
    for (p, list) in t.annotations.iter().enumerate() {
        for a in list {
            let key = (protein_ids[p], a.go_id.clone(), a.evidence.clone());
            if ann_keys.insert(key) {
                new_annotations.push((next_ann + new_annotations.len() as i64, protein_ids[p], a));
            }
        }
    }
    let new_terms: Vec<(i32, &TermInfo)> = t
        .terms
        .iter()
        .filter(|x| !terms.contains(&x.go_id))
        .map(|x| (0, x))
        .collect();
    let new_taxa: Vec<(i32, &TaxonRow)> = t
        .taxonomy
        .iter()
        .flatten()
        .filter(|x| !taxa.contains(&(x.taxid as i64)))
        .enumerate()
        .map(|(i, x)| ((taxa.len() + i) as i32, x))
        .collect();

    let added = Added {
        sequences: copy_sequences(tx, loc, new_rows.iter().copied(), t)?,
        proteins: copy_proteins(tx, loc, new_proteins.into_iter())?,
        annotations: copy_annotations(tx, loc, new_annotations.into_iter())?,
        terms: copy_terms(tx, loc, new_terms.into_iter())?,
        taxa: copy_taxa(tx, loc, new_taxa.into_iter())?,
        embeddings: {
            let mut n = 0;
            for (id, model, layer, dtype, _) in &store_matrices {
                let matrix = folder.reference.matrix(model, *layer as usize)?;
                n += copy_embeddings(
                    tx,
                    loc,
                    storage,
                    *id,
                    dtype == "f16",
                    new_rows.iter().map(|&(sid, row)| (sid, matrix.row(row))),
                )?;
            }
            n
        },
    };
    // Terms stay ordered by id, as `initialize` writes them.
    tx.batch_execute(&format!(
        "UPDATE {s}.go_term t SET position = r.p FROM (SELECT go_id, \
         (row_number() OVER (ORDER BY go_id COLLATE \"C\") - 1)::integer AS p FROM {s}.go_term) r \
         WHERE t.go_id = r.go_id"
    ))
    .map_err(db_err(loc, "ordering the GO terms"))?;
    let revision = revision + 1;
    tx.execute(
        &format!("UPDATE {s}.store SET revision = $1, updated = now()"),
        &[&revision],
    )
    .map_err(db_err(loc, "updating the store row"))?;
    tx.execute(
        &format!("INSERT INTO {s}.push_log (revision, kind, manifest) VALUES ($1, 'add', $2)"),
        &[&revision, &folder.manifest_text],
    )
    .map_err(db_err(loc, "writing the push log"))?;
    Ok(PushReport {
        location: loc.to_string(),
        revision,
        storage,
        up_to_date: false,
        added,
    })
}

/// `COPY <table> (<columns>) FROM STDIN (FORMAT binary)`, rows written by `fill`; returns the
/// number of rows.
fn copy_in<F>(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    target: &str,
    types: &[Type],
    fill: F,
) -> Result<u64, PgStoreError>
where
    F: FnOnce(&mut BinaryCopyInWriter<'_>) -> Result<u64, postgres::Error>,
{
    let what = format!("copying rows into {}.{target}", loc.schema);
    let sink = tx
        .copy_in(&format!(
            "COPY {}.{target} FROM STDIN (FORMAT binary)",
            loc.schema
        ))
        .map_err(db_err(loc, what.clone()))?;
    let mut w = BinaryCopyInWriter::new(sink, types);
    let n = fill(&mut w).map_err(db_err(loc, what.clone()))?;
    w.finish().map_err(db_err(loc, what))?;
    Ok(n)
}

/// Sequences as (store id, folder row).
fn copy_sequences(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    rows: impl Iterator<Item = (i32, usize)>,
    t: &ReferenceTables,
) -> Result<u64, PgStoreError> {
    copy_in(
        tx,
        loc,
        "sequence (id, sequence, md5)",
        &[Type::INT4, Type::TEXT, Type::TEXT],
        |w| {
            let mut n = 0;
            for (id, row) in rows {
                w.write(&[&id, &t.sequences[row], &t.md5s[row]])?;
                n += 1;
            }
            Ok(n)
        },
    )
}

/// Proteins as (store id, protein, store sequence id).
fn copy_proteins<'a>(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    rows: impl Iterator<Item = (i32, &'a homolog_reference::Protein, i32)>,
) -> Result<u64, PgStoreError> {
    copy_in(
        tx,
        loc,
        "protein (id, accession, sequence_id, taxonomy_id, organism, gene_name)",
        &[
            Type::INT4,
            Type::TEXT,
            Type::INT4,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
        ],
        |w| {
            let mut n = 0;
            for (id, p, seq) in rows {
                let tax = p.taxonomy_id.map(i64::from);
                w.write(&[&id, &p.accession, &seq, &tax, &p.organism, &p.gene_name])?;
                n += 1;
            }
            Ok(n)
        },
    )
}

/// GO terms as (position, term); positions of an add are fixed up afterwards.
fn copy_terms<'a>(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    rows: impl Iterator<Item = (i32, &'a TermInfo)>,
) -> Result<u64, PgStoreError> {
    copy_in(
        tx,
        loc,
        "go_term (go_id, position, name, aspect)",
        &[Type::TEXT, Type::INT4, Type::TEXT, Type::TEXT],
        |w| {
            let mut n = 0;
            for (pos, t) in rows {
                let aspect = t.aspect.map(|a| a.code().to_string());
                w.write(&[&t.go_id, &pos, &t.name, &aspect])?;
                n += 1;
            }
            Ok(n)
        },
    )
}

/// Annotations as (store id, store protein id, annotation).
fn copy_annotations<'a>(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    rows: impl Iterator<Item = (i64, i32, &'a TermAnnotation)>,
) -> Result<u64, PgStoreError> {
    copy_in(
        tx,
        loc,
        "annotation (id, protein_id, go_id, aspect, evidence)",
        &[Type::INT8, Type::INT4, Type::TEXT, Type::TEXT, Type::TEXT],
        |w| {
            let mut n = 0;
            for (id, p, a) in rows {
                let aspect = a.aspect.map(|x| x.code().to_string());
                w.write(&[&id, &p, &a.go_id, &aspect, &a.evidence])?;
                n += 1;
            }
            Ok(n)
        },
    )
}

/// Taxa as (position, row).
fn copy_taxa<'a>(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    rows: impl Iterator<Item = (i32, &'a TaxonRow)>,
) -> Result<u64, PgStoreError> {
    copy_in(
        tx,
        loc,
        "taxon (taxid, position, parent, rank, name)",
        &[Type::INT8, Type::INT4, Type::INT8, Type::TEXT, Type::TEXT],
        |w| {
            let mut n = 0;
            for (pos, t) in rows {
                let (taxid, parent) = (i64::from(t.taxid), i64::from(t.parent));
                w.write(&[&taxid, &pos, &parent, &t.rank, &t.name])?;
                n += 1;
            }
            Ok(n)
        },
    )
}

/// Embedding vectors of matrix `matrix_id` as (store sequence id, values).
fn copy_embeddings<'a>(
    tx: &mut Transaction<'_>,
    loc: &StoreLocation,
    storage: Storage,
    matrix_id: i32,
    f16: bool,
    rows: impl Iterator<Item = (i32, &'a [f32])>,
) -> Result<u64, PgStoreError> {
    match storage {
        Storage::RealArray => copy_in(
            tx,
            loc,
            "embedding (matrix_id, sequence_id, value)",
            &[Type::INT4, Type::INT4, Type::FLOAT4_ARRAY],
            |w| {
                let mut n = 0;
                for (sid, v) in rows {
                    w.write(&[&matrix_id, &sid, &v])?;
                    n += 1;
                }
                Ok(n)
            },
        ),
        Storage::PgVector => {
            // The extension's types have database-specific oids: ask the server.
            let column = if f16 { "hvec" } else { "vec" };
            let stmt = tx
                .prepare(&format!(
                    "SELECT NULL::{}",
                    if f16 { "halfvec" } else { "vector" }
                ))
                .map_err(db_err(loc, "looking up the pgvector types"))?;
            let ty = stmt.columns()[0].type_().clone();
            copy_in(
                tx,
                loc,
                &format!("embedding (matrix_id, sequence_id, {column})"),
                &[Type::INT4, Type::INT4, ty],
                |w| {
                    let mut n = 0;
                    for (sid, v) in rows {
                        let (a, b) = (PgVector(v), PgHalfVec(v));
                        let value: &(dyn ToSql + Sync) = if f16 { &b } else { &a };
                        w.write(&[&matrix_id, &sid, value])?;
                        n += 1;
                    }
                    Ok(n)
                },
            )
        }
    }
}
