//! `bellows.sum` and its proof lines from any text: never a panic; what parses renders and
//! parses back to the same value.

#![no_main]

use bellows::catalog::sum::{Proof, SumFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(sum) = SumFile::parse(&text) {
        let again = SumFile::parse(&sum.render()).expect("a rendered sum file parses");
        assert_eq!(sum, again);
        for p in sum.parsed_proofs() {
            assert_eq!(Proof::parse(&p.render()), Some(p.clone()));
        }
    }
    for line in text.lines() {
        if let Some(p) = Proof::parse(line) {
            assert_eq!(Proof::parse(&p.render()), Some(p));
        }
    }
});
