//! Shared by the integration tests that must not depend on the shipped model: a tiny model
//! trained from hand-written sentences, and fixture articles written to a folder.
#![allow(dead_code)]

use claimtrack::gold::Example;
use claimtrack::model::ModelParams;
use claimtrack::{Label, Role};
use std::fs;
use std::path::{Path, PathBuf};

/// The tiny model's training sentences, six per label.
pub const TRAIN: &[(&str, Label)] = &[
    (
        "Putin has signalled through intermediaries that he is open to talks.",
        Label::RussianClaim,
    ),
    (
        "Russia sent back-channel signals that it is ready for a ceasefire.",
        Label::RussianClaim,
    ),
    (
        "People close to the Kremlin said Putin would accept a freeze of the front line.",
        Label::RussianClaim,
    ),
    (
        "The Kremlin said Russia was always open to negotiations.",
        Label::RussianClaim,
    ),
    (
        "Putin is ready to drop his objection to NATO membership, sources said.",
        Label::RussianClaim,
    ),
    (
        "The overture was relayed to senior officials last month through an intermediary.",
        Label::RussianClaim,
    ),
    (
        "US officials denied receiving any such message.",
        Label::UsDenial,
    ),
    (
        "The National Security Council said it was unaware of any shift in position.",
        Label::UsDenial,
    ),
    (
        "Washington rejected claims of back-channel talks.",
        Label::UsDenial,
    ),
    ("The Kremlin denied the report.", Label::UsDenial),
    (
        "European officials deny knowing anything about it.",
        Label::UsDenial,
    ),
    (
        "A State Department spokesman denied that any contact took place.",
        Label::UsDenial,
    ),
    (
        "Experts cautioned it could be a ploy to divide Ukraine's allies.",
        Label::ExpertSkepticism,
    ),
    (
        "Analysts see no indication that he is serious about ending the war.",
        Label::ExpertSkepticism,
    ),
    (
        "A former official called it a classic trial balloon.",
        Label::ExpertSkepticism,
    ),
    (
        "Whether the signals were sincere is doubtful, analysts said.",
        Label::ExpertSkepticism,
    ),
    (
        "Skeptics said the offer was propaganda aimed at Western voters.",
        Label::ExpertSkepticism,
    ),
    (
        "It is not possible to verify whether the discussions took place.",
        Label::ExpertSkepticism,
    ),
    (
        "Ukraine is running short of artillery ammunition.",
        Label::Context,
    ),
    (
        "Congress has stalled a new aid package for months.",
        Label::Context,
    ),
    (
        "Fighting continued along the eastern front.",
        Label::Context,
    ),
    (
        "Russia spends a large share of its budget on the military.",
        Label::Context,
    ),
    (
        "The winter has been harsh for soldiers in the trenches.",
        Label::Context,
    ),
    ("Elections are due next year.", Label::Context),
];

/// Trains the tiny model and saves it as `dir/tiny-model.json`.
pub fn train_model(dir: &Path) -> PathBuf {
    let examples: Vec<Example> = TRAIN
        .iter()
        .enumerate()
        .map(|(i, (t, l))| Example {
            text: t.to_string(),
            label: *l,
            article: format!("train{}", i / 6),
            outlet: "train".into(),
            index: i % 6,
            role: Role::Body,
        })
        .collect();
    let model = ModelParams::default()
        .fit(&examples)
        .expect("the tiny model trains");
    let path = dir.join("tiny-model.json");
    model.save(&path).unwrap();
    path
}

/// Writes `dir/NAME.txt` with a front matter (outlet, date, url, title) and the title as its
/// first line.
pub fn write_article(dir: &Path, name: &str, outlet: &str, date: &str, title: &str, body: &[&str]) {
    let text = format!(
        "---\noutlet: {outlet}\ndate: {date}\nurl: https://example.org/{name}\ntitle: {title}\n---\n{title}\n\n{}\n",
        body.join("\n\n")
    );
    fs::write(dir.join(format!("{name}.txt")), text).unwrap();
}

/// Writes `dir/NAME.txt` with the given front-matter lines (`key`, `value`) and the title as
/// its first line.
pub fn write_article_with(
    dir: &Path,
    name: &str,
    front: &[(&str, &str)],
    title: &str,
    body: &[&str],
) {
    let mut text = String::from("---\n");
    for (k, v) in front {
        text.push_str(&format!("{k}: {v}\n"));
    }
    text.push_str(&format!(
        "title: {title}\n---\n{title}\n\n{}\n",
        body.join("\n\n")
    ));
    fs::write(dir.join(format!("{name}.txt")), text).unwrap();
}
