//! Property tests (proptest) of the text pipeline and the classifier, run in the normal suite:
//! the splitter loses no non-space text, never yields an empty sentence and is deterministic;
//! whole articles survive ingestion, cleaning and splitting; the model's probabilities are
//! finite and sum to 1 for any text. The fuzz targets in `fuzz/` check the same contracts
//! on unstructured bytes (docs/RELIABILITY.md).

use claimtrack::article::{parse_text_article, IngestOptions};
use claimtrack::clean::Cleaner;
use claimtrack::gold::Example;
use claimtrack::model::{Model, ModelParams};
use claimtrack::split::{article_sentences, split_line};
use claimtrack::{Label, Role};
use proptest::prelude::*;
use std::sync::OnceLock;

/// The text without white space (and without the zero-width spaces the cleaner treats as space).
fn non_space(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '\u{200b}' | '\u{feff}' | '\u{2060}'))
        .collect()
}

/// Text made of the pieces that drive the splitter's decisions: words, capitals, digits,
/// abbreviations, terminators, closing quotes, brackets and odd white space.
fn news_line() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("U.S.".to_string()),
        Just("Mr.".to_string()),
        Just("Jan.".to_string()),
        Just("Inc.".to_string()),
        Just("J.".to_string()),
        Just("3.5".to_string()),
        Just("$1.2bn".to_string()),
        Just("...".to_string()),
        Just("…".to_string()),
        Just("?!".to_string()),
        Just(".\"".to_string()),
        Just(".”".to_string()),
        Just("—".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("\u{a0}".to_string()),
        Just("\t".to_string()),
        Just("  ".to_string()),
        "[A-Z][a-z]{0,6}",
        "[a-z]{1,8}",
        "[0-9]{1,4}",
        "[.!?]",
        "\\PC{1,3}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| {
        let mut s = String::new();
        for (i, p) in v.iter().enumerate() {
            if i % 2 == 1 {
                s.push(' ');
            }
            s.push_str(p);
        }
        s
    })
}

fn tiny_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let rows = [
            (
                "Putin signalled that he is open to talks.",
                Label::RussianClaim,
            ),
            (
                "The Kremlin said it was ready for a ceasefire.",
                Label::RussianClaim,
            ),
            (
                "US officials denied receiving any message.",
                Label::UsDenial,
            ),
            ("Washington rejected claims of talks.", Label::UsDenial),
            (
                "Analysts doubt the overture is sincere.",
                Label::ExpertSkepticism,
            ),
            (
                "Experts said the signals are a ploy.",
                Label::ExpertSkepticism,
            ),
            ("Fighting continued along the front line.", Label::Context),
            ("Congress debated the aid package.", Label::Context),
        ];
        let examples: Vec<Example> = rows
            .iter()
            .enumerate()
            .map(|(i, (t, l))| Example {
                text: t.to_string(),
                label: *l,
                article: format!("a{}", i / 2),
                outlet: "o".into(),
                index: i % 2,
                role: Role::Body,
            })
            .collect();
        ModelParams::default().fit(&examples).unwrap()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn splitter_keeps_all_text_and_yields_no_empty_sentence(line in news_line()) {
        let parts = split_line(&line);
        for p in &parts {
            prop_assert!(!p.is_empty(), "empty sentence from {:?}", line);
            prop_assert_eq!(p.trim(), p.as_str());
        }
        prop_assert_eq!(non_space(&parts.concat()), non_space(&line));
    }

    #[test]
    fn splitter_is_deterministic(line in news_line()) {
        prop_assert_eq!(split_line(&line), split_line(&line));
    }

    #[test]
    fn splitter_keeps_arbitrary_unicode(line in "\\PC{0,200}") {
        let parts = split_line(&line);
        prop_assert!(parts.iter().all(|p| !p.is_empty()));
        prop_assert_eq!(non_space(&parts.concat()), non_space(&line));
    }

    #[test]
    fn articles_survive_ingest_clean_and_split(lines in proptest::collection::vec(news_line(), 0..12),
                                               cr in any::<bool>()) {
        let eol = if cr { "\r\n" } else { "\n" };
        let text = format!("---{eol}outlet: O{eol}---{eol}{}", lines.join(eol));
        let a = parse_text_article(text.as_bytes(), "p.txt", "p", &IngestOptions::default(), &mut Vec::new()).unwrap();
        static CLEANER: OnceLock<Cleaner> = OnceLock::new();
        let (sentences, cleaned) = article_sentences(&a, CLEANER.get_or_init(Cleaner::default));
        for (i, s) in sentences.iter().enumerate() {
            prop_assert_eq!(s.index, i);
            prop_assert!(!s.text.trim().is_empty());
            prop_assert!(!s.text.contains('\r') && !s.text.contains('\n'));
        }
        // The sentences hold exactly the text the cleaner kept, in order.
        let kept: String = cleaned.lines.iter().map(|l| non_space(&l.text)).collect();
        let said: String = sentences.iter().map(|s| non_space(&s.text)).collect();
        prop_assert_eq!(said, kept);
    }

    #[test]
    fn probabilities_are_finite_and_sum_to_one(text in "\\PC{0,300}") {
        let m = tiny_model();
        let p = m.predict_proba(&text);
        prop_assert!(p.iter().all(|x| x.is_finite() && (0.0..=1.0).contains(x)), "{:?}", p);
        prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", p);
    }

    #[test]
    fn article_probabilities_are_finite_and_sum_to_one(lines in proptest::collection::vec(news_line(), 0..8)) {
        let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
        let probs = tiny_model().predict_article(&texts);
        prop_assert_eq!(probs.len(), texts.len());
        for p in probs {
            prop_assert!(p.iter().all(|x| x.is_finite() && *x >= 0.0), "{:?}", p);
            prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{:?}", p);
        }
    }
}
