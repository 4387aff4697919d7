//! Gene Ontology: the OBO ontology graph and GO annotation files.
//!
//! CONTRACT:
//! - `Aspect::{BiologicalProcess, MolecularFunction, CellularComponent}` with `code() -> char`
//!   ('P','F','C'), `namespace() -> &str` ("biological_process", ...), `short() -> &str`
//!   ("BPO","MFO","CCO"), and `Aspect::parse(&str)` accepting all of those spellings.
//! - `obo::Ontology::from_path(path)` (plain or gzip) / `from_reader`; `Term { id, name,
//!   namespace: String, aspect: Option<Aspect>, is_a: Vec<String>, part_of: Vec<String>,
//!   alt_ids, obsolete: bool, replaced_by: Vec<String> }`. Ids are strings so non-GO OBOs
//!   (e.g. IDPO) work. `Ontology::term(id)`, `resolve(id) -> Option<&str>` (alt_id -> primary),
//!   `ancestors(id) -> HashSet<String>` (is_a + part_of closure, without id itself),
//!   `propagate(ids) -> HashSet<String>` (ids plus all ancestors),
//!   `leaves(ids) -> Vec<String>` (drop every id that is an ancestor of another id in the set).
//! - `annotation::Annotation { accession, go_id, aspect: Option<Aspect>, evidence: Option<String>,
//!   taxon: Option<u32> }`; `annotation::read_path(path, AnnotationFormat::{Auto, Gaf, Tsv})`
//!   (GAF 2.x; TSV accession<TAB>GO<TAB>aspect[<TAB>evidence]); GAF `NOT` qualifiers dropped.
//! - `EXPERIMENTAL_EVIDENCE: &[&str] = [EXP, IDA, IPI, IMP, IGI, IEP, TAS, IC]`.
//! - `GoError` (thiserror) naming path and line.
