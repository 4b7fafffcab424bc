//! The dependency rules of `src/`, read from the source: api → service → (events) → repo →
//! entity, with domain shared by all and importing nothing of ours. A `use` that breaks a rule
//! fails here, naming the file and the line.

use std::path::{Path, PathBuf};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// (files under this path, what they must not mention, why)
const RULES: &[(&str, &[&str], &str)] = &[
    (
        "domain",
        &[
            "crate::api",
            "crate::service",
            "crate::repo",
            "crate::entity",
            "crate::events",
            "crate::error",
            "crate::config",
            "actix",
        ],
        "the domain imports nothing of ours but itself",
    ),
    (
        "entity",
        &[
            "crate::api",
            "crate::service",
            "crate::repo",
            "crate::events",
            "actix",
        ],
        "entities are tables only",
    ),
    (
        "repo",
        &["crate::api", "crate::service", "crate::events", "actix"],
        "repositories are queries only",
    ),
    (
        "events.rs",
        &["crate::api", "crate::service", "actix"],
        "the event recorder calls no business service",
    ),
    (
        "service",
        &["crate::api", "actix_web"],
        "nothing below the API imports actix-web",
    ),
    (
        "service/auth.rs",
        &[
            "super::api_keys",
            "super::orgs",
            "super::projects",
            "super::members",
            "super::milestones",
            "super::webhooks",
        ],
        "authentication calls no business service",
    ),
    (
        "api",
        &["crate::repo", "repo::"],
        "handlers reach the database only through services",
    ),
    (
        "config.rs",
        &["crate::service", "crate::api", "crate::repo"],
        "configuration imports nothing of the services",
    ),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() || p.extension().is_some_and(|e| e == "rs") {
            rust_files(&p, out);
        }
    }
}

/// Code lines only: comments and doc comments may name any layer.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_start()))
        .filter(|(_, line)| !line.starts_with("//"))
}

#[test]
fn every_layer_imports_only_what_is_below_it() {
    let mut broken = Vec::new();
    for (under, forbidden, why) in RULES {
        let mut files = Vec::new();
        rust_files(&Path::new(SRC).join(under), &mut files);
        assert!(!files.is_empty(), "no sources under src/{under}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for (n, line) in code_lines(&text) {
                for word in *forbidden {
                    if line.contains(word) {
                        let shown = file.strip_prefix(SRC).unwrap_or(&file).display();
                        broken.push(format!("src/{shown}:{n}: `{word}` ({why})"));
                    }
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "layer rules broken:\n{}",
        broken.join("\n")
    );
}
