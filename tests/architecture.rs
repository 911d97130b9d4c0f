//! The rules that keep the crate's structure straight (ARCHITECTURE.md),
//! checked from the code's own paths: no cycle between top-level modules, no
//! circle between files, and the named boundaries (the UI knows neither AWS
//! nor the simulator; the runbook walk knows neither the simulator nor the
//! executor; drills know no UI; sources know no actions; the model knows
//! nothing of the crate). Test code is left out: it may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`ui::runbooks::walk`) -> product source text of that file.
fn modules() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut Vec::new(),
        &mut out,
    );
    out
}

fn collect(dir: &Path, prefix: &mut Vec<String>, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            // Snapshot folders and the crate's own test tree are not product code.
            if name == "snapshots" || (prefix.is_empty() && name == "tests") {
                continue;
            }
            prefix.push(name);
            collect(&path, prefix, out);
            prefix.pop();
        } else if path.extension().is_some_and(|e| e == "rs") {
            if name.ends_with("tests") || name == "testing" {
                continue;
            }
            let mut module = prefix.clone();
            if !matches!(name.as_str(), "mod" | "lib" | "main") {
                module.push(name);
            }
            let text = std::fs::read_to_string(&path).unwrap();
            out.insert(module.join("::"), code_of(product_part(&text)));
        }
    }
}

/// The text without its comments (a doc comment may name anything).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The file up to its unit tests.
fn product_part(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at])
}

/// Every `crate::a::b` path and every `super::x` path, made absolute, that a
/// module's text names (in `use` lines and inline), with `{a, b}` groups expanded.
fn paths_named(module: &str, text: &str) -> Vec<Vec<String>> {
    let parent: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let (root, skip) = if rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if rest.starts_with("super::") {
            let mut base = parent.clone();
            // `super` from a mod.rs file is its parent; from a leaf file, its folder.
            let mut at = i;
            while text[at..].starts_with("super::") {
                base.pop();
                at += "super::".len();
            }
            (base, at - i)
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        // Only at a path's start: not inside `foo::crate::`.
        if i > 0
            && (bytes[i - 1].is_ascii_alphanumeric()
                || bytes[i - 1] == b'_'
                || bytes[i - 1] == b':')
        {
            i += skip;
            continue;
        }
        let tail = &text[i + skip..];
        for path in expand(tail) {
            let mut full = root.clone();
            full.extend(path);
            out.push(full);
        }
        i += skip;
    }
    out
}

/// `a::b::{c, d::e}` -> [[a, b, c], [a, b, d, e]]; stops at the path's end.
fn expand(tail: &str) -> Vec<Vec<String>> {
    let mut segs = Vec::new();
    let mut rest = tail;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            let mut out = Vec::new();
            for item in split_top(&group[..end]) {
                for p in expand(item.trim()) {
                    let mut full = segs.clone();
                    full.extend(p);
                    out.push(full);
                }
            }
            return out;
        }
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segs.push(rest[..len].to_string());
        rest = &rest[len..];
        match rest.strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    vec![segs]
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top(text: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// The longest known module a path points into.
fn resolve(path: &[String], known: &BTreeMap<String, String>) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| known.contains_key(m))
}

/// File-level edges: module -> modules it names (not itself, not its own
/// descendants: a parent re-exporting its children is composition).
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let known = modules();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &known {
        let deps = out.entry(module.clone()).or_default();
        for path in paths_named(module, text) {
            if let Some(target) = resolve(&path, &known)
                && target != *module
                && !target.starts_with(&format!("{module}::"))
                && !module.is_empty()
            {
                deps.insert(target);
            }
        }
    }
    out
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// A cycle in the graph, if any, as the nodes around it.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_cycle_between_top_level_modules() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, tos) in edges() {
        let from = top(&from).to_string();
        if from.is_empty() {
            continue;
        }
        for to in tos {
            let to = top(&to).to_string();
            if to != from && !to.is_empty() {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    assert!(
        graph.contains_key("ui") && graph.contains_key("commands"),
        "{graph:?}"
    );
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn no_circle_between_files() {
    let edges = edges();
    // The reader sees real imports (a check that saw none would pass vacuously).
    assert!(edges["commands::cockpit"].contains("session"), "{edges:#?}");
    assert!(
        edges["ui::runbooks::walk"].contains("runbook::walker"),
        "{edges:#?}"
    );
    assert!(
        edges["runbook::walker"].contains("action::confirm"),
        "{edges:#?}"
    );
    assert_eq!(find_cycle(&edges), None);
}

#[test]
fn the_named_boundaries_hold() {
    let rules: [(&str, &[&str]); 6] = [
        (
            "ui",
            &["source::aws", "sim", "session", "commands", "headless"],
        ),
        ("runbook", &["sim", "action::executor", "ui", "headless"]),
        ("drill", &["ui", "commands"]),
        ("source", &["action", "runbook", "ui", "sim"]),
        (
            "model",
            &["action", "source", "sim", "runbook", "ui", "config"],
        ),
        ("action", &["runbook", "ui", "sim", "drill"]),
    ];
    let mut broken = Vec::new();
    for (from, tos) in edges() {
        for (room, forbidden) in &rules {
            if top(&from) != *room {
                continue;
            }
            for to in &tos {
                if let Some(f) = forbidden
                    .iter()
                    .find(|f| *to == **f || to.starts_with(&format!("{f}::")))
                {
                    broken.push(format!("{from} -> {to} (no {room} -> {f})"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn only_the_executor_holds_a_writer() {
    // Defined by `source`, implemented by the AWS and simulator writers, built
    // by the session for the executor, and held (and called) by the executor alone.
    let named: Vec<String> = modules()
        .into_iter()
        .filter(|(_, text)| text.contains("FleetWriter"))
        .map(|(m, _)| m)
        .collect();
    assert_eq!(
        named,
        [
            "action::executor",
            "session",
            "sim::source",
            "source",
            "source::aws::writer"
        ]
    );
}
