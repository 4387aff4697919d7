//! Enables the AVX-512 kernels (`cfg(homolog_avx512)`) on x86-64 when the compiler has
//! stable AVX-512 intrinsics (Rust 1.89+); older compilers build the AVX2 and scalar
//! kernels only.

use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(homolog_avx512)");
    println!("cargo:rerun-if-changed=build.rs");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch != "x86_64" {
        return;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else {
        return;
    };
    // "rustc 1.95.0 (...)"
    let text = String::from_utf8_lossy(&out.stdout);
    let minor = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    if minor.is_some_and(|m| m >= 89) {
        println!("cargo:rustc-cfg=homolog_avx512");
    }
}
