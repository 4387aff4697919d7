//! Progress bars for the pipeline's stages (indicatif; drawn only when stderr is a terminal).

use homolog_pipeline::{Progress, StageProgress};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Creates one bar per stage on stderr. indicatif hides bars when stderr is not a TTY, so logs
/// and CI output stay clean.
pub struct Bars;

struct Bar(ProgressBar);

impl Progress for Bars {
    fn stage(&self, name: &str, total: u64) -> Box<dyn StageProgress> {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12} [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_prefix(name.to_string());
        Box::new(Bar(bar))
    }
}

impl StageProgress for Bar {
    fn inc(&self, n: u64) {
        self.0.inc(n);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
