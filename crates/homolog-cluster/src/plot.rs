//! The PNG summary plot (`plot.png`), drawn into an RGB buffer and encoded with `png`, so it
//! renders headless with no system fonts or libraries (text uses embedded-graphics' built-in
//! bitmap fonts):
//!
//! - a title: input, method, bins, reads;
//! - left: a 2-D PCA projection of a sample of rows coloured by bin, axes labelled with the
//!   share of the sample's variance each principal component explains;
//! - middle: the bin sizes, largest first, with the read count written on each bar where it
//!   fits (every size is in `clusters.tsv`);
//! - right, with a truth table: a contingency heatmap of the largest bins (rows) against the
//!   most frequent true labels (columns), shaded by the fraction of the bin's labelled reads,
//!   with counts written in the cells where they fit;
//! - below: a legend of the bin colours and, with a truth table, the key of the label columns.

use std::collections::HashMap;
use std::path::Path;

use embedded_graphics::mono_font::ascii::{FONT_10X20, FONT_4X6, FONT_6X10};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::Rgb888;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Alignment, Baseline, Text, TextStyleBuilder};
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

/// Bins (rows) and true labels (columns) counted against each other, for the heatmap.
#[derive(Debug, Clone, PartialEq)]
pub struct Contingency {
    /// Column labels, most frequent first.
    pub labels: Vec<String>,
    /// Reads per label over all bins (same order as `labels`).
    pub label_totals: Vec<u64>,
    /// `counts[bin][label]`.
    pub counts: Vec<Vec<u64>>,
}

impl Contingency {
    /// Counts `bins[i]` against `truth[i]` (reads without a true label are left out).
    pub fn new(truth: &[Option<&str>], bins: &[u32]) -> Contingency {
        let mut per_label: HashMap<&str, u64> = HashMap::new();
        for t in truth.iter().flatten() {
            *per_label.entry(t).or_default() += 1;
        }
        let mut labels: Vec<(&str, u64)> = per_label.into_iter().collect();
        labels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let column: HashMap<&str, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, (l, _))| (*l, i))
            .collect();
        let n_bins = bins.iter().map(|&b| b as usize + 1).max().unwrap_or(0);
        let mut counts = vec![vec![0u64; labels.len()]; n_bins];
        for (t, &b) in truth.iter().zip(bins) {
            if let Some(t) = t {
                counts[b as usize][column[t]] += 1;
            }
        }
        Contingency {
            labels: labels.iter().map(|(l, _)| l.to_string()).collect(),
            label_totals: labels.iter().map(|(_, n)| *n).collect(),
            counts,
        }
    }
}

/// What the plot says besides the data.
#[derive(Debug, Clone, Default)]
pub struct PlotText {
    /// The title line (input, method, bins, reads).
    pub title: String,
    /// The bin that holds the unbinned reads, named so in the legend.
    pub unbinned: Option<u32>,
    /// The heatmap panel, with a truth table.
    pub contingency: Option<Contingency>,
}

/// The RGB image being drawn; an embedded-graphics draw target.
struct Canvas {
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Canvas {
        Canvas {
            w,
            h,
            rgb: vec![255; w * h * 3],
        }
    }

    fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.rgb[i..i + 3].copy_from_slice(&c);
        }
    }

    fn fill(&mut self, x: i64, y: i64, w: i64, h: i64, c: [u8; 3]) {
        for py in y..y + h {
            for px in x..x + w {
                self.put(px, py, c);
            }
        }
    }

    fn frame(&mut self, x: i32, y: i32, w: u32, h: u32) {
        let _ = Rectangle::new(Point::new(x, y), Size::new(w, h))
            .into_styled(PrimitiveStyle::with_stroke(Rgb888::BLACK, 1))
            .draw(self);
    }

    fn line(&mut self, a: (i32, i32), b: (i32, i32)) {
        let _ = Line::new(Point::new(a.0, a.1), Point::new(b.0, b.1))
            .into_styled(PrimitiveStyle::with_stroke(Rgb888::BLACK, 1))
            .draw(self);
    }

    /// Text with its top at `y`, aligned at `x` as `align` says.
    fn text(&mut self, s: &str, x: i32, y: i32, font: &MonoFont<'_>, c: [u8; 3], align: Alignment) {
        let style = MonoTextStyle::new(font, Rgb888::new(c[0], c[1], c[2]));
        let layout = TextStyleBuilder::new()
            .alignment(align)
            .baseline(Baseline::Top)
            .build();
        let _ = Text::with_text_style(s, Point::new(x, y), style, layout).draw(self);
    }
}

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        Size::new(self.w as u32, self.h as u32)
    }
}

impl DrawTarget for Canvas {
    type Color = Rgb888;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Rgb888>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, c) in pixels {
            self.put(p.x as i64, p.y as i64, [c.r(), c.g(), c.b()]);
        }
        Ok(())
    }
}

/// Pixels a string takes in `font`.
fn text_width(s: &str, font: &MonoFont<'_>) -> usize {
    s.chars().count() * (font.character_size.width + font.character_spacing) as usize
}

/// `s` cut to `max` characters, with `~` marking the cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('~');
        out
    }
}

/// The largest of the fonts in which `s` fits in `width` pixels.
fn font_fitting(s: &str, width: usize) -> Option<&'static MonoFont<'static>> {
    [&FONT_6X10, &FONT_4X6]
        .into_iter()
        .find(|f| text_width(s, f) + 2 <= width)
}

const BLACK: [u8; 3] = [0, 0, 0];
const GREY: [u8; 3] = [90, 90, 90];
/// Panel geometry: top and height of the plotting areas, width of one panel and its left edges.
const TOP: i32 = 70;
const PANEL: i32 = 520;
const PANEL_W: i32 = 500;
const LEFT: [i32; 3] = [70, 660, 1250];

/// Renders the plot for sample rows `x` (dimension `d`) with their bins `labels`, and the bin
/// `sizes` over all rows.
pub fn render(
    path: &Path,
    x: &[f32],
    d: usize,
    labels: &[u32],
    sizes: &[u64],
    text: &PlotText,
) -> Result<(), ClusterError> {
    let panels = if text.contingency.is_some() { 3 } else { 2 };
    let (w, h) = (LEFT[panels - 1] as usize + PANEL_W as usize + 40, 760usize);
    let mut img = Canvas::new(w, h);
    let clusters = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let colours = palette(clusters.max(sizes.len()));

    img.text(
        &clip(&text.title, w / 10 - 2),
        (w / 2) as i32,
        12,
        &FONT_10X20,
        BLACK,
        Alignment::Center,
    );
    scatter(&mut img, x, d, labels, &colours);
    let order = bars(&mut img, sizes, &colours);
    if let Some(table) = &text.contingency {
        heatmap(&mut img, table, &order);
    }
    legend(&mut img, sizes, &order, &colours, text);

    let out = |e: png::EncodingError| ClusterError::Output {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    homolog_io::with_atomic_writer(path, |file| {
        let mut enc = png::Encoder::new(file, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(out)?;
        wr.write_image_data(&img.rgb).map_err(out)?;
        wr.finish().map_err(out)
    })
}

/// Left panel: the PCA projection, axes labelled with the explained variance.
fn scatter(img: &mut Canvas, x: &[f32], d: usize, labels: &[u32], colours: &[[u8; 3]]) {
    let x0 = LEFT[0];
    img.frame(x0, TOP, PANEL_W as u32, PANEL as u32);
    img.text(
        "PCA of a sample of reads, coloured by bin",
        x0 + PANEL_W / 2,
        TOP - 14,
        &FONT_6X10,
        BLACK,
        Alignment::Center,
    );
    let mut explained = [f64::NAN; 2];
    if !x.is_empty() && d > 0 {
        let (mean, axes) = pca2(x, d);
        let pts: Vec<[f64; 2]> = x
            .chunks(d)
            .map(|r| {
                let mut p = [0f64; 2];
                for (a, axis) in axes.iter().enumerate() {
                    p[a] = r
                        .iter()
                        .zip(&mean)
                        .zip(axis)
                        .map(|((v, m), e)| (*v as f64 - m) * e)
                        .sum();
                }
                p
            })
            .collect();
        // Explained variance: the variance along each axis over the total variance.
        let n = pts.len() as f64;
        let total: f64 = x
            .chunks(d)
            .map(|r| {
                r.iter()
                    .zip(&mean)
                    .map(|(v, m)| (*v as f64 - m).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / n;
        for (a, e) in explained.iter_mut().enumerate() {
            let var = pts.iter().map(|p| p[a] * p[a]).sum::<f64>() / n;
            *e = if total > 0.0 { var / total } else { f64::NAN };
        }
        let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
        for p in &pts {
            for a in 0..2 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let sx = (PANEL_W - 20) as f64 / (hi[0] - lo[0]).max(1e-12);
        let sy = (PANEL - 20) as f64 / (hi[1] - lo[1]).max(1e-12);
        for (p, &l) in pts.iter().zip(labels) {
            let px = (x0 + 10) as f64 + (p[0] - lo[0]) * sx;
            let py = (TOP + PANEL - 10) as f64 - (p[1] - lo[1]) * sy;
            img.fill(px as i64 - 1, py as i64 - 1, 3, 3, colours[l as usize]);
        }
    }
    let pct = |v: f64| {
        if v.is_finite() {
            format!("{:.1}% of variance", 100.0 * v)
        } else {
            "n/a".to_string()
        }
    };
    img.text(
        &format!("PC1 ({})", pct(explained[0])),
        x0 + PANEL_W / 2,
        TOP + PANEL + 6,
        &FONT_6X10,
        BLACK,
        Alignment::Center,
    );
    // The y axis label runs up the left edge, one character per line.
    let ylab = format!("PC2 ({})", pct(explained[1]));
    let top = TOP + PANEL / 2 - 11 * ylab.chars().count() as i32 / 2;
    for (i, ch) in ylab.chars().enumerate() {
        img.text(
            &ch.to_string(),
            x0 - 14,
            top + 11 * i as i32,
            &FONT_6X10,
            BLACK,
            Alignment::Left,
        );
    }
}

/// Middle panel: bin sizes, largest first. Returns the bins in that order.
fn bars(img: &mut Canvas, sizes: &[u64], colours: &[[u8; 3]]) -> Vec<usize> {
    let x0 = LEFT[1];
    img.frame(x0, TOP, PANEL_W as u32, PANEL as u32);
    img.text(
        "Reads per bin, largest first",
        x0 + PANEL_W / 2,
        TOP - 14,
        &FONT_6X10,
        BLACK,
        Alignment::Center,
    );
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let max = sizes.iter().copied().max().unwrap_or(1).max(1);
    // Y axis: 0 and the largest size.
    img.text(
        "0",
        x0 - 4,
        TOP + PANEL - 10,
        &FONT_6X10,
        GREY,
        Alignment::Right,
    );
    img.text(
        &max.to_string(),
        x0 - 4,
        TOP + 20,
        &FONT_6X10,
        GREY,
        Alignment::Right,
    );
    img.line((x0 - 3, TOP + 24), (x0, TOP + 24));
    let inner_w = (PANEL_W - 20) as usize;
    let nb = order.len().max(1);
    let bw = (inner_w / nb).max(1);
    let full = (PANEL - 40) as f64;
    for (i, &c) in order.iter().enumerate().take(inner_w) {
        let bh = (sizes[c] as f64 / max as f64 * full).round() as i64;
        let bx = (x0 + 10) as i64 + (i * bw) as i64;
        let base = (TOP + PANEL) as i64;
        img.fill(
            bx,
            base - bh,
            (bw.saturating_sub(1)).max(1) as i64,
            bh,
            colours[c],
        );
        let count = sizes[c].to_string();
        if let Some(font) = font_fitting(&count, bw) {
            img.text(
                &count,
                (bx + bw as i64 / 2) as i32,
                (base - bh) as i32 - font.character_size.height as i32 - 1,
                font,
                BLACK,
                Alignment::Center,
            );
        }
        // Bin ids under the bars where they fit.
        let id = c.to_string();
        if let Some(font) = font_fitting(&id, bw) {
            img.text(
                &id,
                (bx + bw as i64 / 2) as i32,
                TOP + PANEL + 3,
                font,
                GREY,
                Alignment::Center,
            );
        }
    }
    img.text(
        "bin (id under each bar)",
        x0 + PANEL_W / 2,
        TOP + PANEL + 16,
        &FONT_6X10,
        BLACK,
        Alignment::Center,
    );
    img.text(
        "reads",
        x0 - 4,
        TOP - 2,
        &FONT_6X10,
        BLACK,
        Alignment::Right,
    );
    order
}

/// Rows and columns the heatmap shows at most.
const HEAT_ROWS: usize = 40;
const HEAT_COLS: usize = 20;

/// Right panel: bins x true labels, shaded by the fraction of the bin's labelled reads.
fn heatmap(img: &mut Canvas, table: &Contingency, order: &[usize]) {
    let x0 = LEFT[2];
    img.frame(x0, TOP, PANEL_W as u32, PANEL as u32);
    img.text(
        "Bins x true labels (reads; shade = share of the bin)",
        x0 + PANEL_W / 2,
        TOP - 14,
        &FONT_6X10,
        BLACK,
        Alignment::Center,
    );
    let rows: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&b| b < table.counts.len())
        .take(HEAT_ROWS)
        .collect();
    let cols = table.labels.len().min(HEAT_COLS);
    if rows.is_empty() || cols == 0 {
        img.text(
            "no labelled reads",
            x0 + PANEL_W / 2,
            TOP + PANEL / 2,
            &FONT_6X10,
            GREY,
            Alignment::Center,
        );
        return;
    }
    let cw = ((PANEL_W - 50) as usize / cols).max(1);
    let ch = ((PANEL - 30) as usize / rows.len()).clamp(1, 40);
    let gx = x0 + 45;
    let gy = TOP + 20;
    for (j, _) in table.labels.iter().enumerate().take(cols) {
        let id = (j + 1).to_string();
        if let Some(font) = font_fitting(&id, cw) {
            img.text(
                &id,
                gx + (j * cw + cw / 2) as i32,
                gy - 12,
                font,
                BLACK,
                Alignment::Center,
            );
        }
    }
    for (i, &bin) in rows.iter().enumerate() {
        let row = &table.counts[bin];
        let labelled: u64 = row.iter().sum();
        let y = gy + (i * ch) as i32;
        if ch >= 6 {
            let font = if ch >= 10 { &FONT_6X10 } else { &FONT_4X6 };
            img.text(
                &format!("bin {bin}"),
                gx - 3,
                y + (ch as i32 - font.character_size.height as i32) / 2,
                font,
                BLACK,
                Alignment::Right,
            );
        }
        for (j, &n) in row.iter().enumerate().take(cols) {
            let share = if labelled > 0 {
                n as f64 / labelled as f64
            } else {
                0.0
            };
            // White to dark blue.
            let shade = |full: u8| (255.0 - share * (255.0 - full as f64)).round() as u8;
            let c = [shade(8), shade(48), shade(107)];
            let x = gx + (j * cw) as i32;
            img.fill(x as i64, y as i64, cw as i64 - 1, ch as i64 - 1, c);
            let count = n.to_string();
            if n > 0 {
                if let Some(font) = font_fitting(&count, cw) {
                    if (font.character_size.height as usize) < ch {
                        let ink = if share > 0.5 { [255, 255, 255] } else { BLACK };
                        img.text(
                            &count,
                            x + cw as i32 / 2,
                            y + (ch as i32 - font.character_size.height as i32) / 2,
                            font,
                            ink,
                            Alignment::Center,
                        );
                    }
                }
            }
        }
    }
    let more_rows = order.len().saturating_sub(rows.len());
    let more_cols = table.labels.len().saturating_sub(cols);
    img.text(
        &format!(
            "true label (column numbers: key below){}",
            match (more_rows, more_cols) {
                (0, 0) => String::new(),
                (r, c) => format!("; {r} smaller bins, {c} rarer labels not shown"),
            }
        ),
        x0 + PANEL_W / 2,
        TOP + PANEL + 6,
        &FONT_6X10,
        BLACK,
        Alignment::Center,
    );
}

/// Below the panels: the bin colours (largest bins first) and the heatmap's column key.
fn legend(img: &mut Canvas, sizes: &[u64], order: &[usize], colours: &[[u8; 3]], text: &PlotText) {
    let y0 = TOP + PANEL + 34;
    img.text(
        "Bins:",
        LEFT[0] - 40,
        y0,
        &FONT_6X10,
        BLACK,
        Alignment::Left,
    );
    let per_row = 6;
    let shown = order.len().min(18);
    for (k, &bin) in order.iter().take(shown).enumerate() {
        let x = LEFT[0] + (k % per_row) as i32 * 190;
        let y = y0 + (k / per_row) as i32 * 14;
        img.fill(x as i64, y as i64 + 1, 8, 8, colours[bin]);
        let name = if text.unbinned == Some(bin as u32) {
            format!("unbinned ({})", sizes[bin])
        } else {
            format!("bin {bin} ({} reads)", sizes[bin])
        };
        img.text(&name, x + 12, y, &FONT_6X10, BLACK, Alignment::Left);
    }
    if order.len() > shown {
        img.text(
            &format!("+{} more bins (clusters.tsv)", order.len() - shown),
            LEFT[0],
            y0 + 3 * 14,
            &FONT_6X10,
            GREY,
            Alignment::Left,
        );
    }
    if let Some(table) = &text.contingency {
        let x0 = LEFT[2];
        img.text("Labels:", x0 - 50, y0, &FONT_6X10, BLACK, Alignment::Left);
        let cols = table.labels.len().min(HEAT_COLS);
        for (j, (label, total)) in table
            .labels
            .iter()
            .zip(&table.label_totals)
            .take(cols)
            .enumerate()
        {
            let x = x0 + (j % 2) as i32 * 250;
            let y = y0 + (j / 2) as i32 * 11;
            img.text(
                &format!("{}: {} ({total})", j + 1, clip(label, 28)),
                x,
                y,
                &FONT_6X10,
                BLACK,
                Alignment::Left,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(p: &Path) -> (u32, u32, Vec<u8>) {
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        r.next_frame(&mut buf).unwrap();
        (r.info().width, r.info().height, buf)
    }

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
        let text = PlotText {
            title: "test".into(),
            ..PlotText::default()
        };
        render(&p, &x, 3, &labels, &[50, 50], &text).unwrap();
        let (w, h, _) = decode(&p);
        assert_eq!((w, h), (LEFT[1] as u32 + PANEL_W as u32 + 40, 760));
    }

    #[test]
    fn contingency_counts_bins_against_labels() {
        let truth = [Some("a"), Some("b"), Some("a"), None, Some("a")];
        let bins = [0, 1, 1, 1, 0];
        let c = Contingency::new(&truth, &bins);
        assert_eq!(c.labels, ["a", "b"]);
        assert_eq!(c.label_totals, [3, 1]);
        assert_eq!(c.counts, [vec![2, 0], vec![1, 1]]);
    }

    #[test]
    fn the_truth_adds_a_third_panel_with_text() {
        let x: Vec<f32> = (0..60).flat_map(|i| [i as f32, (i % 7) as f32]).collect();
        let labels: Vec<u32> = (0..60).map(|i| (i % 3) as u32).collect();
        let truth: Vec<Option<&str>> = (0..60)
            .map(|i| Some(if i % 2 == 0 { "genome_a" } else { "genome_b" }))
            .collect();
        let text = PlotText {
            title: "reads.fq, abcb, 3 bins, 60 reads".into(),
            unbinned: Some(2),
            contingency: Some(Contingency::new(&truth, &labels)),
        };
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("plot.png");
        render(&p, &x, 2, &labels, &[20, 20, 20], &text).unwrap();
        let (w, _, rgb) = decode(&p);
        assert_eq!(w, LEFT[2] as u32 + PANEL_W as u32 + 40);
        // The title band holds black text pixels.
        let title_ink = (12..32)
            .flat_map(|y| (0..w as usize).map(move |x| (y, x)))
            .filter(|&(y, x)| rgb[(y * w as usize + x) * 3..][..3] == [0, 0, 0])
            .count();
        assert!(title_ink > 100, "{title_ink}");
        // The heatmap holds shaded (blue) cells.
        let blue = rgb
            .chunks(3)
            .filter(|c| c[2] > c[0] && c[0] < 200 && c[2] > 100)
            .count();
        assert!(blue > 1000, "{blue}");
    }
}
