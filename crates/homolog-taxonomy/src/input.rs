//! Taxdump line splitting; the lines themselves come from [`homolog_io::Lines`] (plain or
//! gzip by magic bytes), whose errors convert into [`TaxonomyError`] with file and line.

use crate::error::TaxonomyError;

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
