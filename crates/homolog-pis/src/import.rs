//! Reading a PIS database and writing the reference folder (see the crate docs for the mapping).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use homolog_go::{Aspect, Ontology};
use homolog_reference::{
    sequence_md5, Dropped, EvidenceCodes, MatrixSpec, OntologyInput, Precision, Protein,
    Provenance, ReferenceTables, ReferenceWriter, SourceEntry, TermAnnotation, TermInfo,
};
use postgres::config::Host;
use postgres::types::ToSql;
use postgres::{Client, Config, NoTls, Row, Transaction};
use sha2::{Digest, Sha256};

use crate::vector::{PgVector, VectorKind};
use crate::{ImportOptions, ImportReport, ModelMapping, PisError};

/// The tables and columns the import reads. `layer_index` is optional (PIS before 2025).
const REQUIRED: &[(&str, &[&str])] = &[
    ("sequence", &["id", "sequence"]),
    (
        "protein",
        &["id", "sequence_id", "taxonomy_id", "organism", "gene_name"],
    ),
    ("accession", &["code", "primary", "protein_id"]),
    ("go_terms", &["go_id", "category"]),
    (
        "protein_go_term_annotation",
        &["protein_id", "go_id", "evidence_code"],
    ),
    ("sequence_embedding_type", &["id", "name", "model_name"]),
    (
        "sequence_embeddings",
        &["sequence_id", "embedding_type_id", "embedding"],
    ),
];

/// Sequence ids fetched per `= ANY($1)` query.
const ID_CHUNK: usize = 10_000;

/// `postgres://user@host:port/db` without the password, for messages and the manifest.
pub fn redact_url(config: &Config) -> String {
    let host = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let port = config
        .get_ports()
        .first()
        .map_or(String::new(), |p| format!(":{p}"));
    let user = config.get_user().map_or(String::new(), |u| format!("{u}@"));
    let db = config.get_dbname().unwrap_or("");
    format!("postgres://{user}{host}{port}/{db}")
}

/// What the schema check found.
struct Schema {
    kind: VectorKind,
    has_layer_index: bool,
}

/// One row of `sequence_embedding_type` with its homolog model name.
struct PisType {
    id: i32,
    name: String,
    model_name: Option<String>,
    model: String,
    known: bool,
}

/// A (type, layer) with vectors, and the sequence ids that have one.
struct Pair {
    type_index: usize,
    layer: i32,
    sequences: HashSet<i64>,
}

/// Imports the PIS database at `url` into the reference folder `out` (see the crate docs).
pub fn import(url: &str, out: &Path, options: &ImportOptions) -> Result<ImportReport, PisError> {
    let config: Config = url.parse().map_err(|e: postgres::Error| PisError::BadUrl {
        url: url.split('@').next_back().unwrap_or(url).to_string(),
        message: e.to_string(),
    })?;
    let shown = redact_url(&config);
    if options.batch_rows == 0 {
        return Err(PisError::Options(
            "batch_rows must be at least 1".to_string(),
        ));
    }
    let ontology = Ontology::from_path(&options.ontology)?;
    let mut client = config.connect(NoTls).map_err(|source| PisError::Connect {
        url: shown.clone(),
        source,
    })?;
    let q = |what: &str| {
        let url = shown.clone();
        let what = what.to_string();
        move |source| PisError::Query { url, what, source }
    };
    let schema = check_schema(&mut client, &shown)?;
    let types = read_types(&mut client, &shown)?;
    let layer_expr = if schema.has_layer_index {
        "layer_index"
    } else {
        "0"
    };

    // Which (type, layer) pairs to import, and which sequences have a vector in each.
    let wanted_types = select_types(&types, &options.models)?;
    let type_ids: Vec<i32> = wanted_types.iter().map(|&i| types[i].id).collect();
    let mut pairs: BTreeMap<(usize, i32), Pair> = BTreeMap::new();
    {
        let mut tx = client.transaction().map_err(q("a transaction"))?;
        let sql = format!(
            "SELECT embedding_type_id::int4, ({layer_expr})::int4, sequence_id::int8 \
             FROM sequence_embeddings WHERE embedding_type_id = ANY($1::int4[])"
        );
        stream(&mut tx, &sql, &[&type_ids], options.batch_rows, |row| {
            let (t, layer, seq): (i32, i32, i64) = (row.get(0), row.get(1), row.get(2));
            let type_index = types.iter().position(|x| x.id == t).expect("selected type");
            if options.layers.is_empty()
                || (layer >= 0 && options.layers.contains(&(layer as usize)))
            {
                pairs
                    .entry((type_index, layer))
                    .or_insert_with(|| Pair {
                        type_index,
                        layer,
                        sequences: HashSet::new(),
                    })
                    .sequences
                    .insert(seq);
            }
        })
        .map_err(q("embedding coverage"))?;
        tx.commit().map_err(q("a transaction"))?;
    }
    if let Some(pair) = pairs.values().find(|p| p.layer < 0) {
        return Err(PisError::Content {
            url: shown,
            message: format!(
                "embedding type {} has layer_index {}; layers must be 0 or more",
                types[pair.type_index].id, pair.layer
            ),
        });
    }
    if pairs.is_empty() {
        let available = list_available(&mut client, &types, layer_expr).map_err(q("layers"))?;
        return Err(PisError::Options(format!(
            "{shown} has no embeddings for the selected models/layers (models {:?}, layers {:?}); \
             available: {available}",
            options.models, options.layers
        )));
    }
    let mut seen_models = HashSet::new();
    for p in pairs.values() {
        let model = &types[p.type_index].model;
        if !seen_models.insert((model.clone(), p.layer)) {
            return Err(PisError::Content {
                url: shown,
                message: format!(
                    "two embedding types map to model `{model}` layer {}; import them one at a \
                     time with --model",
                    p.layer
                ),
            });
        }
    }

    // Proteins, their primary accessions and their annotations.
    let mut dropped = Dropped::default();
    let accessions = read_accessions(&mut client).map_err(q("accession"))?;
    let mut raw_proteins = Vec::new();
    for row in client
        .query(
            "SELECT id::text, sequence_id::int8, taxonomy_id::text, organism::text, \
             gene_name::text FROM protein",
            &[],
        )
        .map_err(q("protein"))?
    {
        raw_proteins.push(RawProtein {
            id: row.get(0),
            sequence_id: row.get(1),
            taxonomy_id: row.get(2),
            organism: row.get(3),
            gene_name: row.get(4),
        });
    }
    let proteins_read = raw_proteins.len() as u64;
    let mut annotations: HashMap<String, Vec<TermAnnotation>> = HashMap::new();
    {
        let mut tx = client.transaction().map_err(q("a transaction"))?;
        let sql = "SELECT a.protein_id::text, a.go_id::text, a.evidence_code::text, \
                   t.category::text FROM protein_go_term_annotation a \
                   LEFT JOIN go_terms t ON t.go_id = a.go_id";
        stream(&mut tx, sql, &[], options.batch_rows, |row| {
            let protein: String = row.get(0);
            let go_id: String = row.get(1);
            let evidence: Option<String> = row.get(2);
            let category: Option<String> = row.get(3);
            if let Some(a) = filter_annotation(
                &ontology,
                &options.evidence_codes,
                &go_id,
                evidence,
                category,
                &mut dropped,
            ) {
                // PIS keeps one row per (protein, GO id); repeats appear when alt ids map to
                // one primary id. A protein has few annotations: a scan beats a global set.
                let list = annotations.entry(protein).or_default();
                if list
                    .iter()
                    .any(|x| x.go_id == a.go_id && x.evidence == a.evidence)
                {
                    dropped.annotations_duplicate += 1;
                } else {
                    list.push(a);
                }
            }
        })
        .map_err(q("protein_go_term_annotation"))?;
        tx.commit().map_err(q("a transaction"))?;
    }

    // Keep proteins with annotations, a sequence and every selected vector.
    let mut report = Counters::default();
    let mut kept = Vec::new();
    let known_proteins: HashSet<&str> = raw_proteins.iter().map(|p| p.id.as_str()).collect();
    dropped.annotations_without_sequence = annotations
        .iter()
        .filter(|(id, _)| !known_proteins.contains(id.as_str()))
        .map(|(_, a)| a.len() as u64)
        .sum();
    drop(known_proteins);
    for p in raw_proteins {
        let Some(anns) = annotations.remove(&p.id) else {
            dropped.proteins_without_annotation += 1;
            continue;
        };
        let Some(seq) = p.sequence_id else {
            report.without_sequence += 1;
            dropped.annotations_without_sequence += anns.len() as u64;
            continue;
        };
        if pairs.values().any(|pair| !pair.sequences.contains(&seq)) {
            report.without_embedding += 1;
            continue;
        }
        let accession = accessions
            .get(&p.id)
            .cloned()
            .unwrap_or_else(|| p.id.clone());
        kept.push((accession, p, seq, anns));
    }
    drop(annotations);
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    if kept.windows(2).any(|w| w[0].0 == w[1].0) {
        let dup = kept.windows(2).find(|w| w[0].0 == w[1].0).expect("found");
        return Err(PisError::Content {
            url: shown,
            message: format!(
                "accession {} is the primary accession of proteins {} and {}",
                dup[0].0, dup[0].1.id, dup[1].1.id
            ),
        });
    }

    // Sequences: fetch the kept ones, drop empty ones, merge equal strings into one row.
    let wanted_seqs: Vec<i64> = kept
        .iter()
        .map(|k| k.2)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut seq_text: HashMap<i64, String> = HashMap::with_capacity(wanted_seqs.len());
    for chunk in wanted_seqs.chunks(ID_CHUNK) {
        for row in client
            .query(
                "SELECT id::int8, sequence::text FROM sequence WHERE id = ANY($1::int8[])",
                &[&chunk],
            )
            .map_err(q("sequence"))?
        {
            let s: Option<String> = row.get(1);
            if let Some(s) = s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
                seq_text.insert(row.get(0), s);
            }
        }
    }
    let before = kept.len();
    kept.retain(|k| seq_text.contains_key(&k.2));
    report.without_sequence += (before - kept.len()) as u64;
    if let Some(limit) = options.limit {
        if kept.len() > limit {
            report.over_limit = (kept.len() - limit) as u64;
            kept.truncate(limit);
        }
    }
    if kept.is_empty() {
        return Err(PisError::Content {
            url: shown,
            message: format!(
                "no protein is left to import: of {proteins_read}, {} have no annotation passing \
                 the evidence filter {:?}, {} lack a vector of the selected models/layers, {} \
                 have no sequence",
                dropped.proteins_without_annotation,
                options.evidence_codes.to_list(),
                report.without_embedding,
                report.without_sequence
            ),
        });
    }

    let mut tables = ReferenceTables::default();
    let mut row_of_md5: HashMap<String, u32> = HashMap::new();
    // The PIS sequence id whose vectors fill each row (the first one to claim it).
    let mut owner: HashMap<i64, u32> = HashMap::new();
    let mut used_terms = BTreeSet::new();
    for (accession, p, seq, anns) in kept {
        let text = seq_text.get(&seq).expect("retained above");
        let md5 = sequence_md5(text);
        let row = match row_of_md5.get(&md5) {
            Some(&r) => r,
            None => {
                let r = tables.sequences.len() as u32;
                tables.sequences.push(text.clone());
                tables.md5s.push(md5.clone());
                row_of_md5.insert(md5, r);
                owner.insert(seq, r);
                r
            }
        };
        let taxonomy_id = parse_taxonomy(p.taxonomy_id.as_deref());
        if taxonomy_id.is_none()
            && p.taxonomy_id
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
        {
            report.taxonomy_unparsed += 1;
        }
        used_terms.extend(anns.iter().map(|a| a.go_id.clone()));
        tables.proteins.push(Protein {
            accession,
            sequence_row: row,
            taxonomy_id,
            organism: p.organism.filter(|s| !s.is_empty()),
            gene_name: p.gene_name.filter(|s| !s.is_empty()),
        });
        tables.annotations.push(anns);
    }
    drop(seq_text);
    tables.terms = used_terms
        .iter()
        .map(|id| {
            let t = ontology.term(id).expect("resolved through the ontology");
            TermInfo {
                go_id: id.clone(),
                name: t.name.clone(),
                aspect: t.aspect,
            }
        })
        .collect();
    let tables_digest = digest_tables(&tables);

    // The folder: tables first, then each matrix streamed from the server.
    let mut writer = ReferenceWriter::create(out, &tables, OntologyInput::File(&options.ontology))?;
    let n_rows = tables.sequences.len();
    drop(tables);
    let mut models = Vec::new();
    let mut sources = vec![file_source("ontology", &options.ontology)?];
    let mut embedding_sources = Vec::new();
    for pair in pairs.values() {
        let t = &types[pair.type_index];
        let (mapping, source) = copy_matrix(
            &mut client,
            &mut writer,
            &shown,
            t,
            pair.layer,
            &schema,
            &owner,
            n_rows,
            options,
        )?;
        tracing::info!(
            "{shown}: type {} ({}) layer {} -> {} layer {} ({} x {}, {})",
            t.id,
            t.name,
            pair.layer,
            mapping.model,
            mapping.layer,
            n_rows,
            mapping.dim,
            mapping.precision.as_str()
        );
        models.push(mapping);
        embedding_sources.push(source);
    }

    let mut pis_hash = Sha256::new();
    pis_hash.update(tables_digest.as_bytes());
    for s in &embedding_sources {
        pis_hash.update(s.sha256.as_bytes());
    }
    sources.push(SourceEntry {
        role: "pis".to_string(),
        location: shown.clone(),
        sha256: hex::encode(pis_hash.finalize()),
        size: embedding_sources.iter().map(|s| s.size).sum(),
    });
    sources.extend(embedding_sources);
    let mut fp = Sha256::new();
    for s in &sources {
        fp.update(format!("{}\t{}\t{}\n", s.role, s.location, s.sha256).as_bytes());
    }
    fp.update(format!("{:?}\n", options.evidence_codes.to_list()).as_bytes());
    let mut provenance = Provenance::new(hex::encode(fp.finalize()));
    provenance.sources = sources;
    provenance.evidence_codes = options.evidence_codes.to_list();
    provenance.dropped = dropped;
    let manifest = writer.commit(provenance)?;
    if report.without_embedding > 0 {
        tracing::warn!(
            "{shown}: {} annotated proteins left out: their sequence lacks a vector of a \
             selected model/layer (select fewer with --model/--layer to keep them)",
            report.without_embedding
        );
    }
    Ok(ImportReport {
        proteins_without_annotation: manifest.dropped.proteins_without_annotation,
        manifest,
        models,
        proteins_read,
        proteins_without_embedding: report.without_embedding,
        proteins_without_sequence: report.without_sequence,
        proteins_over_limit: report.over_limit,
        taxonomy_ids_unparsed: report.taxonomy_unparsed,
    })
}

#[derive(Default)]
struct Counters {
    without_sequence: u64,
    without_embedding: u64,
    over_limit: u64,
    taxonomy_unparsed: u64,
}

struct RawProtein {
    id: String,
    sequence_id: Option<i64>,
    taxonomy_id: Option<String>,
    organism: Option<String>,
    gene_name: Option<String>,
}

/// Checks that every table and column the import reads exists; finds the vector type and
/// whether layers are stored.
fn check_schema(client: &mut Client, shown: &str) -> Result<Schema, PisError> {
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text, udt_name::text \
             FROM information_schema.columns WHERE table_schema = current_schema()",
            &[],
        )
        .map_err(|source| PisError::Query {
            url: shown.to_string(),
            what: "the schema".into(),
            source,
        })?;
    let mut columns: HashMap<String, HashMap<String, String>> = HashMap::new();
    for r in rows {
        columns
            .entry(r.get(0))
            .or_default()
            .insert(r.get(1), r.get(2));
    }
    let mut missing = Vec::new();
    for (table, cols) in REQUIRED {
        match columns.get(*table) {
            None => missing.push(format!("table `{table}`")),
            Some(have) => {
                for c in cols.iter().filter(|c| !have.contains_key(**c)) {
                    missing.push(format!("column `{table}.{c}`"));
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(PisError::NotPis {
            url: shown.to_string(),
            missing: format!("missing {}", missing.join(", ")),
        });
    }
    let emb = &columns["sequence_embeddings"];
    let udt = &emb["embedding"];
    let kind = VectorKind::from_type_name(udt).ok_or_else(|| PisError::UnsupportedVectorType {
        url: shown.to_string(),
        found: udt.clone(),
    })?;
    Ok(Schema {
        kind,
        has_layer_index: emb.contains_key("layer_index"),
    })
}

/// The embedding types with their homolog names.
fn read_types(client: &mut Client, shown: &str) -> Result<Vec<PisType>, PisError> {
    let rows = client
        .query(
            "SELECT id::int4, name::text, model_name::text FROM sequence_embedding_type \
             ORDER BY id",
            &[],
        )
        .map_err(|source| PisError::Query {
            url: shown.to_string(),
            what: "sequence_embedding_type".into(),
            source,
        })?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let id: i32 = r.get(0);
            let name: String = r.get(1);
            let model_name: Option<String> = r.get(2);
            let (model, known) = homolog_model(&name, model_name.as_deref());
            PisType {
                id,
                name,
                model_name,
                model,
                known,
            }
        })
        .collect())
}

/// homolog's model name for a PIS type: the registry's canonical name for its `name` or
/// `model_name`, else the PIS name made into a folder name.
pub(crate) fn homolog_model(name: &str, model_name: Option<&str>) -> (String, bool) {
    for candidate in std::iter::once(name).chain(model_name) {
        if let Ok(info) = homolog_embed::registry::resolve(candidate) {
            return (info.name.to_string(), true);
        }
    }
    let own: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    (
        if own.is_empty() {
            "pis_model".into()
        } else {
            own
        },
        false,
    )
}

/// Indexes (into `types`) of the types the options select.
fn select_types(types: &[PisType], wanted: &[String]) -> Result<Vec<usize>, PisError> {
    if wanted.is_empty() {
        return Ok((0..types.len()).collect());
    }
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut out = Vec::new();
    for w in wanted {
        let canonical = homolog_embed::registry::resolve(w).ok().map(|b| b.name);
        let found: Vec<usize> = types
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.id.to_string() == w.trim()
                    || norm(&t.name) == norm(w)
                    || norm(&t.model) == norm(w)
                    || canonical.is_some_and(|c| t.known && t.model == c)
            })
            .map(|(i, _)| i)
            .collect();
        if found.is_empty() {
            return Err(PisError::Options(format!(
                "model `{w}` is not an embedding type of this PIS database; its types are: {}",
                types
                    .iter()
                    .map(|t| format!("{} (`{}`, homolog `{}`)", t.id, t.name, t.model))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        for i in found {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    Ok(out)
}

/// "type (name) layer k: n vectors" for every pair in the table, for an error message.
fn list_available(
    client: &mut Client,
    types: &[PisType],
    layer_expr: &str,
) -> Result<String, postgres::Error> {
    let rows = client.query(
        &format!(
            "SELECT embedding_type_id::int4, ({layer_expr})::int4, count(*) \
             FROM sequence_embeddings GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        &[],
    )?;
    if rows.is_empty() {
        return Ok("none (sequence_embeddings is empty)".into());
    }
    Ok(rows
        .iter()
        .map(|r| {
            let id: i32 = r.get(0);
            let layer: i32 = r.get(1);
            let n: i64 = r.get(2);
            let name = types
                .iter()
                .find(|t| t.id == id)
                .map_or("?".to_string(), |t| {
                    format!("{}, homolog `{}`", t.name, t.model)
                });
            format!("type {id} ({name}) layer {layer}: {n} vectors")
        })
        .collect::<Vec<_>>()
        .join("; "))
}

/// protein id -> its primary accession (the smallest code marked primary; else the smallest).
fn read_accessions(client: &mut Client) -> Result<HashMap<String, String>, postgres::Error> {
    let mut best: HashMap<String, (bool, String)> = HashMap::new();
    for r in client.query(
        "SELECT protein_id::text, code::text, coalesce(\"primary\", false) FROM accession \
         WHERE protein_id IS NOT NULL",
        &[],
    )? {
        let (protein, code, primary): (String, String, bool) = (r.get(0), r.get(1), r.get(2));
        let code = code.trim().to_string();
        if code.is_empty() {
            continue;
        }
        let entry = best.entry(protein).or_insert((primary, code.clone()));
        if (primary, std::cmp::Reverse(&code)) > (entry.0, std::cmp::Reverse(&entry.1)) {
            *entry = (primary, code);
        }
    }
    Ok(best.into_iter().map(|(k, (_, c))| (k, c)).collect())
}

/// One annotation after the evidence filter and the ontology, or `None` (counted in
/// `dropped`).
fn filter_annotation(
    ontology: &Ontology,
    codes: &EvidenceCodes,
    go_id: &str,
    evidence: Option<String>,
    category: Option<String>,
    dropped: &mut Dropped,
) -> Option<TermAnnotation> {
    let evidence = evidence
        .map(|e| e.trim().to_ascii_uppercase())
        .filter(|e| !e.is_empty() && e != "UNKNOWN");
    match &evidence {
        None if *codes != EvidenceCodes::All => {
            dropped.annotations_without_evidence += 1;
            return None;
        }
        Some(code) if !codes.allows(code) => {
            dropped.annotations_by_evidence += 1;
            return None;
        }
        _ => {}
    }
    let go_id = go_id.trim();
    let Some(primary) = ontology.resolve(go_id) else {
        dropped.annotations_unknown_term += 1;
        return None;
    };
    let Some(term) = ontology.term(primary) else {
        dropped.annotations_unknown_term += 1;
        return None;
    };
    if term.obsolete {
        dropped.annotations_obsolete_term += 1;
        return None;
    }
    if primary != go_id {
        dropped.annotations_alt_id_mapped += 1;
    }
    let from_category = category.as_deref().and_then(|c| Aspect::parse(c.trim()));
    Some(TermAnnotation {
        go_id: primary.to_string(),
        aspect: term.aspect.or(from_category),
        evidence,
    })
}

/// The NCBI taxon of PIS's text column (the first of a comma-separated list).
fn parse_taxonomy(text: Option<&str>) -> Option<u32> {
    text?.split(',').next()?.trim().parse().ok()
}

/// A SHA-256 over the tables as written (rows in order), for the manifest.
fn digest_tables(t: &ReferenceTables) -> String {
    let mut h = Sha256::new();
    for (p, anns) in t.proteins.iter().zip(&t.annotations) {
        h.update(
            format!(
                "{}\t{}\t{:?}\t{:?}\t{:?}\n",
                p.accession,
                t.md5s[p.sequence_row as usize],
                p.taxonomy_id,
                p.organism,
                p.gene_name
            )
            .as_bytes(),
        );
        for a in anns {
            h.update(format!("\t{}\t{:?}\n", a.go_id, a.evidence).as_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// The manifest entry of a local file (SHA-256 and size).
fn file_source(role: &str, path: &Path) -> Result<SourceEntry, PisError> {
    let bytes = std::fs::read(path).map_err(|e| {
        PisError::Reference(homolog_reference::ReferenceError::Io {
            action: "reading",
            path: path.to_path_buf(),
            source: e,
        })
    })?;
    Ok(SourceEntry {
        role: role.to_string(),
        location: path.display().to_string(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        size: bytes.len() as u64,
    })
}

/// Streams the vectors of one (type, layer) into a new matrix of `writer`.
#[allow(clippy::too_many_arguments)]
fn copy_matrix(
    client: &mut Client,
    writer: &mut ReferenceWriter,
    shown: &str,
    t: &PisType,
    layer: i32,
    schema: &Schema,
    owner: &HashMap<i64, u32>,
    n_rows: usize,
    options: &ImportOptions,
) -> Result<(ModelMapping, SourceEntry), PisError> {
    let what = format!("vectors of type {} ({}) layer {layer}", t.id, t.name);
    let q = |source| PisError::Query {
        url: shown.to_string(),
        what: what.clone(),
        source,
    };
    let precision = options.precision.unwrap_or(match schema.kind {
        VectorKind::HalfVec => Precision::F16,
        VectorKind::Vector => Precision::F32,
    });
    let mut sql = "SELECT sequence_id::int8, embedding FROM sequence_embeddings \
                   WHERE embedding_type_id = $1::int4"
        .to_string();
    if schema.has_layer_index {
        sql.push_str(" AND layer_index = $2::int4");
    } else {
        sql.push_str(" AND $2::int4 = 0");
    }
    // With a limit few sequences are wanted: let the server skip the others.
    let ids: Vec<i64> = owner.keys().copied().collect();
    let restrict = options.limit.is_some();
    if restrict {
        sql.push_str(" AND sequence_id = ANY($3::int8[])");
    }
    let mut tx = client.transaction().map_err(q)?;
    let params: Vec<&(dyn ToSql + Sync)> = if restrict {
        vec![&t.id, &layer, &ids]
    } else {
        vec![&t.id, &layer]
    };
    let portal = tx.bind(sql.as_str(), &params).map_err(q)?;
    let mut matrix = None;
    let mut written = vec![false; n_rows];
    let mut row_hashes = vec![[0u8; 32]; n_rows];
    let mut dim = 0;
    loop {
        let rows = tx
            .query_portal(&portal, options.batch_rows.min(i32::MAX as usize) as i32)
            .map_err(q)?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            let seq: i64 = r.get(0);
            let Some(&row) = owner.get(&seq) else {
                continue;
            };
            let row = row as usize;
            if written[row] {
                continue; // a repeated (sequence, type) row of an old PIS: the first wins
            }
            let v: PgVector = r.try_get(1).map_err(q)?;
            if matrix.is_none() {
                dim = v.values.len();
                matrix = Some(writer.matrix(MatrixSpec {
                    model: t.model.clone(),
                    backend: t.model.clone(),
                    embedding_type_id: t.id as u32,
                    layer: layer as usize,
                    precision,
                    dim,
                })?);
            }
            if v.values.len() != dim {
                return Err(PisError::Content {
                    url: shown.to_string(),
                    message: format!(
                        "{what}: sequence {seq} has {} values, others have {dim}",
                        v.values.len()
                    ),
                });
            }
            let m = matrix.as_mut().expect("created above");
            m.write_row(row, &v.values)?;
            let mut h = Sha256::new();
            for x in &v.values {
                h.update(x.to_le_bytes());
            }
            row_hashes[row] = h.finalize().into();
            written[row] = true;
        }
    }
    drop(portal);
    tx.commit().map_err(q)?;
    let Some(matrix) = matrix else {
        return Err(PisError::Content {
            url: shown.to_string(),
            message: format!("{what}: none of the imported sequences has a vector"),
        });
    };
    writer.add_matrix(matrix)?;
    let mut h = Sha256::new();
    for r in &row_hashes {
        h.update(r);
    }
    let value_bytes = match schema.kind {
        VectorKind::HalfVec => 2,
        VectorKind::Vector => 4,
    };
    let mapping = ModelMapping {
        type_id: t.id as u32,
        pis_name: t.name.clone(),
        pis_model_name: t.model_name.clone(),
        model: t.model.clone(),
        known: t.known,
        layer: layer as usize,
        kind: schema.kind,
        dim,
        precision,
    };
    let source = SourceEntry {
        role: format!("embeddings:{}:{}", t.model, layer),
        location: format!(
            "{shown} sequence_embeddings: embedding_type_id {} ({}{}), layer_index {layer}, {}",
            t.id,
            t.name,
            t.model_name
                .as_deref()
                .map_or(String::new(), |m| format!(", {m}")),
            schema.kind.type_name()
        ),
        sha256: hex::encode(h.finalize()),
        size: (n_rows * dim * value_bytes) as u64,
    };
    Ok((mapping, source))
}

/// Runs `sql` through a portal and hands each row to `f`, `batch` rows per round trip.
fn stream(
    tx: &mut Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    batch: usize,
    mut f: impl FnMut(&Row),
) -> Result<(), postgres::Error> {
    let portal = tx.bind(sql, params)?;
    loop {
        let rows = tx.query_portal(&portal, batch.min(i32::MAX as usize) as i32)?;
        if rows.is_empty() {
            return Ok(());
        }
        rows.iter().for_each(&mut f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pis_type_names_map_to_the_registry() {
        for (name, model_name, want) in [
            ("ESM", Some("facebook/esm2_t33_650M_UR50D"), "esm2"),
            ("Prost-T5", Some("Rostlab/ProstT5"), "prost_t5"),
            ("Prot-T5", Some("Rostlab/prot_t5_xl_uniref50"), "prot_t5"),
            ("Ankh3-Large", Some("ElnaggarLab/ankh3-large"), "ankh3"),
            ("ESM3c", Some("esmc_600m"), "esmc"),
            ("whatever", Some("Rostlab/prot_t5_xl_uniref50"), "prot_t5"),
        ] {
            assert_eq!(homolog_model(name, model_name), (want.to_string(), true));
        }
        assert_eq!(
            homolog_model("My Model/v2", None),
            ("my_model_v2".to_string(), false)
        );
        assert_eq!(homolog_model("../x", None), ("___x".to_string(), false));
        assert_eq!(homolog_model(" ", None), ("pis_model".to_string(), false));
    }

    #[test]
    fn taxonomy_text_parses() {
        assert_eq!(parse_taxonomy(Some("9606")), Some(9606));
        assert_eq!(parse_taxonomy(Some(" 559292 , 4932")), Some(559292));
        assert_eq!(parse_taxonomy(Some("human")), None);
        assert_eq!(parse_taxonomy(None), None);
    }

    #[test]
    fn redacts_the_password() {
        let c: Config = "postgres://fantasia:secret@db.example:5433/BioData"
            .parse()
            .unwrap();
        assert_eq!(
            redact_url(&c),
            "postgres://fantasia@db.example:5433/BioData"
        );
    }
}
