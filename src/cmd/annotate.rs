//! `claimtrack annotate`: arguments of a labelling session; the session, the screen and the
//! pass file are [`claimtrack::annotate`]'s.

use anyhow::{bail, Context, Result};
use claimtrack::annotate::queue::Order;
use claimtrack::annotate::{self, ClaimInfo, Setup, BUILTIN_RULES};
use claimtrack::project::Project;
use claimtrack::Label;
use std::io::IsTerminal;
use std::path::PathBuf;

/// The order of `--order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OrderArg {
    /// The model's least certain sentences first (smallest margin between its two most
    /// probable labels), retrained on the answers as they come.
    Uncertainty,
    /// Articles in folder order, sentences in article order.
    Article,
}

/// Arguments of `claimtrack annotate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack --project projects/havana-syndrome annotate --annotator alice\n  \
claimtrack annotate --annotator bob --order article --articles my-articles/ --out bob.jsonl\n\n\
Keys: 1-4 label the sentence (the project's four labels, shown on screen), u undoes the\n\
last answer (also one from an earlier session), s skips the sentence (shown again at the\n\
end), a shows the whole article, ? shows the labelling rules (the project's guidelines file), q quits.\n\
Every answer is written at once, and synced to disk, to the pass file: by default\n\
<gold folder>/passes/<annotator>.jsonl, one stand-off label per line in the gold format\n\
({\"article\",\"url\",\"index\",\"hash\",\"label\",\"annotator\"}), so a killed session\n\
loses no answer and a new one resumes where it stopped. Compare passes with\n\
`claimtrack agreement`.")]
pub struct AnnotateArgs {
    /// Who labels (one pass file per annotator). Default: $USER.
    #[arg(long, value_name = "NAME")]
    pub annotator: Option<String>,
    /// Folders of the articles to label (default: the project's article folders).
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub articles: Vec<PathBuf>,
    /// The pass file (default: <project gold folder>/passes/<annotator>.jsonl).
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The order of the sentences (default: uncertainty when there is a model, else
    /// article).
    #[arg(long, value_enum)]
    pub order: Option<OrderArg>,
    /// Retrain the model on the gold and this pass's answers after every N answers, in the
    /// background (0: never).
    #[arg(long, value_name = "N", default_value_t = 25)]
    pub retrain_every: usize,
    /// Model file for the uncertainty order (default: the project's model).
    #[arg(long, short, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Read keys from stdin instead of a terminal (each non-blank character is a key) and
    /// print each step as a line: for scripts and tests.
    #[arg(long)]
    pub script: bool,
}

/// An annotator name: 1 to 40 of letters, digits, `_`, `-` and `.`, not starting with `.`.
fn check_annotator(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 40
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok {
        bail!(
            "annotator name `{}`: use 1 to 40 letters, digits, `_`, `-` or `.`",
            claimtrack::escape::controls(name)
        );
    }
    Ok(())
}

/// The claim, labels and rules shown on screen.
fn claim_info(project: Option<&Project>) -> Result<ClaimInfo> {
    let Some(p) = project else {
        return Ok(ClaimInfo {
            claim: "(no claim project: the default story's four labels)".into(),
            names: Label::ALL.map(|l| l.as_str().to_string()),
            descriptions: Label::ALL.map(|l| {
                match l {
                    Label::RussianClaim => "Advances the claim.",
                    Label::UsDenial => "An official party denies or rejects it.",
                    Label::ExpertSkepticism => "A non-denying voice doubts it.",
                    Label::Context => "Everything else.",
                }
                .to_string()
            }),
            rules: BUILTIN_RULES.into(),
        });
    };
    let rules = match &p.guidelines {
        Some(g) => std::fs::read_to_string(g)
            .with_context(|| format!("cannot read the guidelines {}", g.display()))?,
        None => BUILTIN_RULES.into(),
    };
    Ok(ClaimInfo {
        claim: p.claim.clone(),
        names: p.labels.names(),
        descriptions: Label::ALL.map(|l| p.labels.get(l).description.clone()),
        rules,
    })
}

/// Runs the command.
pub fn run(args: AnnotateArgs, project: Option<&Project>) -> Result<()> {
    let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !args.script && !terminal {
        bail!("annotate needs a terminal (stdin and stdout); to feed keys from a script, use --script");
    }
    let annotator = match args
        .annotator
        .clone()
        .or_else(|| std::env::var("USER").ok())
    {
        Some(a) => a,
        None => bail!("give the annotator's name with --annotator NAME"),
    };
    check_annotator(&annotator)?;
    let articles = if !args.articles.is_empty() {
        args.articles.clone()
    } else if let Some(p) = project {
        p.article_folders()?
    } else {
        bail!("give the articles to label with --articles DIR (or work inside a claim project)");
    };
    let pass = match (&args.out, project) {
        (Some(o), _) => o.clone(),
        (None, Some(p)) => {
            let gold_dir = if p.gold.is_dir() {
                p.gold.clone()
            } else {
                p.gold.parent().map(PathBuf::from).unwrap_or_default()
            };
            gold_dir.join("passes").join(format!("{annotator}.jsonl"))
        }
        (None, None) => {
            bail!("give the pass file with --out FILE (or work inside a claim project)")
        }
    };
    let order = args.order.map(|o| match o {
        OrderArg::Uncertainty => Order::Uncertainty,
        OrderArg::Article => Order::Article,
    });
    let model = if order == Some(Order::Article) {
        None
    } else {
        let path = match &args.model {
            Some(m) => Some(Some(m.clone())),
            None => match project {
                Some(p) if !p.model.is_file() => None,
                _ => Some(super::common::project_model(project)?),
            },
        };
        match path {
            Some(p) => Some(super::classify::load_model(p.as_deref())?),
            None => None,
        }
    };
    let info = claim_info(project)?;
    let started = annotate::start(Setup {
        articles,
        pass: pass.clone(),
        annotator,
        order,
        model,
        gold: project.map(|p| p.gold.clone()),
        retrain_every: args.retrain_every,
    })?;
    let mut session = started.session;
    if let Some(t) = &started.truncated {
        super::common::warn(&format!(
            "{}:{}: a cut-short last line ({} bytes, an answer not confirmed before the last session ended) was dropped",
            pass.display(),
            t.line,
            t.bytes
        ));
    }
    if session.unmatched() > 0 {
        super::common::warn(&format!(
            "{}: {} answers are to sentences not among these articles (or whose text changed); they are kept but not shown",
            pass.display(),
            session.unmatched()
        ));
    }
    eprintln!(
        "note: pass file {} ({} of {} sentences labelled)",
        super::common::terminal_safe(&pass.display().to_string()),
        session.answered(),
        session.items().len()
    );
    if args.script {
        let stdin = std::io::stdin().lock();
        let stdout = std::io::stdout().lock();
        annotate::script::run(&mut session, &info, stdin, stdout)?;
    } else {
        annotate::tui::run(&mut session, &info)?;
        eprintln!(
            "{} of {} sentences labelled in {}",
            session.answered(),
            session.items().len(),
            super::common::terminal_safe(&pass.display().to_string())
        );
    }
    Ok(())
}
