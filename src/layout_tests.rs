//! Tests of the crate's layout: data flows one way, so no two library modules use each other,
//! directly or through a cycle.
//!
//! The rule, checked on the source files: a module and its own submodules are one unit (a
//! submodule is the private part of its parent, `super::` is how it reaches the rest); every
//! other reference, `crate::a::b` or `super::sibling`, tests included, is an edge between the
//! two sibling modules under the closest common parent (`scored` -> `framing`,
//! `features::fast` -> `features::cues`), and at every level these edges form no cycle. The
//! binary (`main.rs`, `cmd/`) is not part of the library and is not checked.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path (`""` for the crate root, `framing::outlet`) -> source text, for every library
/// file under `src/`.
fn library_sources() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if rel == "main.rs" || rel == "cmd" {
                continue;
            }
            if path.is_dir() {
                walk(&path, root, out);
            } else if let Some(stem) = rel.strip_suffix(".rs") {
                let mut parts: Vec<&str> = stem.split('/').collect();
                if matches!(parts.last(), Some(&"mod") | Some(&"lib")) {
                    parts.pop();
                }
                out.insert(parts.join("::"), std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The source without comments, string and character literals (their text is not code).
fn code_only(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &src[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(comment) = rest.strip_prefix("/*") {
            i += comment.find("*/").map_or(rest.len(), |j| j + 4);
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].bytes().take_while(|&c| c == b'#').count();
            let end = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += rest[body..]
                .find(&end)
                .map_or(rest.len(), |j| body + j + end.len());
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != b'"' {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            i = j + 1;
            out.push_str("\"\"");
        } else if let Some(len) = char_literal(rest) {
            i += len;
            out.push_str("' '");
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The length of a character literal at the start of `s` (`'a'`, `'\''`, `'\u{1F642}'`), or
/// `None` (a lifetime, or not a quote).
fn char_literal(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    if chars.next()?.1 != '\'' {
        return None;
    }
    let (_, c) = chars.next()?;
    if c == '\\' {
        let close = s[2..].find('\'')?;
        return (close <= 10).then_some(close + 3);
    }
    let (j, end) = chars.next()?;
    (end == '\'').then_some(j + 1)
}

/// The longest module path that `base` followed by `segments` names (`base` itself when the
/// first segment is not a module).
fn resolve(modules: &BTreeSet<String>, base: &str, segments: &[&str]) -> String {
    let mut best = base.to_string();
    let mut path = base.to_string();
    for s in segments {
        path = if path.is_empty() {
            s.to_string()
        } else {
            format!("{path}::{s}")
        };
        if !modules.contains(&path) {
            break;
        }
        best = path.clone();
    }
    best
}

/// Every module each module refers to (itself excluded).
fn references(sources: &BTreeMap<String, String>) -> BTreeSet<(String, String)> {
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let pattern = Regex::new(
        r"\b(crate|self|super(?:::super)*)::((?:[a-z_][a-z0-9_]*::)*)(\{[^}]*\}|[a-z_][a-z0-9_]*)?",
    )
    .unwrap();
    let mut edges = BTreeSet::new();
    for (module, src) in sources {
        let code = code_only(src);
        let own: Vec<&str> = module.split("::").filter(|s| !s.is_empty()).collect();
        for m in pattern.captures_iter(&code) {
            let base = match &m[1] {
                "crate" => String::new(),
                "self" => module.clone(),
                supers => {
                    let up = supers.matches("super").count();
                    own[..own.len().saturating_sub(up)].join("::")
                }
            };
            let segments: Vec<&str> = m[2].split("::").filter(|s| !s.is_empty()).collect();
            let mut targets = Vec::new();
            match m.get(3).map(|t| t.as_str()) {
                Some(group) if group.starts_with('{') => {
                    targets.push(resolve(&modules, &base, &segments));
                    for item in group[1..].split(',') {
                        let item: Vec<&str> = item.trim().split("::").collect();
                        if item[0] != "self" {
                            targets.push(resolve(
                                &modules,
                                &base,
                                &[&segments[..], &item].concat(),
                            ));
                        }
                    }
                }
                Some(last) => {
                    targets.push(resolve(&modules, &base, &[&segments[..], &[last]].concat()))
                }
                None => targets.push(resolve(&modules, &base, &segments)),
            }
            for t in targets {
                if &t != module {
                    edges.insert((module.clone(), t));
                }
            }
        }
    }
    edges
}

/// Whether `a` is `b` or one of its ancestors.
fn is_ancestor(a: &str, b: &str) -> bool {
    a.is_empty() || a == b || b.starts_with(&format!("{a}::"))
}

/// The references lifted to edges between siblings (see the module comment), each with the
/// references behind it.
fn sibling_edges(
    refs: &BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), Vec<(String, String)>> {
    let mut out: BTreeMap<(String, String), Vec<(String, String)>> = BTreeMap::new();
    for (a, b) in refs {
        if is_ancestor(a, b) || is_ancestor(b, a) {
            continue;
        }
        let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split("::").collect(), b.split("::").collect());
        let common = pa.iter().zip(&pb).take_while(|(x, y)| x == y).count();
        let key = (pa[..=common].join("::"), pb[..=common].join("::"));
        out.entry(key).or_default().push((a.clone(), b.clone()));
    }
    out
}

/// The cycles of a graph: its strongly connected components of more than one node.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<BTreeSet<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let reaches = |from: &String| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(n) = todo.pop() {
            for (a, b) in edges {
                if *a == n && seen.insert(b.clone()) {
                    todo.push(b.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reaches(n))).collect();
    let mut out: Vec<BTreeSet<String>> = Vec::new();
    for n in &nodes {
        let component: BTreeSet<String> = nodes
            .iter()
            .filter(|m| reach[*n].contains(**m) && reach[**m].contains(*n))
            .map(|m| (*m).clone())
            .collect();
        if component.len() > 1 && !out.contains(&component) {
            out.push(component);
        }
    }
    out
}

#[test]
fn no_two_library_modules_use_each_other() {
    let sources = library_sources();
    let lifted = sibling_edges(&references(&sources));
    // The check sees real references (it cannot pass by finding none).
    for edge in [
        ("scored", "framing"),
        ("report", "scored"),
        ("pipeline", "model"),
        ("features::fast", "features::cues"),
        ("framing::validate", "framing::rng"),
    ] {
        assert!(
            lifted.contains_key(&(edge.0.to_string(), edge.1.to_string())),
            "{edge:?} not found"
        );
    }
    let graph: BTreeSet<(String, String)> = lifted.keys().cloned().collect();
    let found = cycles(&graph);
    let explain: Vec<String> = found
        .iter()
        .flat_map(|c| {
            lifted
                .iter()
                .filter(|((a, b), _)| c.contains(a) && c.contains(b))
                .map(|((a, b), why)| format!("{a} -> {b} (from {why:?})"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "import cycles: {found:?}\n{}",
        explain.join("\n")
    );
}

#[test]
fn the_checker_finds_cycles_through_siblings_and_ignores_comments_and_strings() {
    let sources: BTreeMap<String, String> = [
        ("", "pub mod a; pub mod b; pub mod c; pub mod d;"),
        ("a", "use crate::b::Thing; // crate::d in a comment"),
        (
            "b",
            "fn f() { crate::c::g(); let s = \"crate::d\"; let c = '\"'; }",
        ),
        ("c", "use crate::{d, a::Other};"),
        ("d", "pub mod x; pub mod y; use x::X; /* crate::a */"),
        ("d::x", "use super::y::Y; use super::Shared;"),
        (
            "d::y",
            "use crate::d::x::Z; fn h() -> &'static str { r#\"crate::a\"# }",
        ),
    ]
    .iter()
    .map(|(m, s)| (m.to_string(), s.to_string()))
    .collect();
    let refs = references(&sources);
    let lifted = sibling_edges(&refs);
    let graph: BTreeSet<(String, String)> = lifted.keys().cloned().collect();
    let edge = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        graph,
        [
            edge("a", "b"),
            edge("b", "c"),
            edge("c", "a"),
            edge("c", "d"),
            edge("d::x", "d::y"),
            edge("d::y", "d::x"),
        ]
        .into_iter()
        .collect()
    );
    // d::x -> d (its parent) is not an edge; the two cycles are found.
    assert!(refs.contains(&edge("d::x", "d")));
    let found = cycles(&graph);
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&set(&["a", "b", "c"])));
    assert!(found.contains(&set(&["d::x", "d::y"])));
}
