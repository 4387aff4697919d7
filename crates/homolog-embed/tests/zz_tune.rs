mod common;
use common::{data_dir, read_fasta, Rng};
use homolog_embed::kmer::{KmerEmbedder, KmerParams};
use homolog_embed::Embedder;
const AMINO: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";
fn mutate(seq: &str, rng: &mut Rng, p: f64) -> String {
    let mut out: Vec<u8> = seq
        .bytes()
        .map(|b| {
            if rng.unit() < p {
                loop {
                    let c = AMINO[rng.below(20)];
                    if c != b {
                        break c;
                    }
                }
            } else {
                b
            }
        })
        .collect();
    for _ in 0..3 {
        let len = 1 + rng.below(5);
        let at = rng.below(out.len() + 1);
        if rng.below(2) == 0 {
            let ins: Vec<u8> = (0..len).map(|_| AMINO[rng.below(20)]).collect();
            out.splice(at..at, ins);
        } else if out.len() > len + 10 {
            let end = (at + len).min(out.len());
            out.drain(at..end);
        }
    }
    String::from_utf8(out).unwrap()
}
#[test]
fn tune() {
    let Some(data) = data_dir() else { return };
    let o = read_fasta(&data.join("proteins/swissprot2014_go_subset/swissprot2014_5000.fasta.gz"));
    let k: usize = std::env::var("KM_K")
        .map(|v| v.parse().unwrap())
        .unwrap_or(3);
    let dim: usize = std::env::var("KM_D")
        .map(|v| v.parse().unwrap())
        .unwrap_or(1024);
    let e = KmerEmbedder::new(KmerParams {
        k,
        dim,
        ..Default::default()
    })
    .unwrap();
    let seqs: Vec<&str> = o.iter().map(|r| r.1.as_str()).collect();
    let refs: Vec<Vec<f32>> = e
        .embed(&seqs, &[0])
        .unwrap()
        .into_iter()
        .map(|mut v| v.remove(0))
        .collect();
    for p in [0.3, 0.4, 0.5, 0.6] {
        let mut rng = Rng(99);
        let mut hits = 0;
        let mut expl = 0;
        for t in 0..300 {
            let origin = rng.below(o.len());
            let m = mutate(&o[origin].1, &mut rng, p);
            let mv = e.embed(&[&m], &[0]).unwrap().remove(0).remove(0);
            let dot = |a: &[f32], b: &[f32]| -> f32 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
            let mut best = (f32::MIN, 0);
            for (r, v) in refs.iter().enumerate() {
                let c = dot(&mv, v);
                if c > best.0 {
                    best = (c, r);
                }
            }
            let _ = t;
            if best.1 == origin {
                hits += 1
            } else if o[best.1].1 == o[origin].1 || dot(&refs[origin], &refs[best.1]) > 0.8 {
                expl += 1
            }
        }
        println!(
            "RESULT k={k} tf={:?} w={:?} p={p}: hits {hits} + near-copies {expl} = {}",
            std::env::var("KM_TF").ok(),
            std::env::var("KM_W").ok(),
            hits + expl
        );
    }
}
