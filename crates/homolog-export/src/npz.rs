//! A small reader for NumPy `.npz` archives (a zip of `.npy` files), enough for anc2vec's
//! GO-term embeddings: float arrays (`<f4`, `<f8`, big-endian too) and fixed-width string
//! arrays (`<U`, `|S`). Object arrays (`|O`) are pickled Python objects and are refused with
//! the one-line fix (`np.savez(..., go_ids=go_ids.astype(str))`).

use std::io::Read;
use std::path::Path;

use crate::ExportError;

/// One array: its shape and values.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyArray {
    /// A float array (row-major), with its shape.
    Float { shape: Vec<usize>, values: Vec<f64> },
    /// A string array (row-major), with its shape.
    Text {
        shape: Vec<usize>,
        values: Vec<String>,
    },
}

/// Reads the named arrays of an `.npz` file (`name` without `.npy`).
pub fn read_npz(path: &Path, names: &[&str]) -> Result<Vec<NpyArray>, ExportError> {
    let bad = |m: String| ExportError::input(path, m);
    let file = std::fs::File::open(path).map_err(|e| bad(format!("cannot open it ({e})")))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| bad(format!("not an .npz (zip) archive: {e}")))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let entry = format!("{name}.npy");
        let mut f = zip.by_name(&entry).map_err(|_| {
            bad(format!(
                "no array `{name}` in the archive; anc2vec's file holds `embeddings` and `go_ids`"
            ))
        })?;
        let mut bytes = Vec::with_capacity(f.size() as usize);
        f.read_to_end(&mut bytes)
            .map_err(|e| bad(format!("reading `{entry}`: {e}")))?;
        out.push(parse_npy(&bytes).map_err(|m| bad(format!("array `{name}`: {m}")))?);
    }
    Ok(out)
}

/// Parses one `.npy` file's bytes.
pub fn parse_npy(bytes: &[u8]) -> Result<NpyArray, String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a .npy array (no \\x93NUMPY magic)".into());
    }
    let major = bytes[6];
    let (hlen, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated header".into());
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(format!(".npy format version {v} is not supported")),
    };
    let header = bytes.get(start..start + hlen).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let descr = dict_value(header, "descr").ok_or("header has no 'descr'")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let fortran = dict_value(header, "fortran_order").ok_or("header has no 'fortran_order'")?;
    let fortran = fortran.trim() == "True";
    let shape_text = dict_value(header, "shape").ok_or("header has no 'shape'")?;
    let shape: Vec<usize> = shape_text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| format!("bad shape {shape_text}"))
        })
        .collect::<Result<_, _>>()?;
    let count: usize = shape.iter().product();
    let data = &bytes[start + hlen..];
    let (order, kind, width) = split_descr(descr)?;
    let item = |i: usize| &data[i * width..(i + 1) * width];
    if data.len() < count * width {
        return Err(format!(
            "data holds {} bytes, the shape {shape:?} needs {}",
            data.len(),
            count * width
        ));
    }
    let values_in_order = |n: usize| -> Vec<usize> {
        // Index of the i-th row-major element in a column-major (Fortran) buffer.
        if !fortran || shape.len() < 2 {
            return (0..n).collect();
        }
        let (rows, cols) = (shape[0], shape[1..].iter().product::<usize>());
        (0..n).map(|i| (i % cols) * rows + i / cols).collect()
    };
    match kind {
        'f' => {
            let read = |b: &[u8]| -> f64 {
                match (width, order) {
                    (4, '>') => f64::from(f32::from_be_bytes(b.try_into().expect("4 bytes"))),
                    (4, _) => f64::from(f32::from_le_bytes(b.try_into().expect("4 bytes"))),
                    (8, '>') => f64::from_be_bytes(b.try_into().expect("8 bytes")),
                    _ => f64::from_le_bytes(b.try_into().expect("8 bytes")),
                }
            };
            if width != 4 && width != 8 {
                return Err(format!(
                    "float width {width} is not supported (use float32 or float64)"
                ));
            }
            let values = values_in_order(count)
                .into_iter()
                .map(|i| read(item(i)))
                .collect();
            Ok(NpyArray::Float { shape, values })
        }
        'U' => {
            let values = values_in_order(count)
                .into_iter()
                .map(|i| {
                    item(i)
                        .chunks_exact(4)
                        .map(|c| {
                            let b: [u8; 4] = c.try_into().expect("4 bytes");
                            if order == '>' {
                                u32::from_be_bytes(b)
                            } else {
                                u32::from_le_bytes(b)
                            }
                        })
                        .take_while(|&c| c != 0)
                        .map(|c| char::from_u32(c).unwrap_or('\u{fffd}'))
                        .collect()
                })
                .collect();
            Ok(NpyArray::Text { shape, values })
        }
        'S' => {
            let values = values_in_order(count)
                .into_iter()
                .map(|i| {
                    let b = item(i);
                    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                    String::from_utf8_lossy(&b[..end]).into_owned()
                })
                .collect();
            Ok(NpyArray::Text { shape, values })
        }
        _ => unreachable!("split_descr returns f, U or S"),
    }
}

/// `(byte order, kind, item width in bytes)` of a dtype string such as `<f4` or `<U10`.
fn split_descr(descr: &str) -> Result<(char, char, usize), String> {
    let mut chars = descr.chars();
    let order = chars.next().ok_or("empty dtype")?;
    let kind = chars.next().ok_or("bad dtype")?;
    let n: usize = chars.as_str().parse().unwrap_or(0);
    match kind {
        'f' => Ok((order, 'f', n)),
        'U' if n > 0 => Ok((order, 'U', 4 * n)),
        'S' | 'a' if n > 0 => Ok((order, 'S', n)),
        'O' => Err(
            "an object array (pickled Python objects) cannot be read; save the GO ids as \
                    strings: np.savez(path, embeddings=emb, go_ids=go_ids.astype(str))"
                .into(),
        ),
        _ => Err(format!(
            "dtype {descr} is not supported (floats or strings only)"
        )),
    }
}

/// The raw text of `key`'s value in a Python dict literal header.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = &header[at + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

/// Writes a float32 2-D array and a string array as an `.npz` (stored, no compression): what
/// `np.savez(path, embeddings=..., go_ids=...)` writes, for tests and examples.
pub fn write_anc2vec_npz(
    path: &Path,
    go_ids: &[&str],
    embeddings: &[f32],
    dim: usize,
) -> Result<(), ExportError> {
    use std::io::Write;
    let npy = |descr: &str, shape: &str, data: &[u8]| -> Vec<u8> {
        let mut header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        // Pad so that the data starts on a 64-byte boundary, ending the header with '\n'.
        while (10 + header.len() + 1) % 64 != 0 {
            header.push(' ');
        }
        header.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out
    };
    let n = go_ids.len();
    let emb: Vec<u8> = embeddings.iter().flat_map(|v| v.to_le_bytes()).collect();
    let width = go_ids
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut ids = Vec::with_capacity(n * width * 4);
    for s in go_ids {
        let mut k = 0;
        for c in s.chars() {
            ids.extend_from_slice(&(c as u32).to_le_bytes());
            k += 1;
        }
        ids.resize(ids.len() + (width - k) * 4, 0);
    }
    let err = |e: &dyn std::fmt::Display| ExportError::output(path, e.to_string());
    let file = std::fs::File::create(path).map_err(|e| err(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("embeddings.npy", opts)
        .map_err(|e| err(&e))?;
    zip.write_all(&npy("<f4", &format!("({n}, {dim})"), &emb))
        .map_err(|e| err(&e))?;
    zip.start_file("go_ids.npy", opts).map_err(|e| err(&e))?;
    zip.write_all(&npy(&format!("<U{width}"), &format!("({n},)"), &ids))
        .map_err(|e| err(&e))?;
    zip.finish().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_object_arrays_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.npz");
        write_anc2vec_npz(&p, &["GO:1", "GO:0002"], &[1.0, 2.0, 3.0, 4.5], 2).unwrap();
        let arrays = read_npz(&p, &["embeddings", "go_ids"]).unwrap();
        assert_eq!(
            arrays[0],
            NpyArray::Float {
                shape: vec![2, 2],
                values: vec![1.0, 2.0, 3.0, 4.5]
            }
        );
        assert_eq!(
            arrays[1],
            NpyArray::Text {
                shape: vec![2],
                values: vec!["GO:1".into(), "GO:0002".into()]
            }
        );
        let e = read_npz(&p, &["missing"]).unwrap_err().to_string();
        assert!(e.contains("no array `missing`"), "{e}");
        let header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        assert!(parse_npy(&bytes).unwrap_err().contains("astype(str)"));
    }

    #[test]
    fn fortran_order_is_transposed() {
        let header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }";
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        // Column-major [[1,2,3],[4,5,6]] = 1,4,2,5,3,6.
        for v in [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        match parse_npy(&bytes).unwrap() {
            NpyArray::Float { values, .. } => assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
            other => panic!("{other:?}"),
        }
    }
}
