//! The experiment folder and the files written into it: raw CSVs, `summary.csv`, TopGO.
//!
//! Every file is written atomically: into a temporary file in the target directory, then
//! renamed over the target, so a crash never leaves a half-written CSV that a later stage
//! would read as complete.

mod atomic;
mod layout;
mod raw_csv;
mod summary_csv;
mod topgo;

pub use atomic::write_atomic;
pub use layout::{sanitize_file_component, ExperimentLayout};
pub use raw_csv::{
    parse_aspect, raw_csv_header, read_raw_csv, write_raw_csv, write_raw_results, RawCsvOptions,
};
pub use summary_csv::{write_summary_csv, write_summary_csv_columns, SummaryFormat};
pub use topgo::{write_topgo, TopgoFormat};

// Cell formatting shared by the writers: floats with `precision` decimals (FANTASIA's
// `float_format`), missing values as empty cells.

fn fmt_f(v: f64, precision: usize) -> String {
    format!("{v:.precision$}")
}

fn opt_f(v: Option<f64>, precision: usize) -> String {
    v.map(|x| fmt_f(x, precision)).unwrap_or_default()
}

fn opt_d<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    pub(crate) fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }
}
