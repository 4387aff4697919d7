//! The PNG summary plot: a 2-D PCA projection of a sample coloured by cluster (left) and the
//! cluster sizes, largest first (right). Drawn into an RGB buffer and encoded with `png`, so
//! it renders headless with no fonts or system libraries.

use std::path::Path;

use rand::RngExt;

use crate::ClusterError;

/// Top-2 principal axes of `x` (rows of length d) by power iteration (deterministic).
pub fn pca2(x: &[f32], d: usize) -> (Vec<f64>, [Vec<f64>; 2]) {
    let n = (x.len() / d.max(1)).max(1);
    let mut mean = vec![0f64; d];
    for r in x.chunks(d) {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += *v as f64 / n as f64;
        }
    }
    let mut cov = vec![0f64; d * d];
    for r in x.chunks(d) {
        for i in 0..d {
            let a = r[i] as f64 - mean[i];
            for j in 0..d {
                cov[i * d + j] += a * (r[j] as f64 - mean[j]);
            }
        }
    }
    let mut axes: [Vec<f64>; 2] = [vec![0.0; d], vec![0.0; d]];
    for a in 0..2 {
        let mut v: Vec<f64> = (0..d)
            .map(|i| 1.0 + (i as f64 * 0.37 + a as f64).sin())
            .collect();
        for _ in 0..200 {
            let mut w = vec![0f64; d];
            for i in 0..d {
                w[i] = (0..d).map(|j| cov[i * d + j] * v[j]).sum();
            }
            if a == 1 {
                let p: f64 = w.iter().zip(&axes[0]).map(|(x, y)| x * y).sum();
                w.iter_mut().zip(&axes[0]).for_each(|(x, y)| *x -= p * y);
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm == 0.0 {
                break;
            }
            v = w.iter().map(|x| x / norm).collect();
        }
        axes[a] = v;
    }
    (mean, axes)
}

/// One colour per cluster: a fixed palette of 12 distinct colours, then seeded mid-tone
/// colours, so a cluster has the same colour in every plot of a run.
fn palette(clusters: usize) -> Vec<[u8; 3]> {
    const FIXED: [[u8; 3]; 12] = [
        [31, 119, 180],
        [255, 127, 14],
        [44, 160, 44],
        [214, 39, 40],
        [148, 103, 189],
        [140, 86, 75],
        [227, 119, 194],
        [127, 127, 127],
        [188, 189, 34],
        [23, 190, 207],
        [0, 0, 128],
        [128, 128, 0],
    ];
    let mut rng = crate::random::seeded(PALETTE_SEED);
    let mut colours = FIXED.to_vec();
    while colours.len() < clusters {
        let [r, g, b]: [u8; 3] = rng.random();
        colours.push([r / 2 + 64, g / 2 + 64, b / 2 + 64]);
    }
    colours
}

/// Seed of the colours after the fixed palette.
const PALETTE_SEED: u64 = 0x636f_6c6f_7572;

/// Renders the plot for sample rows `x` with their `labels`, and the cluster `sizes`.
pub fn render(
    path: &Path,
    x: &[f32],
    d: usize,
    labels: &[u32],
    sizes: &[u64],
) -> Result<(), ClusterError> {
    let (w, h) = (1200usize, 600usize);
    let mut img = vec![255u8; w * h * 3];
    let put = |img: &mut Vec<u8>, px: usize, py: usize, c: [u8; 3]| {
        if px < w && py < h {
            img[(py * w + px) * 3..(py * w + px) * 3 + 3].copy_from_slice(&c);
        }
    };
    let clusters = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let colours = palette(clusters.max(sizes.len()));
    // Frames.
    for (x0, x1) in [(20usize, 580usize), (620, 1180)] {
        for px in x0..=x1 {
            put(&mut img, px, 20, [0, 0, 0]);
            put(&mut img, px, 580, [0, 0, 0]);
        }
        for py in 20..=580 {
            put(&mut img, x0, py, [0, 0, 0]);
            put(&mut img, x1, py, [0, 0, 0]);
        }
    }
    // PCA scatter.
    if !x.is_empty() && d > 0 {
        let (mean, axes) = pca2(x, d);
        let pts: Vec<(f64, f64)> = x
            .chunks(d)
            .map(|r| {
                let mut p = [0f64; 2];
                for a in 0..2 {
                    p[a] = r
                        .iter()
                        .zip(&mean)
                        .zip(&axes[a])
                        .map(|((v, m), e)| (*v as f64 - m) * e)
                        .sum();
                }
                (p[0], p[1])
            })
            .collect();
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for &(a, b) in &pts {
            lo = (lo.0.min(a), lo.1.min(b));
            hi = (hi.0.max(a), hi.1.max(b));
        }
        let sx = 540.0 / (hi.0 - lo.0).max(1e-12);
        let sy = 540.0 / (hi.1 - lo.1).max(1e-12);
        for (&(a, b), &l) in pts.iter().zip(labels) {
            let px = 30.0 + (a - lo.0) * sx;
            let py = 570.0 - (b - lo.1) * sy;
            let c = colours[l as usize];
            for dx in 0..3 {
                for dy in 0..3 {
                    put(&mut img, px as usize + dx, py as usize + dy, c);
                }
            }
        }
    }
    // Size bars, largest first (cluster colours as in the scatter).
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let max = sizes.iter().copied().max().unwrap_or(1).max(1) as f64;
    let nb = order.len().max(1);
    let bw = (540 / nb).max(1);
    for (i, &c) in order.iter().enumerate().take(540) {
        let bh = (sizes[c] as f64 / max * 540.0).round() as usize;
        let x0 = 630 + i * bw;
        for px in x0..(x0 + bw.saturating_sub(1).max(1)).min(1170) {
            for py in (570 - bh)..570 {
                put(&mut img, px, py, colours[c]);
            }
        }
    }
    let out = |e: png::EncodingError| ClusterError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    homolog_io::with_atomic_writer(path, |file| {
        let mut enc = png::Encoder::new(file, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(out)?;
        wr.write_image_data(&img).map_err(out)?;
        wr.finish().map_err(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pca_finds_the_long_axis_and_png_decodes() {
        let x: Vec<f32> = (0..100)
            .flat_map(|i| [i as f32, 0.5 * (i % 3) as f32, 0.0])
            .collect();
        let (_, axes) = pca2(&x, 3);
        assert!(axes[0][0].abs() > 0.99);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("plot.png");
        let labels: Vec<u32> = (0..100).map(|i| (i / 50) as u32).collect();
        render(&p, &x, 3, &labels, &[50, 50]).unwrap();
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&p).unwrap()));
        let r = dec.read_info().unwrap();
        assert_eq!((r.info().width, r.info().height), (1200, 600));
    }
}
