//! Integration tests of the shell helpers: completion scripts and the manual page name every
//! command and its flags, and the documented exit statuses hold.

use assert_cmd::Command;

fn claimtrack() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

const COMMANDS: [&str; 7] = [
    "sentences",
    "train",
    "evaluate",
    "classify",
    "explain",
    "score",
    "report",
];

#[test]
fn completion_scripts_know_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = claimtrack()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        for c in COMMANDS {
            assert!(text.contains(c), "{shell} completion lacks `{c}`");
        }
        for flag in ["update-default", "reliability", "no-calibrate", "framing"] {
            assert!(text.contains(flag), "{shell} completion lacks --{flag}");
        }
    }
    claimtrack()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value"));
}

#[test]
fn the_man_page_has_a_section_per_command_and_the_exit_statuses() {
    let out = claimtrack()
        .arg("man")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with(".ie") || text.starts_with(".TH"), "roff");
    assert!(text.contains(".TH claimtrack 1"));
    for c in COMMANDS {
        assert!(
            text.contains(&format!("COMMAND: {}", c.to_uppercase())),
            "no section for {c}"
        );
    }
    assert!(text.contains("Exit status"));
    assert!(text.contains("\\-\\-update\\-default") || text.contains("update-default"));
}

#[test]
fn exit_statuses_are_the_documented_ones() {
    // Usage error and bad input: 2. Success: 0.
    claimtrack().arg("--no-such-flag").assert().code(2);
    claimtrack()
        .args(["sentences", "no/such/file.txt"])
        .assert()
        .code(2);
    claimtrack()
        .args(["sentences", "-"])
        .write_stdin("Just one sentence here.\n")
        .assert()
        .code(0);
}
