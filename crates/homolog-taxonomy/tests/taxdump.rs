//! Taxdump loading: the real Web-of-Life subset in `$HOMOLOG_DATA` (reported by homolog-testkit
//! when absent: a failure with HOMOLOG_REQUIRE_DATA) and damaged hand-made dumps.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use homolog_taxonomy::{TaxonFilter, Taxonomy, TaxonomyError};

fn wol() -> Option<Taxonomy> {
    let dir = homolog_testkit::data_root()?.join("taxonomy");
    Some(
        Taxonomy::from_taxdump(
            &dir.join("wol_taxdump_nodes.dmp.gz"),
            Some(&dir.join("wol_taxdump_names.dmp.gz")),
        )
        .unwrap(),
    )
}

#[test]
fn wol_taxdump_loads_with_names_and_lineages() {
    let Some(t) = wol() else { return };
    assert_eq!(t.len(), 16_388);
    assert_eq!(
        t.lineage(562),
        [562, 561, 543, 91347, 1236, 1224, 2, 131567, 1]
    );
    let ranks: Vec<&str> = t.lineage(562).iter().map(|&x| t.rank(x).unwrap()).collect();
    assert_eq!(
        ranks[..7],
        [
            "species",
            "genus",
            "family",
            "order",
            "class",
            "phylum",
            "superkingdom"
        ]
    );
    assert_eq!(t.name(562), Some("Escherichia coli"));
    assert_eq!(t.name(2), Some("Bacteria"));
    assert_eq!(t.name(1), Some("root"));
    // Every lineage ends at the root 1.
    for taxid in t.taxids() {
        assert_eq!(t.lineage(taxid).last(), Some(&1), "lineage of {taxid}");
    }
    assert_eq!(t.depth(1), Some(0));
    assert_eq!(t.depth(562), Some(8));
    assert_eq!(t.parent(1), None);
    // Eukaryotes are not in this subset.
    assert!(!t.contains(9606) && t.lineage(9606).is_empty());
}

#[test]
fn wol_subtrees_are_disjoint_and_complete() {
    let Some(t) = wol() else { return };
    let bacteria = t.descendants(2);
    let archaea = t.descendants(2157);
    assert_eq!(bacteria.len(), 15_344);
    assert_eq!(archaea.len(), 1_042);
    assert_eq!(bacteria[0], 2);
    assert!(!archaea.iter().any(|x| bacteria.contains(x)));
    assert_eq!(t.descendants(1).len(), 16_388);
    let coli = t.descendants(562);
    assert_eq!(coli.len(), 9);
    assert!(coli.contains(&83334));
    assert!(coli
        .iter()
        .all(|&x| t.is_within(x, 562) && t.is_within(x, 2)));
    assert!(archaea.iter().all(|&x| !t.is_within(x, 2)));
    assert_eq!(t.common_ancestor(562, 2158), Some(131567));
    assert_eq!(t.common_ancestor(83334, 561), Some(561));
}

#[test]
fn wol_filter_keeps_only_the_included_subtree() {
    let Some(t) = wol() else { return };
    let filter = TaxonFilter {
        include_only: vec![1224], // Proteobacteria
        exclude: vec![543],       // minus Enterobacteriaceae
        with_descendants: true,
    };
    let compiled = filter.compile(&t);
    assert!(compiled.unknown_ids().is_empty());
    let mut allowed = 0;
    for taxid in t.taxids() {
        let a = compiled.allows(Some(taxid));
        assert_eq!(a, filter.allows(Some(taxid), Some(&t)), "taxid {taxid}");
        assert_eq!(
            a,
            t.is_within(taxid, 1224) && !t.is_within(taxid, 543),
            "taxid {taxid}"
        );
        allowed += a as usize;
    }
    assert_eq!(
        allowed,
        t.descendants(1224).len() - t.descendants(543).len()
    );
    assert!(!compiled.allows(Some(562)));
    assert!(!compiled.allows(None));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

const NODES: &str = "1\t|\t1\t|\tno rank\t|\t\t|\t8\t|\n\
                     2\t|\t1\t|\tsuperkingdom\t|\t\t|\t0\t|\n\
                     562\t|\t2\t|\tspecies\t|\t\t|\t0\t|\n";
const NAMES: &str = "1\t|\troot\t|\t\t|\tscientific name\t|\n\
                     2\t|\teubacteria\t|\t\t|\tgenbank common name\t|\n\
                     2\t|\tBacteria\t|\tBacteria <prokaryotes>\t|\tscientific name\t|\n\
                     562\t|\tEscherichia coli\t|\t\t|\tscientific name\t|\n\
                     999\t|\tNot in nodes\t|\t\t|\tscientific name\t|\n";

#[test]
fn small_dump_plain_gzip_and_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write(
        dir.path(),
        "nodes.dmp",
        NODES.replace('\n', "\r\n").as_bytes(),
    );
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(NAMES.as_bytes()).unwrap();
    let names = write(dir.path(), "names.dmp", &enc.finish().unwrap());
    let t = Taxonomy::from_taxdump(&nodes, Some(&names)).unwrap();
    assert_eq!(t.lineage(562), [562, 2, 1]);
    assert_eq!(
        t.name(2),
        Some("Bacteria"),
        "only scientific names are kept"
    );
    assert_eq!(t.rank(562), Some("species"));
    let no_names = Taxonomy::from_taxdump(&nodes, None).unwrap();
    assert_eq!(no_names.name(2), None);
}

fn load_err(nodes: &[u8], names: Option<&[u8]>) -> TaxonomyError {
    let dir = tempfile::tempdir().unwrap();
    let n = write(dir.path(), "nodes.dmp", nodes);
    let m = names.map(|b| write(dir.path(), "names.dmp", b));
    match Taxonomy::from_taxdump(&n, m.as_deref()) {
        Ok(t) => panic!("expected an error, loaded {} nodes", t.len()),
        Err(e) => e,
    }
}

#[test]
fn damaged_dumps_report_file_and_line() {
    let err = load_err(b"1\t|\t1\t|\tno rank\t|\nx2\t|\t1\t|\tgenus\t|\n", None);
    assert!(matches!(err, TaxonomyError::Parse { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("nodes.dmp:2:"), "{err}");

    let err = load_err(b"1\t|\t1\t|\tno rank\t|\n2\t|\t1\t|\n", None);
    assert!(err.to_string().contains("fewer than 3 fields"), "{err}");

    let err = load_err(b"1\t|\t1\t|\tno rank\t|\n2\t|\t5\t|\tgenus\t|\n", None);
    assert!(
        matches!(
            err,
            TaxonomyError::MissingParent {
                line: 2,
                parent: 5,
                ..
            }
        ),
        "{err}"
    );

    let err = load_err(b"1\t|\t1\t|\tno rank\t|\n\n1\t|\t1\t|\tno rank\t|\n", None);
    assert!(
        matches!(
            err,
            TaxonomyError::DuplicateTaxid {
                line: 3,
                first_line: 1,
                ..
            }
        ),
        "{err}"
    );

    let err = load_err(
        b"1\t|\t1\t|\tr\t|\n2\t|\t3\t|\tr\t|\n3\t|\t2\t|\tr\t|\n",
        None,
    );
    assert!(matches!(err, TaxonomyError::Cycle { .. }), "{err}");

    let err = load_err(b"\n\n", None);
    assert!(matches!(err, TaxonomyError::Empty { .. }), "{err}");

    let err = load_err(b"1\t|\t1\t|\tno\0rank\t|\n", None);
    assert!(
        matches!(err, TaxonomyError::NotText { line: 1, .. }),
        "{err}"
    );

    let err = load_err(NODES.as_bytes(), Some(b"1\t|\troot\t|\n"));
    assert!(matches!(err, TaxonomyError::Parse { line: 1, .. }), "{err}");
    assert!(err.to_string().contains("names.dmp:1:"), "{err}");

    let err = Taxonomy::from_taxdump(Path::new("/nonexistent/nodes.dmp"), None).unwrap_err();
    assert!(matches!(err, TaxonomyError::Io { .. }), "{err}");
}

#[test]
fn truncated_gzip_taxdump_is_a_gzip_error() {
    let whole = match homolog_testkit::data_root() {
        Some(d) => fs::read(d.join("taxonomy/wol_taxdump_nodes.dmp.gz")).unwrap(),
        None => {
            let mut enc = GzEncoder::new(Vec::new(), Compression::default());
            for i in 2..20_000u32 {
                writeln!(enc, "{i}\t|\t1\t|\tspecies\t|").unwrap();
            }
            enc.finish().unwrap()
        }
    };
    let err = load_err(&whole[..whole.len() / 2], None);
    assert!(matches!(err, TaxonomyError::Gzip { .. }), "{err}");
}

#[test]
fn merged_dmp_translates_retired_ids() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = write(dir.path(), "nodes.dmp", NODES.as_bytes());
    let mut t = Taxonomy::from_taxdump(&nodes, None).unwrap();
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(b"12\t|\t562\t|\n\n13\t|\t999\t|\n").unwrap();
    let merged = write(dir.path(), "merged.dmp.gz", &enc.finish().unwrap());
    assert_eq!(t.load_merged(&merged).unwrap(), 2);
    assert_eq!(t.resolve(12), Some(562));
    assert_eq!(t.resolve(562), Some(562));
    assert_eq!(t.resolve(13), None, "merged into an id that is not a node");
    assert_eq!(t.resolve(14), None);
    // The tree walks keep taking node ids only.
    assert!(t.lineage(12).is_empty());
    assert_eq!(
        t.pair_features(Some(12), Some(2)).taxonomic_lca,
        Some(2),
        "pair features use the translation"
    );

    let bad = write(dir.path(), "bad.dmp", b"12\t|\t562\t|\nx\t|\t2\t|\n");
    let err = t.load_merged(&bad).unwrap_err();
    assert!(matches!(err, TaxonomyError::Parse { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("merged.dmp line"), "{err}");
    let short = write(dir.path(), "short.dmp", b"12\n");
    let err = t.load_merged(&short).unwrap_err();
    assert!(err.to_string().contains("fewer than 2 fields"), "{err}");
}
