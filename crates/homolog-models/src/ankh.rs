//! Ankh and Ankh3 (`ElnaggarLab/ankh*`): a T5 encoder (gated-gelu feed-forward, 64 relative
//! buckets in the released checkpoints) with a character-level `tokenizer.json`. Ankh3 reads
//! `[NLU]` + sequence for embeddings (its `[S2S]` prefix is for generation).
//!
//! The forward pass is [`crate::t5_encoder::T5Encoder`]; what is Ankh's own is the config check
//! (Ankh is a T5 v1.1 model: `feed_forward_proj` must be gated) and the tokenizer.

use crate::checkpoint::Checkpoint;
use crate::error::ModelError;
use crate::t5_encoder::{FeedForward, T5Config};
use crate::tokenize::SeqTokenizer;

/// Ankh's config: a T5 config that must use the gated feed-forward.
#[derive(Debug, Clone, PartialEq)]
pub struct AnkhConfig {
    /// The encoder's T5 config.
    pub t5: T5Config,
}

impl AnkhConfig {
    /// Reads and checks the config.
    pub fn from_checkpoint(ck: &Checkpoint) -> Result<Self, ModelError> {
        let t5 = T5Config::from_checkpoint(ck, "ankh3")?;
        if t5.feed_forward != FeedForward::GatedGelu {
            return Err(ck.mismatch(
                "feed_forward_proj",
                "is \"relu\", but Ankh checkpoints use \"gated-gelu\"; for a ProtT5/ProstT5 \
                 checkpoint use backend prot_t5 or prost_t5",
            ));
        }
        Ok(Self { t5 })
    }
}

/// Loads Ankh's tokenizer (`tokenizer.json`) and checks that it knows the `[NLU]` prefix.
pub fn tokenizer(ck: &Checkpoint) -> Result<SeqTokenizer, ModelError> {
    let tok = SeqTokenizer::from_tokenizer_json(&ck.dir)?;
    if tok.token_id("[NLU]").is_none() {
        return Err(ModelError::Tokenizer {
            path: ck.dir.join("tokenizer.json"),
            reason: "has no [NLU] token; Ankh3 embeddings need the [NLU] prefix (is this an \
                     Ankh3 checkpoint?)"
                .into(),
        });
    }
    Ok(tok)
}
