//! Raw bindings to libmaskkv, the C ABI of maskkv (`include/maskkv.h`): every function, struct
//! and constant, exactly as bindgen generates them into `bindings.rs` (checked in; CI verifies
//! that regenerating it gives the same file: `bindgen.sh --check`).
//!
//! Everything here is `unsafe` and follows the header's rules (opaque handles, status codes,
//! `maskkv_last_error()`, size-prefixed option structs, the size query convention). The `maskkv`
//! crate is the safe interface.
#![allow(non_camel_case_types, non_upper_case_globals, non_snake_case)]
#![allow(clippy::all)]

include!("bindings.rs");

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every function the header exports appears in the generated bindings.
    #[test]
    fn every_public_function_is_bound() {
        let header = include_str!("../../../../include/maskkv.h");
        let bindings = include_str!("bindings.rs");
        let mut names = BTreeSet::new();
        for decl in header.split("MASKKV_API").skip(1) {
            let head = decl.split('(').next().unwrap_or("");
            if let Some(name) = head.split_whitespace().last() {
                let name = name.trim_start_matches('*');
                if name.starts_with("maskkv_") {
                    names.insert(name.to_string());
                }
            }
        }
        assert!(names.len() >= 30, "{names:?}");
        for n in &names {
            assert!(bindings.contains(&format!("pub fn {n}(")), "{n} is not bound");
        }
    }

    #[test]
    fn the_loaded_library_matches_the_header() {
        let v = unsafe { std::ffi::CStr::from_ptr(maskkv_version()) };
        assert_eq!(
            v.to_str().unwrap(),
            format!("{MASKKV_VERSION_MAJOR}.{MASKKV_VERSION_MINOR}.{MASKKV_VERSION_PATCH}")
        );
        assert_eq!(unsafe { maskkv_version_number() }, MASKKV_VERSION_NUMBER);
        let mut o = std::mem::MaybeUninit::<maskkv_generate_options>::zeroed();
        unsafe { maskkv_generate_default_options(o.as_mut_ptr()) };
        let o = unsafe { o.assume_init() };
        assert_eq!(o.size as usize, std::mem::size_of::<maskkv_generate_options>());
        assert_eq!(o.gen_length, 64);
    }
}
