//! The crate's layers (the map in `lib.rs`): dependencies between top-level
//! modules go one way, from entry points down to leaves. Read from the
//! source: any `crate::module` path (in code, not in comments) from one
//! top-level module into another counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules, top first. A module may use the modules of the layers
/// below its own, and those listed after it in its own layer (so features
/// depend on one another in one direction too), except the pairs in
/// [`FORBIDDEN`].
const LAYERS: &[(&str, &[&str])] = &[
    ("entry points", &["doctor", "cli", "application", "socket_mode", "server"]),
    ("HTTP", &["routes"]),
    ("dispatch", &["commands", "jobs"]),
    (
        "features",
        &[
            "web",
            "shipped",
            "readout",
            "testers",
            "privacy",
            "settings",
            "reports",
            "digests",
            "search",
            "home",
            "quotas",
            "endorsements",
            "interviews",
            "follows",
            "capture",
            "customers",
            "areas",
            "permissions",
        ],
    ),
    // How every feature and the outbox post: below the features, so none of
    // them depends on another (capture, where it began) to post; above the
    // context, whose `AppState` it takes (so it cannot be in `slack`).
    ("posting", &["posting"]),
    ("context", &["app", "install", "reply"]),
    ("storage and Slack", &["store", "domain", "slack", "metrics"]),
    ("leaves", &["config", "error", "ids"]),
];

/// Dependencies the layers would allow but that are forbidden, with why.
const FORBIDDEN: &[(&str, &str, &str)] =
    &[("store", "slack", "the store returns data; Slack's formats and the sentences users read are the features'")];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules `lib.rs` declares.
fn declared_modules() -> Vec<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").or_else(|| l.trim().strip_prefix("mod ")))
        .map(|l| l.trim_end_matches(';').to_owned())
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of a top-level module: `src/m.rs` and everything under `src/m/`.
fn files_of(module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.exists() {
        files.push(file);
    }
    let dir = src().join(module);
    if dir.is_dir() {
        rust_files(&dir, &mut files);
    }
    files
}

/// The code of a file without its comments (doc links are not dependencies).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a source file");
    text.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// Every top-level module `code` names: `crate::m`, and each `m` of a
/// `crate::{m, n::x}` group.
fn named_modules(code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut named = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                named.insert(ident(item.trim()));
            }
        } else {
            named.insert(ident(rest));
        }
    }
    named.retain(|m| modules.contains(m));
    named
}

/// Which top-level modules each one uses.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = declared_modules().into_iter().collect();
    let mut deps = BTreeMap::new();
    for module in &modules {
        let mut used = BTreeSet::new();
        for file in files_of(module) {
            used.extend(named_modules(&code(&file), &modules));
        }
        used.remove(module);
        deps.insert(module.clone(), used);
    }
    deps
}

#[test]
fn every_module_has_a_layer() {
    let placed: Vec<&str> = LAYERS.iter().flat_map(|(_, modules)| modules.iter().copied()).collect();
    for module in declared_modules() {
        assert!(placed.contains(&module.as_str()), "{module} is in lib.rs but in no layer: place it in LAYERS");
    }
    let unique: BTreeSet<&str> = placed.iter().copied().collect();
    assert_eq!(unique.len(), placed.len(), "a module is placed twice");
}

#[test]
fn the_reader_sees_the_dependencies() {
    // The check below is only as good as what it reads.
    let deps = dependencies();
    assert!(deps["capture"].contains("store"), "{deps:?}");
    assert!(deps["routes"].contains("app"), "{deps:?}");
    assert!(deps["server"].contains("routes"), "{deps:?}");
    let modules: BTreeSet<String> = ["store", "app", "slack"].map(String::from).into();
    assert_eq!(
        named_modules("use crate::{app::AppState, store};\n let x = crate::slack::blocks::plain(\"\");", &modules),
        modules
    );
}

#[test]
fn dependencies_between_top_level_modules_go_one_way() {
    let order: Vec<(usize, &str)> =
        LAYERS.iter().enumerate().flat_map(|(layer, (_, modules))| modules.iter().map(move |m| (layer, *m))).collect();
    let position = |m: &str| order.iter().position(|(_, n)| *n == m).expect("placed");
    let mut back_edges = Vec::new();
    for (module, used) in dependencies() {
        for dep in used {
            if position(&dep) < position(&module) {
                let (from, to) = (LAYERS[order[position(&module)].0].0, LAYERS[order[position(&dep)].0].0);
                back_edges.push(format!("{module} ({from}) uses {dep} ({to})"));
            }
        }
    }
    assert!(back_edges.is_empty(), "dependencies that go up the layers:\n  {}", back_edges.join("\n  "));
}

#[test]
fn forbidden_dependencies_are_absent() {
    let deps = dependencies();
    let mut found = Vec::new();
    for (from, to, why) in FORBIDDEN {
        assert!(deps.contains_key(*from) && deps.contains_key(*to), "{from} or {to} is not a top-level module");
        if deps[*from].contains(*to) {
            let files: Vec<String> = files_of(from)
                .into_iter()
                .filter(|file| named_modules(&code(file), &deps.keys().cloned().collect()).contains(*to))
                .map(|file| file.display().to_string())
                .collect();
            found.push(format!("{from} uses {to} ({why}): {}", files.join(", ")));
        }
    }
    assert!(found.is_empty(), "forbidden dependencies:\n  {}", found.join("\n  "));
}

/// Whether `code` runs SQL or reaches a pool itself.
fn touches_the_database(code: &str) -> bool {
    ["sqlx::query", ".pool()", ".reader()", ".acquire()"].iter().any(|s| code.contains(s))
}

#[test]
fn only_the_store_runs_sql() {
    assert!(touches_the_database("let n: i64 = sqlx::query_scalar(\"select 1\").fetch_one(db.pool()).await?;"));
    assert!(!touches_the_database("let mut tx = state.db.begin().await?;"));
    let mut outside = Vec::new();
    for module in declared_modules().iter().filter(|m| *m != "store") {
        for file in files_of(module) {
            if touches_the_database(&code(&file)) {
                outside.push(file.display().to_string());
            }
        }
    }
    assert!(
        outside.is_empty(),
        "SQL or a pool outside src/store/ (write a store function):\n  {}",
        outside.join("\n  ")
    );
}
