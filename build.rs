//! Embeds the rule fixtures so `bellows explain` can show each rule's examples.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rules");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(&root) {
        for dir in dirs.flatten() {
            let rule = dir.file_name().to_string_lossy().into_owned();
            println!("cargo:rerun-if-changed={}", dir.path().display());
            if let Ok(files) = std::fs::read_dir(dir.path()) {
                for file in files.flatten() {
                    let name = file.file_name().to_string_lossy().into_owned();
                    if name.ends_with(".sql") {
                        entries.push((rule.clone(), name, file.path()));
                    }
                }
            }
        }
    }
    entries.sort();
    let mut out = String::from("/// (rule, file name, text) of every rule fixture.\npub static FIXTURES: &[(&str, &str, &str)] = &[\n");
    for (rule, name, path) in entries {
        writeln!(
            out,
            "    ({rule:?}, {name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("fixtures.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
