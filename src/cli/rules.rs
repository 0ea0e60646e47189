//! `rakenne rules [ID]`: the rule catalogue, or one rule explained.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use rakenne::catalogue::{self, Rule};

use super::EXIT_OK;

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// A rule id (e.g. content.required): explain that rule only.
    pub id: Option<String>,
    /// `text` for reading, `json` (one JSON object per rule, JSON Lines) or `md` (the
    /// Markdown of docs/RULES.md; with no ID only).
    #[arg(long, value_enum, default_value_t = RulesOutput::Text)]
    pub output: RulesOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesOutput {
    Text,
    Json,
    Md,
}

pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let rules: Vec<&Rule> = match &args.id {
        Some(id) => match catalogue::get(id) {
            Some(rule) => vec![rule],
            None => bail!("unknown rule {id:?}: `rakenne rules` lists every rule id"),
        },
        None => catalogue::sorted(),
    };
    let mut out = std::io::stdout().lock();
    match (args.output, &args.id) {
        (RulesOutput::Md, Some(_)) => {
            bail!("--output md writes the whole catalogue: give no rule id")
        }
        (RulesOutput::Md, None) => out.write_all(catalogue::markdown().as_bytes())?,
        (RulesOutput::Json, _) => {
            for rule in rules {
                serde_json::to_writer(&mut out, &catalogue::to_json(rule))?;
                writeln!(out)?;
            }
        }
        (RulesOutput::Text, Some(_)) => explain(&mut out, rules[0])?,
        (RulesOutput::Text, None) => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for rule in &rules {
                writeln!(
                    out,
                    "{:width$}  {:7}  {:12}  {}",
                    rule.id,
                    rule.severity.as_str(),
                    rule.authority.kind(),
                    rule.checks
                )?;
            }
            writeln!(
                out,
                "\n{} rules; `rakenne rules ID` explains one (authority and examples)",
                rules.len()
            )?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn explain(out: &mut impl std::io::Write, rule: &Rule) -> std::io::Result<()> {
    writeln!(out, "{}", rule.id)?;
    writeln!(out, "  family:    {}", rule.family())?;
    writeln!(out, "  severity:  {}", rule.severity.as_str())?;
    writeln!(
        out,
        "  authority: {} ({})",
        rule.authority.source(),
        rule.authority.kind()
    )?;
    writeln!(out, "  checks:    {}", rule.checks)?;
    writeln!(out, "  passes:    {}", rule.pass)?;
    writeln!(out, "  fails:     {}", rule.fail)
}
