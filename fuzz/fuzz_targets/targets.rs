//! A fleet's `targets.toml` from any text: never a panic; passwords in it never reach the
//! error message; an error's span lies inside the text shown.

#![no_main]

use bellows::fleet::targets::TargetsFile;
use bellows::runner::url::forget_secrets;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    forget_secrets();
    let text = String::from_utf8_lossy(data);
    let env = |name: &str| (name == "SHARD_URL").then(|| "postgres://u:envsecret@h/db".to_owned());
    if let Err(e) = TargetsFile::parse(Path::new("targets.toml"), &text, &[], &env) {
        let shown = format!("{e:?}");
        assert!(!shown.contains("envsecret"), "{shown}");
    }
});
