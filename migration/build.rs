//! Lists the migrations: every `src/mYYYYMMDD_NNNNNN_what.rs`, in name order (which is the
//! order they run in), so that adding a migration is adding its file and nothing else.

use std::error::Error;
use std::path::Path;

fn is_migration(stem: &str) -> bool {
    let b = stem.as_bytes();
    b.len() > 17
        && b[0] == b'm'
        && b[1..9].iter().all(u8::is_ascii_digit)
        && b[9] == b'_'
        && b[10..16].iter().all(u8::is_ascii_digit)
        && b[16] == b'_'
        && stem
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).join("src");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let stem = name.strip_suffix(".rs")?;
            is_migration(stem).then(|| stem.to_string())
        })
        .collect();
    names.sort();
    let mut out = String::new();
    for n in &names {
        let path = dir.join(format!("{n}.rs"));
        out.push_str(&format!(
            "#[path = {:?}]\nmod {n};\n",
            path.display().to_string()
        ));
    }
    out.push_str("/// Every migration, in the order they run.\n");
    out.push_str("fn listed() -> Vec<Box<dyn MigrationTrait>> {\n    vec![\n");
    for n in &names {
        out.push_str(&format!("        Box::new({n}::Migration),\n"));
    }
    out.push_str("    ]\n}\n");
    let dest = Path::new(&std::env::var("OUT_DIR")?).join("migrations.rs");
    std::fs::write(dest, out)?;
    Ok(())
}
