//! Tokenizers as the checkpoints ship them: ESM's `vocab.txt`, T5's SentencePiece
//! `spiece.model`, and `tokenizer.json` (Ankh, DNABERT-2, or any model that ships one).
//!
//! `spiece.model` is turned into the same `tokenizers` pipeline that `transformers`' T5Tokenizer
//! builds from it (Unigram over the pieces + `<extra_id_*>` sentinels, whitespace split,
//! Metaspace `▁` prefix on every word, `</s>` appended, additional special tokens from
//! `tokenizer_config.json` / `special_tokens_map.json` / `added_tokens.json`), so token ids are
//! the ones Python gets. The file is read with a minimal protobuf reader (pieces, scores,
//! types); the NFKC character map is not applied, which changes nothing for the ASCII letters
//! of protein sequences.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::whitespace::WhitespaceSplit;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, PreTokenizerWrapper, Tokenizer};

use crate::error::ModelError;

/// A tokenizer loaded from a checkpoint folder.
pub enum SeqTokenizer {
    /// ESM's character vocabulary (`vocab.txt`), `<cls>` + tokens + `<eos>`.
    Esm(EsmVocab),
    /// A `tokenizers` pipeline (from tokenizer.json or built from spiece.model).
    Hf(Box<Tokenizer>),
}

impl std::fmt::Debug for SeqTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeqTokenizer::Esm(v) => write!(f, "Esm({} tokens)", v.tokens.len()),
            SeqTokenizer::Hf(t) => write!(f, "Hf({} tokens)", t.get_vocab_size(true)),
        }
    }
}

impl SeqTokenizer {
    /// Token ids of `text` with the model's special tokens.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, ModelError> {
        match self {
            SeqTokenizer::Esm(v) => Ok(v.encode(text)),
            SeqTokenizer::Hf(t) => t
                .encode(text, true)
                .map(|e| e.get_ids().to_vec())
                .map_err(|e| ModelError::Request(format!("tokenizer failed on input: {e}"))),
        }
    }

    /// Id of a token, if the vocabulary has it.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        match self {
            SeqTokenizer::Esm(v) => v.index.get(token).copied(),
            SeqTokenizer::Hf(t) => t.token_to_id(token),
        }
    }

    /// Number of ids (vocabulary plus added tokens).
    pub fn vocab_size(&self) -> usize {
        match self {
            SeqTokenizer::Esm(v) => v.tokens.len(),
            SeqTokenizer::Hf(t) => t.get_vocab_size(true),
        }
    }

    /// Loads `tokenizer.json` from `dir`.
    pub fn from_tokenizer_json(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("tokenizer.json");
        if !path.is_file() {
            return Err(ModelError::Tokenizer {
                path,
                reason: "missing; this model's tokenizer ships as tokenizer.json".into(),
            });
        }
        Tokenizer::from_file(&path)
            .map(|t| SeqTokenizer::Hf(Box::new(t)))
            .map_err(|e| ModelError::Tokenizer {
                path,
                reason: e.to_string(),
            })
    }

    /// Loads ESM's `vocab.txt` from `dir`.
    pub fn from_esm_vocab(dir: &Path) -> Result<Self, ModelError> {
        EsmVocab::load(&dir.join("vocab.txt")).map(SeqTokenizer::Esm)
    }

    /// ESM C's tokenizer: `vocab.txt` from `dir` when there is one, else the fixed
    /// [`crate::esmc::ESMC_VOCAB`] (`<cls>` + one token per residue + `<eos>`).
    pub fn esmc(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join("vocab.txt");
        if path.is_file() {
            return EsmVocab::load(&path).map(SeqTokenizer::Esm);
        }
        let tokens = crate::esmc::ESMC_VOCAB
            .iter()
            .map(|t| t.to_string())
            .collect();
        EsmVocab::from_tokens(tokens, &path).map(SeqTokenizer::Esm)
    }

    /// Loads a T5 tokenizer from `spiece.model` (+ its json side files), or `tokenizer.json`
    /// when there is no spiece.model.
    pub fn from_t5_folder(dir: &Path) -> Result<Self, ModelError> {
        let spiece = dir.join("spiece.model");
        if spiece.is_file() {
            return spiece_tokenizer(dir, &spiece).map(|t| SeqTokenizer::Hf(Box::new(t)));
        }
        if dir.join("tokenizer.json").is_file() {
            return Self::from_tokenizer_json(dir);
        }
        Err(ModelError::Tokenizer {
            path: dir.to_path_buf(),
            reason: "no spiece.model or tokenizer.json in the checkpoint folder".into(),
        })
    }
}

/// ESM's vocabulary: one token per line, id = line number.
#[derive(Debug, Clone)]
pub struct EsmVocab {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
    /// Multi-character tokens (`<mask>`, ...) matched before single characters.
    specials: Vec<String>,
    cls: u32,
    eos: u32,
    unk: u32,
}

impl EsmVocab {
    /// Reads `vocab.txt`.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let text = std::fs::read_to_string(path).map_err(|e| ModelError::Tokenizer {
            path: path.to_path_buf(),
            reason: format!("{e} (ESM checkpoints ship their vocabulary as vocab.txt)"),
        })?;
        let tokens: Vec<String> = text
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        Self::from_tokens(tokens, path)
    }

    /// A vocabulary from its tokens in id order (`path` names it in errors).
    pub fn from_tokens(tokens: Vec<String>, path: &Path) -> Result<Self, ModelError> {
        let index: HashMap<String, u32> = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let get = |t: &str| {
            index.get(t).copied().ok_or_else(|| ModelError::Tokenizer {
                path: path.to_path_buf(),
                reason: format!("vocabulary has no {t} token; is this an ESM vocab.txt?"),
            })
        };
        let (cls, eos, unk) = (get("<cls>")?, get("<eos>")?, get("<unk>")?);
        let mut specials: Vec<String> = tokens
            .iter()
            .filter(|t| t.chars().count() > 1)
            .cloned()
            .collect();
        specials.sort_by_key(|t| std::cmp::Reverse(t.len()));
        Ok(Self {
            tokens,
            index,
            specials,
            cls,
            eos,
            unk,
        })
    }

    /// `<cls>` + one token per character (multi-character vocabulary tokens such as `<mask>`
    /// matched first, unknown characters -> `<unk>`, whitespace dropped) + `<eos>`, as
    /// transformers' EsmTokenizer splits on its vocabulary.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = vec![self.cls];
        let mut rest = text;
        'outer: while let Some(c) = rest.chars().next() {
            if c.is_whitespace() {
                rest = &rest[c.len_utf8()..];
                continue;
            }
            if c == '<' {
                for s in &self.specials {
                    if rest.starts_with(s.as_str()) {
                        ids.push(self.index[s]);
                        rest = &rest[s.len()..];
                        continue 'outer;
                    }
                }
            }
            let mut buf = [0u8; 4];
            ids.push(
                self.index
                    .get(&*c.encode_utf8(&mut buf))
                    .copied()
                    .unwrap_or(self.unk),
            );
            rest = &rest[c.len_utf8()..];
        }
        ids.push(self.eos);
        ids
    }
}

/// One SentencePiece piece: text, score, type (1 normal, 2 unknown, 3 control, 4 user-defined).
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The piece text (`▁` marks a word start).
    pub piece: String,
    /// Log-probability score.
    pub score: f32,
    /// SentencePiece type.
    pub kind: u64,
}

/// Reads the pieces of a SentencePiece `ModelProto` (field 1, repeated message of piece = 1,
/// score = 2, type = 3); other fields are skipped.
pub fn read_spiece(bytes: &[u8]) -> Result<Vec<Piece>, String> {
    let mut pieces = vec![];
    let mut r = Reader { b: bytes, pos: 0 };
    while !r.done() {
        let (field, wire) = r.key()?;
        if field == 1 && wire == 2 {
            let body = r.bytes()?;
            let mut p = Reader { b: body, pos: 0 };
            let mut piece = Piece {
                piece: String::new(),
                score: 0.0,
                kind: 1,
            };
            while !p.done() {
                let (f, w) = p.key()?;
                match (f, w) {
                    (1, 2) => {
                        piece.piece = String::from_utf8(p.bytes()?.to_vec())
                            .map_err(|_| "piece is not UTF-8".to_string())?
                    }
                    (2, 5) => piece.score = f32::from_le_bytes(p.fixed::<4>()?),
                    (3, 0) => piece.kind = p.varint()?,
                    _ => p.skip(w)?,
                }
            }
            pieces.push(piece);
        } else {
            r.skip(wire)?;
        }
    }
    if pieces.is_empty() {
        return Err("no pieces (not a SentencePiece model?)".into());
    }
    Ok(pieces)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.b.len()
    }
    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .b
                .get(self.pos)
                .ok_or("truncated varint at end of file")?;
            self.pos += 1;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("varint too long at byte {}", self.pos))
    }
    fn key(&mut self) -> Result<(u64, u64), String> {
        let k = self.varint()?;
        Ok((k >> 3, k & 7))
    }
    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.varint()? as usize;
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| format!("field of {n} bytes runs past the end"))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let s = self
            .b
            .get(self.pos..self.pos + N)
            .ok_or("truncated fixed-width field")?;
        self.pos += N;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn skip(&mut self, wire: u64) -> Result<(), String> {
        match wire {
            0 => self.varint().map(|_| ()),
            1 => self.fixed::<8>().map(|_| ()),
            2 => self.bytes().map(|_| ()),
            5 => self.fixed::<4>().map(|_| ()),
            w => Err(format!("unsupported protobuf wire type {w}")),
        }
    }
}

fn read_json(path: &Path) -> Option<Value> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}

fn token_strings(v: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(a)) = v else {
        return vec![];
    };
    a.iter()
        .filter_map(|t| match t {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o
                .get("content")
                .and_then(|c| c.as_str())
                .map(str::to_string),
            _ => None,
        })
        .collect()
}

fn spiece_tokenizer(dir: &Path, spiece: &PathBuf) -> Result<Tokenizer, ModelError> {
    let terr = |reason: String| ModelError::Tokenizer {
        path: spiece.clone(),
        reason,
    };
    let bytes = std::fs::read(spiece).map_err(|e| terr(e.to_string()))?;
    let pieces = read_spiece(&bytes).map_err(terr)?;
    let cfg = read_json(&dir.join("tokenizer_config.json")).unwrap_or(Value::Null);
    let map = read_json(&dir.join("special_tokens_map.json")).unwrap_or(Value::Null);
    let extra_ids = cfg.get("extra_ids").and_then(|v| v.as_u64()).unwrap_or(100) as usize;

    let mut vocab: Vec<(String, f64)> = pieces
        .iter()
        .map(|p| (p.piece.clone(), f64::from(p.score)))
        .collect();
    // Sentinels follow the pieces in reverse order (<extra_id_0> gets the last id), as in T5.
    for i in (0..extra_ids).rev() {
        vocab.push((format!("<extra_id_{i}>"), 0.0));
    }
    let unk = pieces
        .iter()
        .position(|p| p.kind == 2)
        .or_else(|| pieces.iter().position(|p| p.piece == "<unk>"))
        .ok_or_else(|| terr("no unknown piece (<unk>)".into()))?;
    let eos = pieces
        .iter()
        .position(|p| p.piece == "</s>")
        .ok_or_else(|| terr("no </s> piece".into()))?;
    let model = Unigram::from(vocab, Some(unk), false).map_err(|e| terr(e.to_string()))?;
    let mut tok = Tokenizer::new(model);
    let pre: Vec<PreTokenizerWrapper> = vec![
        WhitespaceSplit.into(),
        Metaspace::new('\u{2581}', PrependScheme::Always, true).into(),
    ];
    tok.with_pre_tokenizer(Some(Sequence::new(pre)));
    let post = TemplateProcessing::builder()
        .try_single("$A </s>")
        .and_then(|b| b.try_pair("$A </s> $B </s>"))
        .map_err(|e| terr(e.to_string()))?
        .special_tokens(vec![("</s>".to_string(), eos as u32)])
        .build()
        .map_err(|e| terr(e.to_string()))?;
    tok.with_post_processor(Some(post));

    // Special tokens: the control pieces and sentinels, then the additional ones the
    // checkpoint declares (ProstT5's <AA2fold>/<fold2AA>), in declaration order.
    let mut specials: Vec<String> = pieces
        .iter()
        .filter(|p| p.kind == 3 || p.kind == 2)
        .map(|p| p.piece.clone())
        .collect();
    specials.extend((0..extra_ids).map(|i| format!("<extra_id_{i}>")));
    specials.extend(token_strings(cfg.get("additional_special_tokens")));
    specials.extend(token_strings(map.get("additional_special_tokens")));
    if let Some(Value::Object(added)) = read_json(&dir.join("added_tokens.json")) {
        let mut by_id: Vec<(u64, String)> = added
            .iter()
            .filter_map(|(k, v)| v.as_u64().map(|id| (id, k.clone())))
            .collect();
        by_id.sort();
        specials.extend(by_id.into_iter().map(|(_, k)| k));
    }
    let mut seen = std::collections::HashSet::new();
    let added: Vec<AddedToken> = specials
        .into_iter()
        .filter(|s| seen.insert(s.clone()))
        .map(|s| AddedToken::from(s, true))
        .collect();
    tok.add_special_tokens(added)
        .map_err(|e| terr(e.to_string()))?;
    Ok(tok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protobuf_reader_rejects_garbage() {
        assert!(read_spiece(&[]).is_err());
        assert!(read_spiece(&[0x0a, 0x50]).is_err()); // length past the end
                                                      // One piece "a" with score -1.5 and type 1.
        let mut body = vec![0x0a, 0x01, b'a', 0x15];
        body.extend((-1.5f32).to_le_bytes());
        body.extend([0x18, 0x01]);
        let mut file = vec![0x0a, body.len() as u8];
        file.extend(&body);
        let p = read_spiece(&file).unwrap();
        assert_eq!(
            p,
            vec![Piece {
                piece: "a".into(),
                score: -1.5,
                kind: 1
            }]
        );
    }
}
