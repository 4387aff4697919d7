//! NCBI taxonomy from a taxdump (`nodes.dmp`, `names.dmp`, plain or gzip).
//!
//! homolog uses the taxonomy for two things: the lookup's taxonomy filter (FANTASIA's
//! include-only / exclude lists of taxon ids, optionally expanded to every descendant), and the
//! taxonomic features of the research export (lineages, common ancestors). Both need fast parent
//! walks and subtree listings over up to a few million nodes, so the tree is stored as dense
//! arrays: taxid -> index map, parent index per node, and a children index (CSR layout) built
//! once at load time. Names are kept in one string arena and ranks are interned.
//!
//! Input format: NCBI's `\t|\t`-separated lines ending in `\t|` (lines without the tabs are
//! accepted too); `nodes.dmp` fields are `taxid, parent taxid, rank, ...`, `names.dmp` fields
//! `taxid, name, unique name, name class` of which only `scientific name` rows are kept. Gzip is
//! detected by magic bytes. A node whose parent is itself is a root (NCBI's `1`); every other
//! parent must be in the file and the parent links must not form a cycle, which is checked at
//! load time so walks never loop. Errors ([`TaxonomyError`]) name the file and line.
//!
//! # Main types
//!
//! - [`Taxonomy`]: the tree (or forest). Load it with [`Taxonomy::from_taxdump`] or build it in
//!   memory with [`Taxonomy::from_parts`]. Queries: [`parent`](Taxonomy::parent) (`None` for a
//!   root or an unknown taxid), [`name`](Taxonomy::name), [`rank`](Taxonomy::rank),
//!   [`depth`](Taxonomy::depth), [`lineage`](Taxonomy::lineage) (taxid first, root last),
//!   [`descendants`](Taxonomy::descendants) (taxid first, then its subtree in pre-order),
//!   [`is_within`](Taxonomy::is_within), [`common_ancestor`](Taxonomy::common_ancestor),
//!   [`expand`](Taxonomy::expand), [`contains`](Taxonomy::contains), [`len`](Taxonomy::len),
//!   [`taxids`](Taxonomy::taxids).
//! - Merged (retired) ids: [`Taxonomy::load_merged`] reads NCBI's `merged.dmp` (or
//!   [`Taxonomy::add_merged`] one pair); [`Taxonomy::resolve`] translates an id the way ete3
//!   does. Only the pair features use the translation; the tree walks take node ids.
//! - [`Taxonomy::pair_features`] -> [`TaxonomyPairFeatures`]: the research export's taxonomy
//!   columns for a (query, reference) pair (`taxonomic_lca`, `taxonomic_distance`,
//!   `taxonomic_common_ancestors`, `taxonomic_relation` as a [`TaxonomicRelation`]) with
//!   PROTEA's exact rules, documented in [`pair`]; [`parse_taxid`] normalises raw ids as
//!   PROTEA does. `docs/export.md` describes the columns.
//! - [`TaxonFilter`] `{ include_only, exclude, with_descendants }`: the lookup's filter.
//!   [`TaxonFilter::allows`] answers one question by walking the lineage;
//!   [`TaxonFilter::compile`] (or [`TaxonFilter::compile_without_taxonomy`]) expands the lists
//!   once into a [`CompiledTaxonFilter`] whose `allows` is O(1). Semantics: an empty
//!   `include_only` allows everything, `exclude` wins over `include_only`, a protein without a
//!   taxid passes only when `include_only` is empty, and ids not in the taxonomy match only
//!   themselves.
//!
//! # Examples
//!
//! Loading a taxdump from files (here a tiny one written to a temporary directory):
//!
//! ```rust
//! use homolog_taxonomy::Taxonomy;
//!
//! let dir = std::env::temp_dir().join(format!("homolog_tax_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let nodes = dir.join("nodes.dmp");
//! let names = dir.join("names.dmp");
//! std::fs::write(
//!     &nodes,
//!     "1\t|\t1\t|\tno rank\t|\n\
//!      2\t|\t1\t|\tsuperkingdom\t|\n\
//!      561\t|\t2\t|\tgenus\t|\n\
//!      562\t|\t561\t|\tspecies\t|\n\
//!      83333\t|\t562\t|\tstrain\t|\n",
//! )?;
//! std::fs::write(
//!     &names,
//!     "1\t|\troot\t|\t\t|\tscientific name\t|\n\
//!      2\t|\tBacteria\t|\tBacteria <bacteria>\t|\tscientific name\t|\n\
//!      2\t|\teubacteria\t|\t\t|\tgenbank common name\t|\n\
//!      562\t|\tEscherichia coli\t|\t\t|\tscientific name\t|\n",
//! )?;
//!
//! let tax = Taxonomy::from_taxdump(&nodes, Some(&names))?;
//! assert_eq!(tax.len(), 5);
//! assert_eq!(tax.name(2), Some("Bacteria")); // only scientific names are kept
//! assert_eq!(tax.name(561), None); // no name row
//! assert_eq!(tax.rank(562), Some("species"));
//! assert_eq!(tax.parent(562), Some(561));
//! assert_eq!(tax.parent(1), None); // the root is its own parent in the file
//! assert_eq!(tax.lineage(83333), [83333, 562, 561, 2, 1]);
//! assert_eq!(tax.descendants(561), [561, 562, 83333]);
//! assert_eq!(tax.depth(83333), Some(4));
//!
//! std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Building a taxonomy in memory and asking tree questions:
//!
//! ```rust
//! use homolog_taxonomy::Taxonomy;
//!
//! let tax = Taxonomy::from_parts(
//!     [
//!         (1, 1, "no rank"),
//!         (2, 1, "superkingdom"),
//!         (561, 2, "genus"),
//!         (562, 561, "species"),
//!         (620, 2, "genus"),
//!     ],
//!     [(562, "Escherichia coli")],
//! )?;
//! assert!(tax.is_within(562, 2));
//! assert!(!tax.is_within(620, 561));
//! assert_eq!(tax.common_ancestor(562, 620), Some(2));
//! assert_eq!(tax.expand(&[561, 999]), [561, 562, 999]); // unknown ids stay as themselves
//! assert!(tax.lineage(999).is_empty());
//!
//! // A parent that is not in the input is an error.
//! assert!(Taxonomy::from_parts([(1, 1, "no rank"), (5, 4, "genus")], [(1, "root")]).is_err());
//! # Ok::<(), homolog_taxonomy::TaxonomyError>(())
//! ```
//!
//! Filtering reference proteins by taxon:
//!
//! ```rust
//! use homolog_taxonomy::{TaxonFilter, Taxonomy};
//!
//! let tax = Taxonomy::from_parts(
//!     [(1, 1, "no rank"), (2, 1, "superkingdom"), (561, 2, "genus"), (562, 561, "species")],
//!     Vec::<(u32, &str)>::new(),
//! )?;
//! let filter = TaxonFilter { include_only: vec![2], exclude: vec![562], with_descendants: true };
//!
//! assert!(filter.allows(Some(561), Some(&tax))); // below 2
//! assert!(!filter.allows(Some(562), Some(&tax))); // excluded, exclude wins
//! assert!(!filter.allows(None, Some(&tax))); // no taxid and a non-empty include list
//! assert!(!filter.allows(Some(561), None)); // without a taxonomy ids match only themselves
//!
//! let compiled = filter.compile(&tax); // expanded once, O(1) checks
//! assert!(compiled.allows(Some(561)));
//! assert!(!compiled.allows(Some(562)));
//! assert_eq!(compiled.included_len(), 3); // 2, 561, 562
//! assert!(compiled.unknown_ids().is_empty());
//!
//! assert!(TaxonFilter::default().allows(None, None)); // an empty filter allows everything
//! # Ok::<(), homolog_taxonomy::TaxonomyError>(())
//! ```

mod error;
mod filter;
mod input;
pub mod pair;

use std::collections::HashMap;
use std::path::Path;

pub use error::TaxonomyError;
pub use filter::{CompiledTaxonFilter, TaxonFilter};
pub use pair::{parse_taxid, TaxonomicRelation, TaxonomyPairFeatures, UnknownRelation};

use input::for_each_dmp_line;

/// An NCBI taxonomy tree (or forest, for subsets with several roots).
#[derive(Clone, Debug, Default)]
pub struct Taxonomy {
    /// taxid -> node index.
    index: HashMap<u32, u32>,
    /// node index -> taxid.
    taxids: Vec<u32>,
    /// node index -> parent node index (a root points to itself).
    parent: Vec<u32>,
    /// node index -> index into `ranks`.
    rank: Vec<u16>,
    ranks: Vec<String>,
    /// node index -> depth (root 0).
    depth: Vec<u32>,
    /// Children of node `i` are `children[child_start[i]..child_start[i + 1]]`.
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// node index -> byte range of the scientific name in `names` (empty when unknown).
    name_span: Vec<(u32, u32)>,
    names: String,
    /// Retired taxid -> the taxid it was merged into (NCBI's `merged.dmp`).
    merged: HashMap<u32, u32>,
}

/// Where a node came from, for error messages.
struct Origin<'a> {
    path: &'a Path,
    line: usize,
}

impl Taxonomy {
    /// Loads `nodes.dmp` and, when given, the scientific names from `names.dmp` (plain or gzip).
    pub fn from_taxdump(nodes: &Path, names: Option<&Path>) -> Result<Taxonomy, TaxonomyError> {
        let mut raw: Vec<(u32, u32, String)> = Vec::new();
        let mut origin_lines: Vec<usize> = Vec::new();
        let shape = "nodes.dmp line 'taxid\\t|\\tparent taxid\\t|\\trank\\t|...'";
        for_each_dmp_line(nodes, shape, |l| {
            l.require(3)?;
            let (taxid, parent) = (l.taxid(0, "taxid")?, l.taxid(1, "parent taxid")?);
            raw.push((taxid, parent, l.fields[2].to_string()));
            origin_lines.push(l.line);
            Ok(())
        })?;
        if raw.is_empty() {
            return Err(TaxonomyError::Empty {
                path: nodes.to_path_buf(),
            });
        }
        let mut taxonomy = Taxonomy::build(raw, |i| Origin {
            path: nodes,
            line: origin_lines[i],
        })?;
        if let Some(names) = names {
            taxonomy.load_names(names)?;
        }
        Ok(taxonomy)
    }

    /// Builds a taxonomy in memory from `(taxid, parent taxid, rank)` nodes and
    /// `(taxid, scientific name)` names (names of unknown taxids are ignored). Errors report the
    /// path `<memory>` and the 1-based position of the offending node as the line.
    pub fn from_parts<R, N, S>(nodes: R, names: N) -> Result<Taxonomy, TaxonomyError>
    where
        R: IntoIterator<Item = (u32, u32, S)>,
        N: IntoIterator<Item = (u32, S)>,
        S: AsRef<str>,
    {
        let memory = Path::new("<memory>");
        let raw: Vec<(u32, u32, String)> = nodes
            .into_iter()
            .map(|(t, p, r)| (t, p, r.as_ref().to_string()))
            .collect();
        if raw.is_empty() {
            return Err(TaxonomyError::Empty {
                path: memory.to_path_buf(),
            });
        }
        let mut taxonomy = Taxonomy::build(raw, |i| Origin {
            path: memory,
            line: i + 1,
        })?;
        for (taxid, name) in names {
            taxonomy.set_name(taxid, name.as_ref());
        }
        Ok(taxonomy)
    }

    fn build<'a>(
        raw: Vec<(u32, u32, String)>,
        origin: impl Fn(usize) -> Origin<'a>,
    ) -> Result<Taxonomy, TaxonomyError> {
        let n = raw.len();
        let mut t = Taxonomy {
            index: HashMap::with_capacity(n),
            taxids: Vec::with_capacity(n),
            parent: Vec::with_capacity(n),
            rank: Vec::with_capacity(n),
            name_span: vec![(0, 0); n],
            ..Taxonomy::default()
        };
        let mut rank_ids: HashMap<String, u16> = HashMap::new();
        for (i, (taxid, _, rank)) in raw.iter().enumerate() {
            if let Some(&first) = t.index.get(taxid) {
                let o = origin(i);
                return Err(TaxonomyError::DuplicateTaxid {
                    path: o.path.to_path_buf(),
                    line: o.line,
                    taxid: *taxid,
                    first_line: origin(first as usize).line,
                });
            }
            t.index.insert(*taxid, i as u32);
            t.taxids.push(*taxid);
            let next_id = rank_ids.len();
            let rank_id = *rank_ids.entry(rank.clone()).or_insert_with(|| {
                t.ranks.push(rank.clone());
                next_id as u16
            });
            t.rank.push(rank_id);
        }
        for (i, (taxid, parent, _)) in raw.iter().enumerate() {
            match t.index.get(parent) {
                Some(&p) => t.parent.push(p),
                None => {
                    let o = origin(i);
                    return Err(TaxonomyError::MissingParent {
                        path: o.path.to_path_buf(),
                        line: o.line,
                        taxid: *taxid,
                        parent: *parent,
                    });
                }
            }
        }
        t.compute_depths(&origin)?;
        t.build_children();
        Ok(t)
    }

    /// Depth of every node, detecting cycles: walk up from each unvisited node until a node of
    /// known depth (or a root), then assign depths back down the walked path. O(n) overall.
    fn compute_depths<'a>(
        &mut self,
        origin: &impl Fn(usize) -> Origin<'a>,
    ) -> Result<(), TaxonomyError> {
        const UNSEEN: u32 = u32::MAX;
        const ON_PATH: u32 = u32::MAX - 1;
        let n = self.taxids.len();
        let mut depth = vec![UNSEEN; n];
        let mut path: Vec<u32> = Vec::new();
        for start in 0..n {
            if depth[start] != UNSEEN {
                continue;
            }
            path.clear();
            let mut cur = start as u32;
            let base = loop {
                let d = depth[cur as usize];
                if d == ON_PATH {
                    let o = origin(cur as usize);
                    return Err(TaxonomyError::Cycle {
                        path: o.path.to_path_buf(),
                        line: o.line,
                        taxid: self.taxids[cur as usize],
                    });
                }
                if d != UNSEEN {
                    break d + 1;
                }
                depth[cur as usize] = ON_PATH;
                path.push(cur);
                let p = self.parent[cur as usize];
                if p == cur {
                    break 0; // a root
                }
                cur = p;
            };
            // `path` runs from `start` up; its last element has depth `base` (or is the root).
            for (k, &node) in path.iter().rev().enumerate() {
                depth[node as usize] = base + k as u32;
            }
        }
        self.depth = depth;
        Ok(())
    }

    fn build_children(&mut self) {
        let n = self.taxids.len();
        let mut counts = vec![0u32; n + 1];
        for (i, &p) in self.parent.iter().enumerate() {
            if p as usize != i {
                counts[p as usize + 1] += 1;
            }
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let mut fill = counts.clone();
        let mut children = vec![0u32; counts[n] as usize];
        for (i, &p) in self.parent.iter().enumerate() {
            if p as usize != i {
                children[fill[p as usize] as usize] = i as u32;
                fill[p as usize] += 1;
            }
        }
        self.child_start = counts;
        self.children = children;
    }

    fn set_name(&mut self, taxid: u32, name: &str) {
        if let Some(&i) = self.index.get(&taxid) {
            let span = &mut self.name_span[i as usize];
            if span.0 == span.1 {
                let start = self.names.len() as u32;
                self.names.push_str(name);
                *span = (start, self.names.len() as u32);
            }
        }
    }

    fn load_names(&mut self, path: &Path) -> Result<(), TaxonomyError> {
        let shape = "names.dmp line \
                     'taxid\\t|\\tname\\t|\\tunique name\\t|\\tname class\\t|'";
        for_each_dmp_line(path, shape, |l| {
            l.require(4)?;
            if l.fields[3] == "scientific name" {
                self.set_name(l.taxid(0, "taxid")?, l.fields[1]);
            }
            Ok(())
        })
    }

    /// Loads NCBI's `merged.dmp` (`old taxid\t|\tnew taxid\t|`, plain or gzip) so that
    /// [`resolve`](Taxonomy::resolve) and [`pair_features`](Taxonomy::pair_features) translate
    /// retired ids as ete3 does. Returns the number of lines read. Targets need not be nodes
    /// (such ids stay unknown), and the tree walks (`lineage`, `parent`, ...) are unaffected.
    pub fn load_merged(&mut self, path: &Path) -> Result<usize, TaxonomyError> {
        let mut count = 0;
        let shape = "merged.dmp line 'old taxid\\t|\\tnew taxid\\t|'";
        for_each_dmp_line(path, shape, |l| {
            l.require(2)?;
            self.add_merged(l.taxid(0, "taxid")?, l.taxid(1, "taxid")?);
            count += 1;
            Ok(())
        })?;
        Ok(count)
    }

    /// Registers that taxid `old` was merged into `new` (as one `merged.dmp` line does).
    pub fn add_merged(&mut self, old: u32, new: u32) {
        self.merged.insert(old, new);
    }

    /// The node to use for `taxid`: itself when it is a node, else the node it was merged into
    /// (one step, as ete3 translates); `None` when neither is known.
    pub fn resolve(&self, taxid: u32) -> Option<u32> {
        if self.contains(taxid) {
            return Some(taxid);
        }
        self.merged
            .get(&taxid)
            .copied()
            .filter(|&t| self.contains(t))
    }

    fn idx(&self, taxid: u32) -> Option<usize> {
        self.index.get(&taxid).map(|&i| i as usize)
    }

    /// Node indices from `i` up to its root.
    fn walk_up(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let mut next = Some(i);
        std::iter::from_fn(move || {
            let cur = next?;
            let p = self.parent[cur] as usize;
            next = (p != cur).then_some(p);
            Some(cur)
        })
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.taxids.len()
    }

    /// Whether the taxonomy has no nodes (never true for a loaded one).
    pub fn is_empty(&self) -> bool {
        self.taxids.is_empty()
    }

    /// All taxids, in file order.
    pub fn taxids(&self) -> impl Iterator<Item = u32> + '_ {
        self.taxids.iter().copied()
    }

    /// Whether `taxid` is a node.
    pub fn contains(&self, taxid: u32) -> bool {
        self.index.contains_key(&taxid)
    }

    /// Parent of `taxid`; `None` for a root or an unknown taxid.
    pub fn parent(&self, taxid: u32) -> Option<u32> {
        let i = self.idx(taxid)?;
        let p = self.parent[i] as usize;
        (p != i).then(|| self.taxids[p])
    }

    /// Scientific name (when names were loaded).
    pub fn name(&self, taxid: u32) -> Option<&str> {
        let (a, b) = self.name_span[self.idx(taxid)?];
        (a != b).then(|| &self.names[a as usize..b as usize])
    }

    /// Rank (`species`, `genus`, `no rank`, ...).
    pub fn rank(&self, taxid: u32) -> Option<&str> {
        let i = self.idx(taxid)?;
        Some(&self.ranks[self.rank[i] as usize])
    }

    /// Steps from the root (root 0).
    pub fn depth(&self, taxid: u32) -> Option<usize> {
        Some(self.depth[self.idx(taxid)?] as usize)
    }

    /// `taxid` and its ancestors, `taxid` first and the root last; empty for an unknown taxid.
    pub fn lineage(&self, taxid: u32) -> Vec<u32> {
        match self.idx(taxid) {
            Some(i) => self.walk_up(i).map(|j| self.taxids[j]).collect(),
            None => Vec::new(),
        }
    }

    /// `taxid` and everything below it (pre-order, `taxid` first); empty for an unknown taxid.
    pub fn descendants(&self, taxid: u32) -> Vec<u32> {
        let Some(i) = self.idx(taxid) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut stack = vec![i as u32];
        while let Some(node) = stack.pop() {
            out.push(self.taxids[node as usize]);
            let (a, b) = (
                self.child_start[node as usize] as usize,
                self.child_start[node as usize + 1] as usize,
            );
            // Reverse so children come out in file order.
            stack.extend(self.children[a..b].iter().rev());
        }
        out
    }

    /// Whether `taxid` is `ancestor` or lies below it. False when either is unknown.
    pub fn is_within(&self, taxid: u32, ancestor: u32) -> bool {
        match (self.idx(taxid), self.idx(ancestor)) {
            (Some(i), Some(a)) => {
                // Depths bound the walk: stop once above the ancestor's level.
                let da = self.depth[a];
                self.walk_up(i)
                    .take_while(|&j| self.depth[j] >= da)
                    .any(|j| j == a)
            }
            _ => false,
        }
    }

    /// The deepest common ancestor of `a` and `b` (may be `a` or `b` itself); `None` when
    /// either is unknown or they lie in different trees.
    pub fn common_ancestor(&self, a: u32, b: u32) -> Option<u32> {
        let k = self.lca_index(self.idx(a)?, self.idx(b)?)?;
        Some(self.taxids[k])
    }

    /// Sorted, deduplicated union of the subtrees of `taxids` (unknown ids are kept as
    /// themselves): the expansion used by the taxonomy filter.
    pub fn expand(&self, taxids: &[u32]) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for &t in taxids {
            if self.contains(t) {
                out.extend(self.descendants(t));
            } else {
                out.push(t);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1 -> {2 -> {3, 4 -> {5}}, 6}
    fn small() -> Taxonomy {
        Taxonomy::from_parts(
            [
                (1, 1, "no rank"),
                (2, 1, "superkingdom"),
                (3, 2, "species"),
                (4, 2, "genus"),
                (5, 4, "species"),
                (6, 1, "superkingdom"),
            ],
            [
                (1, "root"),
                (2, "B"),
                (5, "B five"),
                (5, "ignored second name"),
                (99, "x"),
            ],
        )
        .unwrap()
    }

    #[test]
    fn walks_up_and_down() {
        let t = small();
        assert_eq!(t.len(), 6);
        assert_eq!(t.lineage(5), [5, 4, 2, 1]);
        assert_eq!(t.lineage(1), [1]);
        assert!(t.lineage(42).is_empty());
        assert_eq!(t.descendants(2), [2, 3, 4, 5]);
        assert_eq!(t.descendants(1), [1, 2, 3, 4, 5, 6]);
        assert_eq!(t.descendants(6), [6]);
        assert!(t.descendants(42).is_empty());
        assert_eq!(t.parent(5), Some(4));
        assert_eq!(t.parent(1), None);
        assert_eq!(t.depth(5), Some(3));
        assert_eq!(t.rank(4), Some("genus"));
        assert_eq!(t.name(5), Some("B five"));
        assert_eq!(t.name(3), None);
        assert!(t.is_within(5, 2) && t.is_within(5, 5) && !t.is_within(2, 5) && !t.is_within(6, 2));
        assert_eq!(t.common_ancestor(3, 5), Some(2));
        assert_eq!(t.common_ancestor(5, 4), Some(4));
        assert_eq!(t.common_ancestor(6, 5), Some(1));
        assert_eq!(t.common_ancestor(6, 42), None);
        assert_eq!(t.expand(&[4, 6, 77]), [4, 5, 6, 77]);
    }

    #[test]
    fn forests_have_no_common_ancestor_across_trees() {
        let t = Taxonomy::from_parts(
            [(1, 1, "r"), (2, 2, "r"), (3, 1, "x")],
            Vec::<(u32, &str)>::new(),
        )
        .unwrap();
        assert_eq!(t.common_ancestor(3, 2), None);
        assert_eq!(t.lineage(3), [3, 1]);
    }

    #[test]
    fn rejects_bad_structures() {
        let cycle = Taxonomy::from_parts(
            [(1, 1, "r"), (2, 3, "x"), (3, 2, "x")],
            Vec::<(u32, &str)>::new(),
        );
        assert!(matches!(cycle, Err(TaxonomyError::Cycle { .. })));
        let missing = Taxonomy::from_parts([(1, 1, "r"), (2, 7, "x")], Vec::<(u32, &str)>::new());
        assert!(matches!(
            missing,
            Err(TaxonomyError::MissingParent {
                line: 2,
                taxid: 2,
                parent: 7,
                ..
            })
        ));
        let dup = Taxonomy::from_parts([(1, 1, "r"), (1, 1, "r")], Vec::<(u32, &str)>::new());
        assert!(matches!(
            dup,
            Err(TaxonomyError::DuplicateTaxid {
                line: 2,
                first_line: 1,
                ..
            })
        ));
        let empty = Taxonomy::from_parts(Vec::<(u32, u32, &str)>::new(), Vec::<(u32, &str)>::new());
        assert!(matches!(empty, Err(TaxonomyError::Empty { .. })));
    }
}
