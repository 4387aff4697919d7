//! Taxdump line splitting; the lines themselves come from [`homolog_io::Lines`] (plain or
//! gzip by magic bytes), whose errors convert into [`TaxonomyError`] with file and line.

use std::path::Path;

use homolog_io::Lines;

use crate::error::TaxonomyError;

/// One non-blank line of a `.dmp` file: its fields, and errors that name the file, the line and
/// the expected shape.
pub(crate) struct DmpLine<'a> {
    pub fields: Vec<&'a str>,
    pub line: usize,
    path: &'a Path,
    shape: &'a str,
}

impl DmpLine<'_> {
    /// A parse error at this line: `what`, then the shape the file should have.
    pub fn error(&self, what: impl std::fmt::Display) -> TaxonomyError {
        TaxonomyError::Parse {
            path: self.path.to_path_buf(),
            line: self.line,
            message: format!("{what}; expected a {}", self.shape),
        }
    }

    /// Errors unless the line has at least `n` fields.
    pub fn require(&self, n: usize) -> Result<(), TaxonomyError> {
        if self.fields.len() < n {
            return Err(self.error(format!("fewer than {n} fields")));
        }
        Ok(())
    }

    /// Field `i` as a taxid; `name` says which in the error.
    pub fn taxid(&self, i: usize, name: &str) -> Result<u32, TaxonomyError> {
        let s = self.fields[i];
        s.parse::<u32>()
            .map_err(|_| self.error(format!("{name} {s:?} is not a number")))
    }
}

/// Calls `f` on every non-blank line of the `.dmp` file at `path` (plain or gzip); `shape`
/// describes a valid line for error messages (e.g. "merged.dmp line 'old taxid\t|...'").
pub(crate) fn for_each_dmp_line(
    path: &Path,
    shape: &str,
    mut f: impl FnMut(&DmpLine) -> Result<(), TaxonomyError>,
) -> Result<(), TaxonomyError> {
    let mut lines = Lines::open(path)?;
    while let Some((line_no, line)) = lines.next_line()? {
        if line.trim().is_empty() {
            continue;
        }
        f(&DmpLine {
            fields: fields(line),
            line: line_no,
            path,
            shape,
        })?;
    }
    Ok(())
}

impl From<homolog_io::Error> for TaxonomyError {
    fn from(e: homolog_io::Error) -> TaxonomyError {
        match e {
            homolog_io::Error::Read { path, source } => TaxonomyError::Io { path, source },
            homolog_io::Error::Gzip { path, line, source } => {
                TaxonomyError::Gzip { path, line, source }
            }
            homolog_io::Error::NotText { path, line, .. } => TaxonomyError::NotText { path, line },
            other => TaxonomyError::Input(other),
        }
    }
}

/// Splits a taxdump line (`a\t|\tb\t|\tc\t|`) into trimmed fields. Lines written without the
/// tabs (`a|b|c|`) are accepted too.
pub(crate) fn fields(line: &str) -> Vec<&str> {
    let line = line.trim_end();
    let line = line.strip_suffix('|').unwrap_or(line);
    let parts: Vec<&str> = line.split("\t|\t").map(str::trim).collect();
    if parts.len() > 1 {
        parts
    } else {
        line.split('|').map(str::trim).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::fields;

    #[test]
    fn splits_standard_and_tabless_lines() {
        assert_eq!(
            fields("2\t|\t131567\t|\tsuperkingdom\t|\t\t|\t0\t|"),
            ["2", "131567", "superkingdom", "", "0"]
        );
        assert_eq!(
            fields("2\t|\tBacteria\t|\tBacteria <prokaryotes>\t|\tscientific name\t|"),
            ["2", "Bacteria", "Bacteria <prokaryotes>", "scientific name"]
        );
        assert_eq!(fields("1|1|no rank|"), ["1", "1", "no rank"]);
        assert_eq!(fields("2 | 1 | genus |\r"), ["2", "1", "genus"]);
    }
}
