//! Finds libmaskkv to link: MASKKV_LIB_DIR if set (a build tree's lib/ directory), else what
//! `pkg-config --libs maskkv` says, else the linker's default paths (/usr/lib after installing
//! the libmaskkv-dev package).
use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MASKKV_LIB_DIR");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");
    if let Ok(dir) = env::var("MASKKV_LIB_DIR") {
        println!("cargo:rustc-link-search=native={dir}");
    } else if let Ok(out) = Command::new("pkg-config").args(["--libs-only-L", "maskkv"]).output() {
        if out.status.success() {
            for flag in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                if let Some(dir) = flag.strip_prefix("-L") {
                    println!("cargo:rustc-link-search=native={dir}");
                }
            }
        }
    }
    println!("cargo:rustc-link-lib=dylib=maskkv");
}
