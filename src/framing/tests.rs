//! Unit tests of the framing formula, with expected values computed by hand from the
//! definitions in `docs/FRAMING.md`.

use super::*;
use crate::article::ArticleMeta;
use crate::label::argmax_label;

const CLAIM: [f64; 4] = [0.9, 0.05, 0.05, 0.0];
const DENIAL: [f64; 4] = [0.05, 0.9, 0.05, 0.0];
const CONTEXT: [f64; 4] = [0.05, 0.05, 0.05, 0.85];

fn ss(index: usize, role: Role, text: &str, probs: [f64; 4]) -> ScoredSentence {
    ScoredSentence {
        index,
        role,
        text: text.to_string(),
        label: argmax_label(&probs),
        argmax: None,
        probs,
        hedge: 0.0,
        hedge_cues: vec![],
    }
}

fn frame(sents: &[ScoredSentence]) -> ArticleFraming {
    frame_article("t", sents, &FramingParams::default(), &Hedges::default()).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn claim_only_headline_scores_above_one_half() {
    // Evidence above chance 1/4: claim 0.65, others 0; gate min(1, 0.65 / 0.5) = 1;
    // direction 0.65 / 0.65 = 1; balance = primacy = 1; shrink 1 / (1 + 0.5).
    let f = frame(&[ss(
        0,
        Role::Headline,
        "Putin open to talks with the US",
        CLAIM,
    )]);
    assert!(close(f.score, 1.0 / 1.5), "{}", f.score);
    assert!(f.score > 0.5);
    assert_eq!(f.headline, Some(1.0));
    // A claiming lede on top: two units, shrink 2 / 2.5.
    let f2 = frame(&[
        ss(0, Role::Headline, "Putin open to talks with the US", CLAIM),
        ss(
            1,
            Role::Lede,
            "Putin has sent signals through intermediaries.",
            CLAIM,
        ),
    ]);
    assert!(close(f2.score, 2.0 / 2.5), "{}", f2.score);
}

#[test]
fn denial_first_article_scores_below_zero_by_hand() {
    let sents = [
        ss(0, Role::Headline, "War enters third year", CONTEXT),
        ss(1, Role::Lede, "The Kremlin denied the report.", DENIAL),
        ss(
            2,
            Role::Body,
            "Putin has sent signals via intermediaries.",
            CLAIM,
        ),
        ss(3, Role::Body, "Putin would drop his NATO objection.", CLAIM),
    ];
    let f = frame(&sents);
    // Prominence: lede 2; body at positions 2/3 and 3/3 of 4: 1 - 0.5*2/3 and 0.5.
    let (w1, w2, w3) = (2.0, 1.0 - 0.5 * 2.0 / 3.0, 0.5);
    // Directions: denial -1, claims +1 (all evidence above chance is on one label).
    let balance = (-w1 + w2 + w3) / (w1 + w2 + w3);
    let (e1, e2) = ((-1.0f64).exp(), (-2.0f64).exp());
    let primacy = (-1.0 + e1 + e2) / (1.0 + e1 + e2);
    let expected = 0.5 * (balance + primacy) * 3.0 / 3.5;
    assert!(close(f.score, expected), "{} vs {expected}", f.score);
    assert!(f.score < 0.0);
    assert_eq!(f.first_stance, Some(Label::UsDenial));
    assert_eq!(f.headline, None);

    // The same sentences with the claims first score higher: order matters.
    let claim_first = [
        ss(0, Role::Headline, "War enters third year", CONTEXT),
        ss(
            1,
            Role::Lede,
            "Putin has sent signals via intermediaries.",
            CLAIM,
        ),
        ss(2, Role::Body, "Putin would drop his NATO objection.", CLAIM),
        ss(3, Role::Body, "The Kremlin denied the report.", DENIAL),
    ];
    assert!(frame(&claim_first).score > 0.3);
}

#[test]
fn hedged_claim_scores_lower_than_the_same_claim_stated_as_fact() {
    let fact = frame(&[ss(
        0,
        Role::Headline,
        "Putin has initiated indirect contacts with the US",
        CLAIM,
    )]);
    let hedged = frame(&[ss(
        0,
        Role::Headline,
        "Putin has reportedly initiated indirect contacts with the US",
        CLAIM,
    )]);
    // "reportedly" has weight 1: support 0.65 * (1 - 0.5), doubt 0.65 * 0.5: a fully hedged
    // claim is neutral.
    assert!(close(hedged.score, 0.0), "{}", hedged.score);
    assert!(close(fact.score, 1.0 / 1.5));
    assert!(hedged.score < fact.score);
    assert_eq!(hedged.hedge_rate, Some(1.0));
    assert_eq!(fact.hedge_rate, Some(0.0));
    // A modal ("may", weight 0.5) hedges half as much: support 0.65 * 0.75, doubt 0.65 * 0.25,
    // direction 0.5.
    let modal = frame(&[ss(
        0,
        Role::Headline,
        "Putin may have initiated indirect contacts with the US",
        CLAIM,
    )]);
    assert!(close(modal.score, 0.5 / 1.5), "{}", modal.score);
    assert!(hedged.score < modal.score && modal.score < fact.score);
    // Hedges in a denial sentence do not matter (they qualify a claim only).
    let d1 = frame(&[ss(
        0,
        Role::Lede,
        "Officials said it may be a ploy.",
        [0.0, 0.9, 0.1, 0.0],
    )]);
    let d2 = frame(&[ss(
        0,
        Role::Lede,
        "Officials said it is a ploy.",
        [0.0, 0.9, 0.1, 0.0],
    )]);
    assert_eq!(d1.score, d2.score);
}

#[test]
fn headline_and_lede_outweigh_the_tail() {
    // Mirror-image probabilities, so the two articles are exact opposites.
    let mk = |claim_role: Role, claim_at: usize, deny_role: Role, deny_at: usize| {
        let mut v = vec![ss(
            claim_at,
            claim_role,
            "Putin sends signals.",
            [0.9, 0.1, 0.0, 0.0],
        )];
        v.push(ss(
            deny_at,
            deny_role,
            "Officials deny it.",
            [0.1, 0.9, 0.0, 0.0],
        ));
        for i in 2..10 {
            v.push(ss(i, Role::Body, "Fighting continued.", CONTEXT));
        }
        frame(&v).score
    };
    let prominent_claim = mk(Role::Headline, 0, Role::Body, 1);
    let prominent_denial = mk(Role::Body, 1, Role::Headline, 0);
    assert!(prominent_claim > 0.0 && prominent_denial < 0.0);
    assert!(close(prominent_claim, -prominent_denial));
}

#[test]
fn article_without_stance_scores_zero_with_undefined_interval() {
    let sents: Vec<ScoredSentence> = (0..30)
        .map(|i| {
            ss(
                i,
                if i == 0 { Role::Headline } else { Role::Body },
                "Aid package stalls.",
                CONTEXT,
            )
        })
        .collect();
    let f = frame(&sents);
    assert_eq!(f.score, 0.0);
    assert_eq!(f.interval, None);
    assert_eq!(f.stance_mass, 0.0);
    assert_eq!(f.balance, None);
}

#[test]
fn evidence_above_chance_gates_stance_and_uninformed_predictions_carry_none() {
    let p = FramingParams::default();
    let h = Hedges::default();
    let unit =
        |probs: [f64; 4]| stance_units("t", &[ss(0, Role::Lede, "x", probs)], &p, &h).unwrap();
    // Claim 0.45 and denial 0.35 exceed chance by 0.2 and 0.1: evidence 0.3, gate 0.3 / 0.5,
    // direction (0.2 - 0.1) / 0.3.
    let u = unit([0.45, 0.35, 0.1, 0.1]);
    assert_eq!(u.len(), 1);
    assert!(close(u[0].mass, 0.6));
    assert!(close(u[0].direction, 0.1 / 0.3));
    // Split evenly between claim and denial: a full stance sentence pointing nowhere.
    let even = unit([0.45, 0.45, 0.05, 0.05]);
    assert!(close(even[0].mass, 0.4 / 0.5) && close(even[0].direction, 0.0));
    // A model that knows nothing (uniform) or leans to context gives no stance at all, so
    // the two doubt labels cannot outvote the claim label by noise.
    assert!(unit([0.25; 4]).is_empty());
    assert!(unit([0.2, 0.2, 0.2, 0.4]).is_empty());
    // Adding many context-dominated sentences does not change a score.
    let base = vec![
        ss(0, Role::Headline, "Putin open to talks", CLAIM),
        ss(1, Role::Lede, "The NSC denied it.", DENIAL),
    ];
    let mut noisy = base.clone();
    noisy.extend((2..40).map(|i| ss(i, Role::Body, "Context.", [0.07, 0.07, 0.07, 0.79])));
    assert_eq!(frame(&base).score, frame(&noisy).score);
}

#[test]
fn bootstrap_is_deterministic_for_a_seed_and_narrows_with_more_articles() {
    let p = FramingParams::default();
    let h = Hedges::default();
    let sents = [
        ss(0, Role::Headline, "Putin open to talks", CLAIM),
        ss(1, Role::Lede, "Officials deny it.", DENIAL),
        ss(2, Role::Body, "Putin sends signals.", CLAIM),
    ];
    let units = stance_units("a", &sents, &p, &h).unwrap();
    let one = bootstrap_mean(&[&units], &p, 42).unwrap();
    assert_eq!(one, bootstrap_mean(&[&units], &p, 42).unwrap());
    assert_ne!(one, bootstrap_mean(&[&units], &p, 43).unwrap());
    assert!(
        one.lo < one.hi && one.width() > 0.2,
        "one article is not precise: {one:?}"
    );
    let score = score_units(&units, &p);
    assert!(one.lo <= score && score <= one.hi);
    let ten: Vec<&[StanceUnit]> = (0..10).map(|_| units.as_slice()).collect();
    let many = bootstrap_mean(&ten, &p, 42).unwrap();
    assert!(many.width() < one.width() / 2.0, "{many:?} vs {one:?}");
    assert_eq!(bootstrap_mean(&[], &p, 42), None);
}

#[test]
fn leave_one_out_influence_points_at_the_denial() {
    let p = FramingParams::default();
    let sents = [
        ss(0, Role::Headline, "Putin open to talks", CLAIM),
        ss(1, Role::Lede, "Officials deny it.", DENIAL),
        ss(5, Role::Body, "Putin sends signals.", CLAIM),
    ];
    let units = stance_units("a", &sents, &p, &Hedges::default()).unwrap();
    let infl = influences(&units, &p);
    assert!(infl[1] < 0.0 && infl[0] > 0.0 && infl[2] > 0.0);
    assert!(
        infl[0] > infl[2],
        "the headline claim matters more than a body claim"
    );
}

#[test]
fn params_are_validated() {
    assert!(FramingParams::default().validate().is_ok());
    let bad = FramingParams {
        chance: 1.0,
        ..Default::default()
    };
    assert!(bad.validate().is_err());
    let bad = FramingParams {
        level: 1.0,
        ..Default::default()
    };
    assert!(bad.validate().is_err());
}

/// The digest of an article of plain sentences (no hedges) with the given probabilities.
fn article(id: &str, outlet: &str, probs: &[[f64; 4]]) -> ArticleDigest {
    let sents: Vec<ScoredSentence> = probs
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            let role = if i == 0 { Role::Headline } else { Role::Body };
            ss(i, role, &format!("sentence {i} of {id}"), p)
        })
        .collect();
    let meta = ArticleMeta {
        id: id.into(),
        outlet: outlet.into(),
        ..Default::default()
    };
    ArticleDigest::new(
        meta,
        None,
        &sents,
        &FramingParams::default(),
        &Hedges::default(),
    )
    .unwrap()
}

#[test]
fn outlet_aggregate_is_order_independent_and_averages_stance_articles() {
    let p = FramingParams::default();
    let digests = [
        article("b", "O", &[CLAIM, CONTEXT, DENIAL]),
        article("a", "O", &[DENIAL, CLAIM]),
        article("c", "O", &[CONTEXT, CONTEXT]),
    ];
    let fwd: Vec<&ArticleDigest> = digests.iter().collect();
    let rev: Vec<&ArticleDigest> = digests.iter().rev().collect();
    let r1 = aggregate_outlet("O", &fwd, &p);
    let r2 = aggregate_outlet("O", &rev, &p);
    assert_eq!(r1, r2);
    assert_eq!(
        (r1.articles, r1.articles_with_stance, r1.sentences),
        (3, 2, 7)
    );
    let expected = (digests[0].framing.score + digests[1].framing.score) / 2.0;
    assert!(close(r1.score, expected));
    assert!(close(r1.label_shares.iter().sum::<f64>(), 1.0));
    assert_eq!(r1.label_counts, [2, 2, 0, 3]);
    assert!(r1.evidence.len() <= p.evidence && !r1.evidence.is_empty());
    assert!(r1
        .evidence
        .windows(2)
        .all(|w| w[0].shift.abs() >= w[1].shift.abs()));
    assert!(close(
        r1.evidence[0].shift,
        r1.evidence[0].article_shift / 2.0
    ));
    assert_eq!(r1.claim_first_share, Some(0.5));
}

#[test]
fn one_claim_sentence_gets_a_wide_interval_not_a_point() {
    // docs/FRAMING.md: "A single clear claim sentence gets an interval of about [0.10, 1.00]".
    let f = frame(&[ss(
        0,
        Role::Headline,
        "Putin open to talks with the US",
        CLAIM,
    )]);
    let i = f.interval.unwrap();
    assert!(i.lo < 0.2 && i.hi > 0.7, "{i:?}");
    assert!(i.lo <= f.score && f.score <= i.hi);
}

fn candidate(article: &str, index: usize, article_shift: f64) -> Evidence {
    Evidence {
        article: article.to_string(),
        outlet: "O".to_string(),
        index,
        role: Role::Body,
        label: Label::RussianClaim,
        probs: CLAIM,
        hedge: 0.0,
        text: format!("sentence {index} of {article}"),
        article_shift,
        shift: article_shift,
        title: None,
        date: None,
        url: None,
    }
}

#[test]
fn evidence_pool_keeps_what_selection_over_all_candidates_shows() {
    // Shifts are drawn from a few base values, their neighbouring floats (which the division
    // by the number of stance articles can round into ties), their negatives, zeros, tiny
    // values and fresh random values; articles come from a small set so that ties go to the
    // id and index tie-breaks. Whatever the final number of stance articles, the pool's
    // survivors must give exactly the list that selection over every candidate gives.
    let mut rng = rng::Rng::new(11);
    let mut pick = |k: usize| (rng.uniform() * k as f64) as usize % k;
    for keep in [1usize, 3, 5, 8] {
        for round in 0..12 {
            // The largest base is 0.1 plus 2 ulps, which divided by 3 ties with its upper
            // neighbour.
            let base: Vec<f64> = (0..4)
                .map(|i| (i as f64 + 1.0) * 0.013 + round as f64 * 1e-4)
                .chain([f64::from_bits(0.1f64.to_bits() + 2)])
                .collect();
            let mut all = Vec::new();
            let mut pool = EvidencePool::new(keep);
            for index in 0..600 {
                let b = base[pick(base.len())];
                let shift = match pick(8) {
                    0 | 1 => b,
                    2 => f64::from_bits(b.to_bits() + 1 + pick(3) as u64),
                    3 => f64::from_bits(b.to_bits() - 1 - pick(3) as u64),
                    4 => -b,
                    5 => 0.0,
                    6 => 1e-300 * pick(3) as f64,
                    _ => (pick(1000) as f64 / 1000.0 - 0.5) * 0.1,
                };
                let e = candidate(&format!("art-{:02}", pick(12)), index, shift);
                all.push(e.clone());
                pool.offer(e);
            }
            assert!(
                pool.len() < all.len() / 4,
                "keep {keep}: {} of {} candidates kept",
                pool.len(),
                all.len()
            );
            for n in [1usize, 2, 3, 7, 10, 97, 1000, 65_537, 1 << 40] {
                assert_eq!(
                    select_evidence(pool.candidates().to_vec(), n, keep),
                    select_evidence(all.clone(), n, keep),
                    "keep {keep}, round {round}, {n} stance articles"
                );
            }
        }
    }
    let mut none = EvidencePool::new(0);
    none.offer(candidate("a", 0, 0.5));
    assert!(none.is_empty());
}

#[test]
fn near_ties_survive_pruning_in_the_pool() {
    // Two shifts one float apart can become equal once divided by the article count, and then
    // the article id decides: the smaller shift of article "a" must outrank "b" for n = 3.
    let x = f64::from_bits(0.1f64.to_bits() + 2);
    let y = f64::from_bits(x.to_bits() + 1);
    assert_eq!(
        x / 3.0,
        y / 3.0,
        "the division rounds the two shifts together"
    );
    let mut pool = EvidencePool::new(1);
    pool.offer(candidate("a", 0, x));
    for i in 0..40 {
        pool.offer(candidate("b", i, y));
    }
    let all: Vec<Evidence> = std::iter::once(candidate("a", 0, x))
        .chain((0..40).map(|i| candidate("b", i, y)))
        .collect();
    let shown = select_evidence(pool.into_candidates(), 3, 1);
    assert_eq!(shown, select_evidence(all, 3, 1));
    assert_eq!(shown[0].article, "a");
}

#[test]
fn shipped_settings_parse_validate_and_differ_from_the_formula_defaults_as_documented() {
    let s = FramingParams::shipped();
    s.validate().expect("data/framing.json is valid");
    assert_eq!(s.hedge_discount, 0.0);
    assert_eq!(s.claim_prior, 0.5);
    assert_eq!(s.calibration.len(), 6);
    // Smooth position weighting in place of the role weights and primacy.
    assert_eq!((s.position_scale, s.primacy_share), (3.0, 0.0));
    let d = FramingParams::default();
    assert_eq!(
        (s.headline_weight, s.prior_mass, s.primacy_scale),
        (d.headline_weight, d.prior_mass, d.primacy_scale)
    );
}

#[test]
fn calibration_interpolates_monotonically_and_is_the_identity_without_knots() {
    let d = FramingParams::default();
    for x in [-1.0, -0.3, 0.0, 0.42, 1.0] {
        assert_eq!(d.calibrate(x), x);
    }
    let p = FramingParams {
        calibration: vec![[-1.0, -1.0], [0.0, -0.2], [1.0, 0.8]],
        ..FramingParams::default()
    };
    assert!(close(p.calibrate(0.5), 0.3));
    assert!(close(p.calibrate(-0.5), -0.6));
    assert!(close(p.calibrate(0.0), -0.2));
    let mut last = -2.0;
    for i in 0..=200 {
        let y = p.calibrate(-1.0 + i as f64 / 100.0);
        assert!(y >= last);
        last = y;
    }
    let bad = FramingParams {
        calibration: vec![[0.0, 0.5], [-0.5, 0.6]],
        ..FramingParams::default()
    };
    assert!(bad.validate().is_err(), "raw knots must increase");
}

#[test]
fn claim_prior_silences_articles_that_never_state_the_claim() {
    let denial_only = [
        ss(0, Role::Headline, "Officials deny any back channel", DENIAL),
        ss(
            1,
            Role::Lede,
            "The White House said there were no talks.",
            DENIAL,
        ),
    ];
    let off = frame_article(
        "t",
        &denial_only,
        &FramingParams::default(),
        &Hedges::default(),
    )
    .unwrap();
    let p = FramingParams {
        claim_prior: 0.5,
        ..FramingParams::default()
    };
    let on = frame_article("t", &denial_only, &p, &Hedges::default()).unwrap();
    assert!(off.score < -0.5, "{}", off.score);
    // Claim mass 2 * 0.05 = 0.1: the factor 0.1 / 0.6 leaves a sixth of the score.
    assert!(
        close(on.score, off.score * 0.1 / 0.6),
        "{} {}",
        on.score,
        off.score
    );
    let with_claim = [
        ss(0, Role::Headline, "Putin open to talks", CLAIM),
        denial_only[1].clone(),
    ];
    let a = frame_article("t", &with_claim, &p, &Hedges::default()).unwrap();
    let b = frame_article(
        "t",
        &with_claim,
        &FramingParams::default(),
        &Hedges::default(),
    )
    .unwrap();
    assert!(a.score.abs() < b.score.abs() && a.score.signum() == b.score.signum());
}

#[test]
fn position_scale_weighs_sentences_by_index_whatever_their_role() {
    let smooth = FramingParams {
        position_scale: 3.0,
        primacy_share: 0.0,
        ..FramingParams::default()
    };
    // 1 / (1 + index / 3): the headline 1, index 1 three quarters, index 3 one half.
    assert!(close(prominence(Role::Headline, 0, 10, &smooth), 1.0));
    assert!(close(prominence(Role::Lede, 1, 10, &smooth), 0.75));
    assert!(close(prominence(Role::Body, 3, 10, &smooth), 0.5));
    assert!(close(prominence(Role::Heading, 6, 10, &smooth), 1.0 / 3.0));
    // Off (the default): the role weights.
    let d = FramingParams::default();
    assert_eq!(prominence(Role::Headline, 0, 10, &d), d.headline_weight);
    assert_eq!(prominence(Role::Lede, 1, 10, &d), d.lede_weight);

    // A lede denial and two later claims, by hand: balance only (no primacy).
    let sents = [
        ss(0, Role::Headline, "War enters third year", CONTEXT),
        ss(1, Role::Lede, "The Kremlin denied the report.", DENIAL),
        ss(
            2,
            Role::Body,
            "Putin has sent signals via intermediaries.",
            CLAIM,
        ),
        ss(3, Role::Body, "Putin would drop his NATO objection.", CLAIM),
    ];
    let f = frame_article("t", &sents, &smooth, &Hedges::default()).unwrap();
    let (w1, w2, w3) = (0.75, 0.6, 0.5);
    let expected = (-w1 + w2 + w3) / (w1 + w2 + w3) * 3.0 / 3.5;
    assert!(close(f.score, expected), "{} vs {expected}", f.score);
    // The same sentences with the denial last: earlier sentences weigh more.
    let late = [
        sents[0].clone(),
        ss(1, Role::Lede, &sents[2].text, CLAIM),
        ss(2, Role::Body, &sents[3].text, CLAIM),
        ss(3, Role::Body, &sents[1].text, DENIAL),
    ];
    let g = frame_article("t", &late, &smooth, &Hedges::default()).unwrap();
    assert!(g.score > f.score, "{} vs {}", g.score, f.score);

    let bad = FramingParams {
        position_scale: -1.0,
        ..FramingParams::default()
    };
    assert!(bad.validate().is_err());
    // Off is not written out, so settings files and reports without it are unchanged.
    assert!(!serde_json::to_string(&d)
        .unwrap()
        .contains("position_scale"));
}

#[test]
fn headline_presence_scales_articles_by_how_fully_the_headline_carries_a_stance() {
    let p = FramingParams {
        position_scale: 3.0,
        primacy_share: 0.0,
        headline_presence: 0.5,
        ..FramingParams::default()
    };
    let off = FramingParams {
        headline_presence: 0.0,
        ..p.clone()
    };
    let score = |sents: &[ScoredSentence], p: &FramingParams| {
        frame_article("t", sents, p, &Hedges::default())
            .unwrap()
            .score
    };
    // Claim headline and claim lede: the headline carries a full stance (evidence 0.65 over
    // chance 0.25 saturates), factor 1: balance 1 times 2 / 2.5, as without the setting.
    let claim_headline = [
        ss(0, Role::Headline, "Putin open to talks with the US", CLAIM),
        ss(
            1,
            Role::Lede,
            "Putin has sent signals via intermediaries.",
            CLAIM,
        ),
    ];
    assert!(close(score(&claim_headline, &p), 0.8));
    assert!(close(score(&claim_headline, &off), 0.8));
    // The same two claims under a headline about something else: factor 1 - 0.5 = 0.5.
    let other_headline = [
        ss(0, Role::Headline, "War enters third year", CONTEXT),
        ss(1, Role::Lede, &claim_headline[0].text, CLAIM),
        ss(2, Role::Body, &claim_headline[1].text, CLAIM),
    ];
    assert!(close(score(&other_headline, &off), 0.8));
    assert!(close(score(&other_headline, &p), 0.4));
    // A weak claim headline, P(claim) 0.35: evidence 0.1, gate 0.1 / 0.5 = 0.2, carried
    // 0.1 / 0.25 = 0.4, factor 0.5 + 0.5 * 0.4 = 0.7; stance mass 1.2, balance 1.
    let weak = [
        ss(0, Role::Headline, "Talks?", [0.35, 0.25, 0.2, 0.2]),
        claim_headline[1].clone(),
    ];
    assert!(close(headline_carries(0.2, &p), 0.4));
    assert!(
        close(score(&weak, &p), 1.2 / 1.7 * 0.7),
        "{}",
        score(&weak, &p)
    );
    // A denial in the headline frames the claim as fully as a claim there: -0.8.
    let denial_headline = [
        ss(0, Role::Headline, "Officials deny any back channel", DENIAL),
        ss(
            1,
            Role::Lede,
            "The White House said there were no talks.",
            DENIAL,
        ),
    ];
    assert!(close(score(&denial_headline, &p), -0.8));
    // Leaving the headline out also takes its presence away: 0.8 - 0.5 * (1 / 1.5).
    let units = stance_units("t", &claim_headline, &p, &Hedges::default()).unwrap();
    let inf = influences(&units, &p);
    assert!(close(inf[0], 0.8 - 0.5 / 1.5), "{inf:?}");

    for bad in [
        FramingParams {
            headline_presence: 1.5,
            ..p.clone()
        },
        FramingParams {
            full_evidence: 0.2,
            ..p.clone()
        },
    ] {
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("headline_presence"), "{e}");
    }
    // Off (the default) is not written out, so settings and reports without it are unchanged.
    assert!(!serde_json::to_string(&FramingParams::default())
        .unwrap()
        .contains("headline_presence"));
}

mod interval_property {
    use super::*;
    use proptest::prelude::*;

    fn unit(i: usize, mass: f64, direction: f64, claim: f64, role: Role) -> StanceUnit {
        StanceUnit {
            index: i,
            role,
            prominence: prominence(role, i, 10, &FramingParams::default()),
            mass,
            direction,
            claim,
            hedge: 0.0,
            stance: if direction >= 0.0 {
                Label::RussianClaim
            } else {
                Label::UsDenial
            },
        }
    }

    fn article() -> impl Strategy<Value = Vec<StanceUnit>> {
        prop::collection::vec(
            (0.01f64..=1.0, -1.0f64..=1.0, 0.0f64..=1.0, 0usize..4),
            1..6,
        )
        .prop_map(|us| {
            us.into_iter()
                .enumerate()
                .map(|(i, (m, d, c, r))| {
                    let role = [Role::Headline, Role::Lede, Role::Heading, Role::Body][r];
                    unit(i, m, d, c, role)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The point estimate lies inside its interval for any articles, including many
        /// syndicated copies of one article, with the formula's defaults and the shipped
        /// settings.
        #[test]
        fn the_estimate_lies_inside_its_interval(
            distinct in prop::collection::vec(article(), 1..4),
            copies in prop::sample::select(vec![1usize, 2, 50, 600]),
            shipped in any::<bool>(),
            seed in any::<u64>(),
        ) {
            let mut p = if shipped { FramingParams::shipped() } else { FramingParams::default() };
            p.bootstrap = 200;
            let mut all: Vec<&[StanceUnit]> = Vec::new();
            for a in &distinct {
                for _ in 0..copies {
                    all.push(a);
                }
            }
            let point = all.iter().map(|a| score_units(a, &p)).sum::<f64>() / all.len() as f64;
            let iv = bootstrap_mean(&all, &p, seed).unwrap();
            prop_assert!(iv.lo <= point && point <= iv.hi, "{point} not in [{}, {}]", iv.lo, iv.hi);
            prop_assert!(-1.0 <= iv.lo && iv.hi <= 1.0);
        }
    }
}

/// The bootstrap's samplers against the sampler of earlier versions (kept in
/// `rng::reference`): on simulated outlets drawn from a known distribution, the nominal 90% and
/// 95% intervals must cover the true mean at the same rate and be as wide.
mod interval_coverage {
    use super::*;
    use crate::framing::rng::reference;

    /// An article of 1 to 6 stance units: half the masses are full (1), the rest spread over
    /// (0.05, 1); directions lean toward the claim (65% positive).
    fn article(rng: &mut Rng) -> Vec<StanceUnit> {
        let p = FramingParams::shipped();
        let n = 1 + (rng.uniform() * 6.0) as usize;
        (0..n)
            .map(|i| {
                let role = if i == 0 && rng.uniform() < 0.3 {
                    Role::Headline
                } else {
                    Role::Body
                };
                let mass = if rng.uniform() < 0.5 {
                    1.0
                } else {
                    0.05 + 0.95 * rng.uniform()
                };
                let direction = if rng.uniform() < 0.65 {
                    rng.uniform()
                } else {
                    -rng.uniform()
                };
                StanceUnit {
                    index: i,
                    role,
                    prominence: prominence(role, i, n, &p),
                    mass,
                    direction,
                    claim: rng.uniform(),
                    hedge: 0.0,
                    stance: Label::RussianClaim,
                }
            })
            .collect()
    }

    /// `bootstrap_mean` as earlier versions computed it: one stream, the reference Gamma draws.
    fn reference_bootstrap_mean(
        articles: &[&[StanceUnit]],
        p: &FramingParams,
        seed: u64,
    ) -> Interval {
        let mut rng = Rng::new(seed);
        let point = articles.iter().map(|a| score_units(a, p)).sum::<f64>() / articles.len() as f64;
        let reps: Vec<f64> = (0..p.bootstrap)
            .map(|_| {
                let (mut num, mut den) = (0.0, 0.0);
                for a in articles {
                    let w = if articles.len() == 1 {
                        1.0
                    } else {
                        reference::gamma(&mut rng, 1.0)
                    };
                    let g: Vec<f64> = a
                        .iter()
                        .map(|u| reference::gamma(&mut rng, u.mass))
                        .collect();
                    let prior = reference::gamma(&mut rng, p.prior_mass);
                    num += w * components(a, &g, prior, p).map_or(0.0, |c| c.score);
                    den += w;
                }
                num / den
            })
            .collect();
        centred_interval(reps, point, p.level)
    }

    struct Coverage {
        covered: usize,
        width: f64,
    }

    #[test]
    fn interval_coverage_and_width_match_the_reference_sampler() {
        let mut p = FramingParams::shipped();
        p.bootstrap = 200;
        // The true mean article score of the generator, from 40,000 articles (its Monte-Carlo
        // error, about 0.003, is small beside the intervals' half-widths of about 0.15).
        let mut rng = Rng::new(2024);
        let truth = (0..40_000)
            .map(|_| score_units(&article(&mut rng), &p))
            .sum::<f64>()
            / 40_000.0;
        let outlets: Vec<Vec<Vec<StanceUnit>>> = (0..200)
            .map(|_| (0..12).map(|_| article(&mut rng)).collect())
            .collect();
        for level in [0.9, 0.95] {
            p.level = level;
            let (mut new, mut old) = (
                Coverage {
                    covered: 0,
                    width: 0.0,
                },
                Coverage {
                    covered: 0,
                    width: 0.0,
                },
            );
            for (k, outlet) in outlets.iter().enumerate() {
                let refs: Vec<&[StanceUnit]> = outlet.iter().map(|a| a.as_slice()).collect();
                let seed = 1000 + k as u64;
                for (c, iv) in [
                    (&mut new, bootstrap_mean(&refs, &p, seed).unwrap()),
                    (&mut old, reference_bootstrap_mean(&refs, &p, seed)),
                ] {
                    c.covered += usize::from(iv.lo <= truth && truth <= iv.hi);
                    c.width += iv.width() / outlets.len() as f64;
                }
            }
            let rate = |c: &Coverage| c.covered as f64 / outlets.len() as f64;
            // The same outlets under both samplers: the coverages differ only by the bootstrap's
            // own noise (a few outlets near an interval's end), far less than 0.06.
            assert!(
                (rate(&new) - rate(&old)).abs() <= 0.06,
                "level {level}: coverage {} against the reference's {}",
                rate(&new),
                rate(&old)
            );
            assert!(
                rate(&new) >= level - 0.12,
                "level {level}: coverage {}",
                rate(&new)
            );
            // Mean widths over 200 outlets agree to well under 1% when the samplers draw from
            // the same distributions; a sampler that shrinks or widens intervals moves this.
            let ratio = new.width / old.width;
            assert!(
                (ratio - 1.0).abs() < 0.03,
                "level {level}: mean width {} against the reference's {} (ratio {ratio})",
                new.width,
                old.width
            );
        }
    }

    #[test]
    fn replicates_do_not_depend_on_the_number_of_threads() {
        let p = FramingParams::shipped();
        let mut rng = Rng::new(9);
        // Enough articles that the blocks of replicates run in parallel.
        let articles: Vec<Vec<StanceUnit>> = (0..60).map(|_| article(&mut rng)).collect();
        let refs: Vec<&[StanceUnit]> = articles.iter().map(|a| a.as_slice()).collect();
        let units: usize = articles.iter().map(Vec::len).sum();
        assert!((units + 2 * refs.len()) * p.bootstrap >= PARALLEL_DRAWS);
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| bootstrap_mean(&refs, &p, 77).unwrap())
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
        // Another seed, other replicates.
        assert_ne!(one, bootstrap_mean(&refs, &p, 78).unwrap());
    }
}
