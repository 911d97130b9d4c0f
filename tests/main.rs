//! Every integration test, in one binary: each file in tests/ is a module
//! here (one link of the AWS SDKs instead of one per file). A new file is a
//! new `mod` line; `every_test_file_is_a_module` fails until it has one.

mod common;

mod action_cli_baseline;
mod action_executor;
mod action_preview;
mod action_scenario5;
mod architecture;
mod aws_cli;
mod aws_cockpit;
mod aws_evidence;
mod aws_logs_moto;
mod aws_mocks;
mod aws_moto_reader;
mod aws_moto_writer;
mod aws_readonly;
mod aws_request_is_audited;
mod aws_wall_stale;
mod cli_audit;
mod cli_errors;
mod cli_timeline;
mod drills;
mod invalid_files;
mod log_secrets;
mod runbook_cli;
mod runbook_fuzz;
mod runbook_load;
mod runbook_run;
mod sim;
mod sources_separated;
mod terminal_signals;
mod torn_writes;
mod ui_cli;

#[test]
fn every_test_file_is_a_module() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = include_str!("main.rs");
    let missing: Vec<String> = std::fs::read_dir(&here)
        .expect("read tests/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".rs").map(str::to_owned))
        .filter(|name| name != "main" && !this.contains(&format!("\nmod {name};")))
        .collect();
    assert!(
        missing.is_empty(),
        "tests/*.rs not declared in tests/main.rs: {missing:?}"
    );
}
