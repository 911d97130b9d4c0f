//! Random edits of valid runbooks never panic the loader: a bad file is a
//! list of problems, each inside the file.

use proptest::prelude::*;
use sitrep::runbook::library::SHIPPED;
use sitrep::runbook::load_str;

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize),
    Duplicate(usize),
    Swap(usize, usize),
    /// Replace the byte range [at, at+len) of a line with `with`.
    Mutate {
        line: usize,
        at: usize,
        len: usize,
        with: String,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let noise = prop_oneof![
        Just(String::new()),
        Just("\"".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[[node]]".to_string()),
        Just(" = ".to_string()),
        Just("ü".to_string()),
        Just("5".to_string()),
        Just("'".to_string()),
        "[a-z_.(){}\\[\\]\"' =<>!&|0-9-]{1,6}",
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), any::<usize>(), 0usize..8, noise).prop_map(|(line, at, len, with)| {
            Edit::Mutate {
                line,
                at,
                len,
                with,
            }
        }),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match e {
            Edit::Delete(i) => {
                lines.remove(i % n);
            }
            Edit::Duplicate(i) => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            Edit::Swap(a, b) => lines.swap(a % n, b % n),
            Edit::Mutate {
                line,
                at,
                len,
                with,
            } => {
                let l = &mut lines[line % n];
                let chars: Vec<char> = l.chars().collect();
                let at = at % (chars.len() + 1);
                let end = (at + len).min(chars.len());
                let mut out: String = chars[..at].iter().collect();
                out.push_str(with);
                out.extend(&chars[end..]);
                *l = out;
            }
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn edited_runbooks_never_panic(which in 0usize..SHIPPED.len(), edits in prop::collection::vec(edit(), 1..5)) {
        let (name, text) = SHIPPED[which];
        let edited = apply(text, &edits);
        let line_count = edited.lines().count().max(1);
        if let Err(problems) = load_str(name, &edited) {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert!(p.line >= 1 && p.line <= line_count + 1, "{p}");
                prop_assert!(p.col >= 1, "{p}");
            }
        }
    }
}
