//! Progress reporting, independent of how a front end draws it.

use std::collections::HashMap;
use std::sync::Mutex;

/// Creates a progress handle per stage (e.g. "embedding", "lookup").
pub trait Progress: Sync {
    fn stage(&self, name: &str, total: u64) -> Box<dyn StageProgress>;
}

/// One stage's progress.
pub trait StageProgress: Send + Sync {
    fn inc(&self, n: u64);
    fn finish(&self);
}

/// Reports nothing (tests, library use).
pub struct NoProgress;

struct Silent;

impl StageProgress for Silent {
    fn inc(&self, _: u64) {}
    fn finish(&self) {}
}

impl Progress for NoProgress {
    fn stage(&self, _: &str, _: u64) -> Box<dyn StageProgress> {
        Box::new(Silent)
    }
}

/// A stage's progress handle and how far it has been advanced.
type StageState = (Box<dyn StageProgress>, u64);

/// Adapts "(stage, done, total)" callbacks (as `homolog-reference` reports) to [`Progress`].
pub(crate) struct CallbackBridge<'a> {
    progress: &'a dyn Progress,
    stages: Mutex<HashMap<String, StageState>>,
}

impl<'a> CallbackBridge<'a> {
    pub(crate) fn new(progress: &'a dyn Progress) -> Self {
        Self {
            progress,
            stages: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn report(&self, stage: &str, done: u64, total: u64) {
        let mut stages = self.stages.lock().expect("progress lock");
        let entry = stages
            .entry(stage.to_string())
            .or_insert_with(|| (self.progress.stage(stage, total), 0));
        if done > entry.1 {
            entry.0.inc(done - entry.1);
            entry.1 = done;
        }
        if done >= total {
            entry.0.finish();
        }
    }
}
