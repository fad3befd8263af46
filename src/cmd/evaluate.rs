//! `claimtrack evaluate`: measure the model on gold data by grouped cross-validation,
//! nested cross-validation or a separate test file, beside a majority-class baseline.

use super::train::{DataArgs, DecodeArgs, ModelArgs};
use anyhow::{bail, Context, Result};
use claimtrack::evaluate::{
    cross_validate_observed, groups_to_text_named, learning_curve_observed,
    nested_cross_validate_observed, per_group, per_role, roles_to_text_named, train_test,
    FoldScheme, GroupKey, ParamGrid,
};
use claimtrack::gold;
use claimtrack::model::ClassWeight;
use claimtrack::project::Project;
use std::io::Write;
use std::path::PathBuf;

/// `article` or `outlet` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupArg {
    /// Hold out whole articles (syndicated copies never straddle train and test).
    Article,
    /// Hold out whole outlets (how the model does on an outlet it has never seen).
    Outlet,
}

impl From<GroupArg> for GroupKey {
    fn from(g: GroupArg) -> Self {
        match g {
            GroupArg::Article => GroupKey::Article,
            GroupArg::Outlet => GroupKey::Outlet,
        }
    }
}

/// What `--by` scores separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    /// Each outlet, worst first, with its most frequent confusion.
    Outlet,
    /// Each article, worst first, with its most frequent confusion.
    Article,
    /// Each position role (headline, lede, heading, body) and headline+lede pooled:
    /// accuracy, macro-F1 and F1 per label.
    Role,
}

/// Arguments of `claimtrack evaluate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack evaluate --data data/gold --articles ../shared/corpus          # leave-one-article-out\n  \
claimtrack evaluate --data data/gold --group outlet                       # leave-one-outlet-out\n  \
claimtrack evaluate --data data/gold --nested --folds 10                  # honest tuning estimate\n  \
claimtrack evaluate --data data/gold --group outlet --folds 10 --learning-curve 0.1,0.25,0.5,1\n  \
claimtrack evaluate --data data/gold --test data/held-out.jsonl --json    # train/test\n  \
claimtrack evaluate --data data/gold --group outlet --by role              # per headline, lede, body...\n  \
claimtrack evaluate --data data/gold --dump-examples target/examples.jsonl\n\n\
Cross-validation is always grouped: by article by default, because outlets syndicate the\n\
same wire text and a random split would leak it. Metrics are pooled over the held-out\n\
predictions (precision, recall, F1 per label, macro-F1, accuracy, confusion matrix) and\n\
shown beside a majority-class baseline on the same folds. With --nested, an inner grouped CV\n\
on each outer training part picks alpha and class weighting; the held-out part is never\n\
used for tuning. Each fold's model also gets a label-sequence decoder whose weight is chosen\n\
by an inner cross-validation by article inside the fold's training part, and the report shows\n\
the argmax and the decoded labels' scores side by side (--no-decode: argmax only).")]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Group key of the folds.
    #[arg(long, value_enum, default_value = "article")]
    pub group: GroupArg,
    /// Use K grouped folds instead of leave-one-group-out.
    #[arg(long, value_name = "K")]
    pub folds: Option<usize>,
    /// Train on --data and evaluate on this gold file (or directory) instead of CV.
    #[arg(long, value_name = "FILE")]
    pub test: Option<PathBuf>,
    /// Nested CV: tune alpha and class weighting inside each outer training part.
    #[arg(long)]
    pub nested: bool,
    /// Folds of the inner CV in --nested mode (grouped like the outer folds).
    #[arg(long, value_name = "K", default_value_t = 5)]
    pub inner_folds: usize,
    /// Alphas tried in --nested mode (comma-separated).
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = ParamGrid::default().alphas)]
    pub grid_alpha: Vec<f64>,
    /// Learning curve: for each fraction (comma-separated, in (0, 1]), train on that share
    /// of each fold's training articles and score the whole held-out fold. Combine with
    /// --group and --folds (leave-one-group-out also works but trains many models).
    #[arg(long, value_name = "LIST", value_delimiter = ',', conflicts_with_all = ["test", "nested"])]
    pub learning_curve: Option<Vec<f64>>,
    /// Error analysis: after the report, score each outlet (or article) separately, worst
    /// first, with its most frequent confusion; or each sentence role (headline, lede,
    /// heading, body, and headline+lede pooled). Value: the grouping (default: outlet).
    #[arg(long, value_enum, value_name = "GROUP", num_args = 0..=1, default_missing_value = "outlet")]
    pub by: Option<ByArg>,
    /// Print the report as JSON (with every held-out prediction) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the loaded examples (text, label, article, outlet, index) as JSONL to FILE and
    /// stop: the input of scripts/compare_sklearn.py, so both tools see the same sentences.
    #[arg(long, value_name = "FILE")]
    pub dump_examples: Option<PathBuf>,
    /// Write the training matrix (the features `train` would fit on these examples, with the
    /// model settings given) in SVMlight format to FILE and stop: `LABEL_INDEX j:value ...`
    /// per example, labels in the order russian_claim, us_denial, expert_skepticism, context.
    #[arg(long, value_name = "FILE", conflicts_with = "dump_examples")]
    pub dump_features: Option<PathBuf>,
    /// Also write the reliability diagram of the held-out probabilities (after and, when the
    /// models are calibrated, before calibration) as a self-contained SVG to FILE.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["learning_curve", "framing"])]
    pub reliability: Option<PathBuf>,
    /// Validate the framing score against a human reference (data/framing-reference.tsv):
    /// each reference article is labelled by a model trained without its outlet (over
    /// --folds K outlet folds, or leaving one outlet out), scored by the framing formula, and
    /// ranked against the people's scores (Spearman, Kendall, MAE, 90% bootstrap intervals)
    /// on all outlets and on the development and held-out halves. Without a value: the
    /// project's reference (`reference` in claimtrack.toml).
    #[arg(long, value_name = "REFERENCE", num_args = 0..=1, help_heading = "Framing validation")]
    pub framing: Option<Option<PathBuf>>,
    /// With --framing: use the gold labels instead of predictions (separates the formula's
    /// error from the labels' error).
    #[arg(long, requires = "framing", help_heading = "Framing validation")]
    pub oracle: bool,
    /// With --framing: framing settings replacing the shipped data/framing.json, a JSON
    /// object with any of the formula's fields (docs/FRAMING.md), e.g. {"primacy_share": 0.3};
    /// fields not given keep the formula's defaults.
    #[arg(
        long,
        value_name = "FILE",
        requires = "framing",
        help_heading = "Framing validation"
    )]
    pub framing_params: Option<PathBuf>,
    /// With --framing: hedge list replacing the built-in data/hedges.txt.
    #[arg(
        long,
        value_name = "FILE",
        requires = "framing",
        help_heading = "Framing validation"
    )]
    pub hedges: Option<PathBuf>,
    /// With --framing: how many worst-ranked articles to list.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10,
        help_heading = "Framing validation"
    )]
    pub worst: usize,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

/// Runs the command.
pub fn run(mut args: EvaluateArgs, project: Option<&Project>) -> Result<()> {
    args.data.apply_project(project)?;
    args.model.apply_project(project);
    if let Some(p) = project {
        if args.hedges.is_none() {
            args.hedges = super::score::project_hedges(p);
        }
        if args.framing_params.is_none() {
            args.framing_params = super::score::project_framing(p);
        }
    }
    let framing: Option<PathBuf> = match &args.framing {
        None => None,
        Some(Some(reference)) => Some(reference.clone()),
        Some(None) => match project.and_then(|p| p.reference.clone()) {
            Some(r) => Some(r),
            None => bail!(
                "--framing needs a reference file: give it (--framing FILE), or name one in the \
                 project's claimtrack.toml (`reference` under [paths])"
            ),
        },
    };
    let gold_path = args.data.gold().to_path_buf();
    let guard = super::common::input_guard(
        [&gold_path]
            .into_iter()
            .chain(&args.data.articles)
            .chain(&args.test)
            .chain(&args.model.cues)
            .chain(&framing)
            .chain(&args.framing_params)
            .chain(&args.hedges)
            .map(PathBuf::as_path),
    );
    super::common::refuse_input_outputs(
        &guard,
        args.dump_examples
            .iter()
            .chain(&args.dump_features)
            .chain(&args.reliability)
            .map(PathBuf::as_path),
    )?;
    let set = args.data.load()?;
    let names = args.data.names.clone();
    let examples = set.examples;
    if let Some(path) = &args.dump_examples {
        let mut buf = Vec::new();
        for e in &examples {
            let mut v = serde_json::to_value(e)?;
            names.rename_json(&mut v);
            serde_json::to_writer(&mut buf, &v)?;
            buf.push(b'\n');
        }
        claimtrack::atomic::write_atomic(path, &buf)
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {} examples to {}", examples.len(), path.display());
        return Ok(());
    }
    let params = args.model.params()?;
    params.validate().context("invalid model settings")?;
    let heads = args.decode.heads()?;
    if let Some(path) = &args.dump_features {
        use std::fmt::Write as _;
        let (featurizer, rows) = params.design_matrix(&examples);
        let mut buf = String::new();
        for (e, row) in examples.iter().zip(&rows) {
            let _ = write!(buf, "{}", e.label.index());
            for (j, v) in row.iter() {
                let _ = write!(buf, " {j}:{v}");
            }
            buf.push('\n');
        }
        claimtrack::atomic::write_atomic(path, buf.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!(
            "wrote {} rows x {} features to {}",
            rows.len(),
            featurizer.n_features(),
            path.display()
        );
        return Ok(());
    }
    if let Some(reference) = &framing {
        return super::framing_eval::run(
            &examples,
            &params,
            super::framing_eval::FramingEvalArgs {
                reference,
                oracle: args.oracle,
                params: args.framing_params.as_deref(),
                hedges: args.hedges.as_deref(),
                folds: args.folds,
                calibrate: !args.decode.no_calibrate,
                worst: args.worst,
                json: args.json,
                names: &names,
            },
        );
    }
    let key: GroupKey = args.group.into();
    let scheme = match args.folds {
        Some(k) => FoldScheme::GroupKFold { key, k },
        None => FoldScheme::LeaveOneGroupOut(key),
    };
    if let Some(fractions) = &args.learning_curve {
        let bar = super::progress::bar(false, "models");
        let on = super::progress::observer(&bar);
        let curve = learning_curve_observed(&examples, &params, scheme, fractions, Some(&on))
            .context("learning curve failed")?;
        bar.finish_and_clear();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        if args.json {
            let mut v = serde_json::to_value(&curve)?;
            names.rename_json(&mut v);
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        } else {
            write!(out, "{}", curve.to_text_named(&names))?;
        }
        out.flush()?;
        return Ok(());
    }
    // The examples the report's predictions refer to (the test set with --test).
    let mut scored = examples.clone();
    let report = if let Some(test_path) = &args.test {
        if args.nested {
            bail!("--nested and --test do not go together: tune with --nested, or hold out --test");
        }
        let dirs = args.data.article_dirs();
        let dirs: Vec<&std::path::Path> = dirs.iter().map(PathBuf::as_path).collect();
        let test = gold::load_named(test_path, &dirs, &names)
            .with_context(|| format!("cannot load test data from {}", test_path.display()))?;
        let report = train_test(&examples, &test.examples, &params, &heads).with_context(|| {
            format!(
                "train/test evaluation on {} and {} failed",
                args.data.gold().display(),
                test_path.display()
            )
        })?;
        // Predictions index the test examples from here on.
        scored = test.examples;
        report
    } else if args.nested {
        let class_weights = match args.model.class_weight {
            Some(c) => vec![c.into()],
            None => vec![ClassWeight::None, ClassWeight::Balanced],
        };
        let grid = ParamGrid {
            alphas: match args.model.alpha {
                Some(a) => vec![a],
                None => args.grid_alpha.clone(),
            },
            class_weights,
        };
        let inner = FoldScheme::GroupKFold {
            key,
            k: args.inner_folds,
        };
        let bar = super::progress::bar(false, "outer folds");
        let on = super::progress::observer(&bar);
        let r = nested_cross_validate_observed(
            &examples,
            &params,
            &grid,
            scheme,
            inner,
            &heads,
            Some(&on),
        )
        .with_context(|| {
            format!(
                "nested cross-validation on {} failed",
                args.data.gold().display()
            )
        })?;
        bar.finish_and_clear();
        r
    } else {
        let bar = super::progress::bar(false, "folds");
        let on = super::progress::observer(&bar);
        let r = cross_validate_observed(&examples, &params, scheme, &heads, Some(&on))
            .with_context(|| {
                format!("cross-validation on {} failed", args.data.gold().display())
            })?;
        bar.finish_and_clear();
        r
    };
    if let Some(path) = &args.reliability {
        let mut series = vec![("calibrated", &report.probabilities)];
        if let Some(u) = &report.uncalibrated_probabilities {
            series = vec![
                ("before calibration", u),
                ("calibrated", &report.probabilities),
            ];
        }
        if report.uncalibrated_probabilities.is_none() {
            series[0].0 = "model";
        }
        let title = format!("Reliability of held-out probabilities ({})", report.scheme);
        let svg = claimtrack::reliability::reliability_svg(&title, &series);
        claimtrack::atomic::write_atomic(path, svg.as_bytes()).with_context(|| {
            format!("cannot write the reliability diagram to {}", path.display())
        })?;
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let group_key = |by: ByArg| match by {
        ByArg::Outlet => Some(GroupKey::Outlet),
        ByArg::Article => Some(GroupKey::Article),
        ByArg::Role => None,
    };
    if args.json {
        let mut v = match args.by {
            Some(ByArg::Role) => {
                let roles = per_role(&scored, &report);
                serde_json::json!({ "report": report, "roles": roles })
            }
            Some(by) => {
                let key = group_key(by).unwrap_or(GroupKey::Outlet);
                let groups = per_group(&scored, &report, key);
                serde_json::json!({ "report": report, "groups": groups })
            }
            None => serde_json::to_value(&report)?,
        };
        names.rename_json(&mut v);
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", report.to_text_named(&names))?;
        match args.by.map(|by| (by, group_key(by))) {
            Some((_, Some(key))) => {
                writeln!(out)?;
                write!(
                    out,
                    "{}",
                    groups_to_text_named(key, &per_group(&scored, &report, key), &names)
                )?;
            }
            Some((_, None)) => {
                writeln!(out)?;
                write!(
                    out,
                    "{}",
                    roles_to_text_named(&per_role(&scored, &report), &names)
                )?;
            }
            None => {}
        }
    }
    out.flush()?;
    Ok(())
}
