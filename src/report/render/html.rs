//! One self-contained HTML page: the pilots' table, a bar chart of verdicts per group
//! (inline SVG), the most frequent findings, own templates by nearest structure, and a
//! drill-down (`<details>`) to each group's findings and its sampled documents' findings
//! and field tables.
//!
//! The page needs nothing at view time: no script, no font, no image, no network (its
//! Content-Security-Policy forbids every fetch). It holds what the summary holds: file
//! names, verdicts, rule ids, element names and pointers, field statuses and the engine's
//! masked messages, never document content.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::table::files_text;
use super::{cell, column, element_name, group_headings, group_name, labels, score_text};
use crate::check::report::{FieldStatus, Severity, Verdict};
use crate::definitions::Lang;
use crate::report::escape_xml as esc;
use crate::report::survey::{
    DocumentSample, FindingCount, GroupBy, GroupSummary, Summary, VERDICTS,
};

struct HtmlLabels {
    summary: &'static str,
    chart: &'static str,
    drill: &'static str,
    sample_note: &'static str,
    no_samples: &'static str,
    documents_word: &'static str,
    findings: &'static str,
    fields: &'static str,
    pointer: &'static str,
    message: &'static str,
    name: &'static str,
    representation: &'static str,
    required: &'static str,
    status: &'static str,
    count: &'static str,
    yes: &'static str,
    no_findings: &'static str,
    omitted: &'static str,
    errors: &'static str,
    nothing: &'static str,
    /// The field statuses in words: valid, invalid, missing (required), missing
    /// (conditional), absent (optional), not in the definition.
    statuses: [&'static str; 6],
}

const FI: HtmlLabels = HtmlLabels {
    summary: "Yhteenveto",
    chart: "Tulokset ryhmittäin",
    drill: "Ryhmät ja asiakirjat",
    sample_note: "Kustakin ryhmästä näytetään enintään {n} ensimmäistä asiakirjaa tiedostonimen mukaan; luvut ja havaintotilastot koskevat kaikkia asiakirjoja. Sivulla ei ole asiakirjojen sisältöä: vain tiedostonimet, säännöt, tietojen nimet ja tilat.",
    no_samples: "Asiakirjakohtaisia tietoja ei tallennettu.",
    documents_word: "asiakirjaa",
    findings: "Havainnot",
    fields: "Kenttätaulukko",
    pointer: "Sijainti",
    message: "Viesti",
    name: "Nimi",
    representation: "Tietotyyppi",
    required: "Pakollinen",
    status: "Tila",
    count: "Määrä",
    yes: "kyllä",
    no_findings: "Ei havaintoja.",
    omitted: "havaintoa jätettiin pois",
    errors: "virhettä",
    nothing: "Ei asiakirjoja.",
    statuses: [
        "kunnossa",
        "virheellinen",
        "pakollinen puuttuu",
        "ehdollinen puuttuu",
        "valinnainen, ei annettu",
        "ei määrittelyssä",
    ],
};

const SV: HtmlLabels = HtmlLabels {
    summary: "Sammanfattning",
    chart: "Resultat per grupp",
    drill: "Grupper och dokument",
    sample_note: "Av varje grupp visas högst de {n} första dokumenten efter filnamn; siffrorna och fyndstatistiken gäller alla dokument. Sidan innehåller inget dokumentinnehåll: endast filnamn, regler, uppgifternas namn och status.",
    no_samples: "Inga uppgifter per dokument sparades.",
    documents_word: "dokument",
    findings: "Fynd",
    fields: "Fälttabell",
    pointer: "Plats",
    message: "Meddelande",
    name: "Namn",
    representation: "Datatyp",
    required: "Obligatorisk",
    status: "Status",
    count: "Antal",
    yes: "ja",
    no_findings: "Inga fynd.",
    omitted: "fynd utelämnades",
    errors: "fel",
    nothing: "Inga dokument.",
    statuses: [
        "giltig",
        "ogiltig",
        "obligatorisk saknas",
        "villkorlig saknas",
        "valfri, saknas",
        "inte i definitionen",
    ],
};

const EN: HtmlLabels = HtmlLabels {
    summary: "Summary",
    chart: "Verdicts per group",
    drill: "Groups and documents",
    sample_note: "Each group shows at most its first {n} documents by file name; the counts and finding statistics cover all documents. The page holds no document content: only file names, rules, element names and statuses.",
    no_samples: "No per-document details were kept.",
    documents_word: "documents",
    findings: "Findings",
    fields: "Field table",
    pointer: "Location",
    message: "Message",
    name: "Name",
    representation: "Representation",
    required: "Required",
    status: "Status",
    count: "Count",
    yes: "yes",
    no_findings: "No findings.",
    omitted: "findings omitted",
    errors: "errors",
    nothing: "No documents.",
    statuses: [
        "valid",
        "invalid",
        "missing-required",
        "missing-conditional",
        "absent-optional",
        "undefined",
    ],
};

fn html_labels(lang: Lang) -> &'static HtmlLabels {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

impl HtmlLabels {
    /// A field status in words; its code (`missing-required`) stays the CSS class.
    fn status(&self, status: FieldStatus) -> &'static str {
        let i = match status {
            FieldStatus::Valid => 0,
            FieldStatus::Invalid => 1,
            FieldStatus::MissingRequired => 2,
            FieldStatus::MissingConditional => 3,
            FieldStatus::AbsentOptional => 4,
            FieldStatus::Undefined => 5,
        };
        self.statuses[i]
    }
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Fi => "fi",
        Lang::Sv => "sv",
        Lang::En => "en",
    }
}

/// The CSS class (and colour) of a verdict column.
fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::FullyConformant => "fully",
        Verdict::PartlyConformant => "partly",
        Verdict::OwnTemplate => "own",
        Verdict::Unreadable => "unreadable",
    }
}

fn verdict_colour(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::FullyConformant => "#2e7d32",
        Verdict::PartlyConformant => "#ef9a00",
        Verdict::OwnTemplate => "#7b1fa2",
        Verdict::Unreadable => "#c62828",
    }
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:2rem;color:#1b1b1b;background:#fff;line-height:1.4}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .6rem;border-bottom:1px solid #ccc}
.meta{color:#555;margin:0}
table{border-collapse:collapse;margin:.4rem 0;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;background:#f6f6f6}
td.mark{text-align:center;white-space:nowrap}td.mark b{font-size:1.05rem}
code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.85em}
.fully{color:#2e7d32}.partly{color:#a86b00}.own{color:#7b1fa2}.unreadable{color:#c62828}
.legend{list-style:none;padding:0;display:flex;gap:1.2rem;margin:.3rem 0}
.legend span{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;vertical-align:-.1rem}
details{margin:.35rem 0;border:1px solid #ddd;border-radius:4px;padding:.3rem .6rem}
details details{margin-left:1rem}
summary{cursor:pointer;font-weight:600}
h3{font-size:1rem;margin:.6rem 0 .2rem}h4{font-size:.95rem;margin:.6rem 0 .2rem}
details.document table{width:100%}details td code{word-break:break-all}
.pilot td code{white-space:nowrap}
.s-valid{color:#2e7d32}.s-invalid,.s-missing-required{color:#c62828;font-weight:600}
.s-missing-conditional{color:#a86b00;font-weight:600}.s-absent-optional{color:#777}.s-undefined{color:#7b1fa2}
.sev-ERROR{color:#c62828;font-weight:600}.sev-WARNING{color:#a86b00}.sev-INFO{color:#1565c0}
svg text{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:12px;fill:#1b1b1b}
";

/// Writes the page.
pub fn render(summary: &Summary, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let mut page = String::with_capacity(64 * 1024);
    write_page(&mut page, summary, lang).expect("writing to a string cannot fail");
    out.write_all(page.as_bytes())
}

fn write_page(p: &mut String, summary: &Summary, lang: Lang) -> std::fmt::Result {
    let l = labels(lang);
    let h = html_labels(lang);
    writeln!(p, "<!DOCTYPE html>")?;
    writeln!(p, "<html lang=\"{}\">", lang_code(lang))?;
    writeln!(p, "<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        p,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(
        p,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(p, "<title>{}</title>", esc(l.title))?;
    writeln!(p, "<style>{STYLE}</style>\n</head>\n<body>")?;
    writeln!(p, "<h1>{}</h1>", esc(l.title))?;
    writeln!(
        p,
        "<p class=\"meta\">{} {} · rakenne {}</p>",
        summary.documents,
        h.documents_word,
        env!("CARGO_PKG_VERSION")
    )?;
    if summary.not_checked > 0 {
        writeln!(
            p,
            "<p class=\"meta\">{} {}</p>",
            summary.not_checked,
            esc(l.not_checked)
        )?;
    }

    write_table(p, summary, lang)?;

    writeln!(p, "<section id=\"chart\">\n<h2>{}</h2>", esc(h.chart))?;
    write_chart(p, summary, lang)?;
    writeln!(p, "<ul class=\"legend\">")?;
    for verdict in VERDICTS {
        writeln!(
            p,
            "<li><span style=\"background:{}\"></span>{}</li>",
            verdict_colour(verdict),
            esc(column(verdict, lang))
        )?;
    }
    writeln!(p, "</ul>\n</section>")?;

    writeln!(
        p,
        "<section id=\"findings\">\n<h2>{}</h2>",
        esc(l.top_findings)
    )?;
    write_findings(p, &summary.top_findings, lang)?;
    writeln!(p, "</section>")?;

    if !summary.own_templates.is_empty() {
        writeln!(
            p,
            "<section id=\"own-templates\">\n<h2>{}</h2>",
            esc(l.own_templates)
        )?;
        writeln!(
            p,
            "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(l.nearest),
            esc(l.oid),
            esc(l.documents),
            esc(l.score),
            esc(l.files)
        )?;
        for own in &summary.own_templates {
            writeln!(
                p,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&own
                    .name
                    .as_ref()
                    .map_or(l.none.to_string(), |n| n.get(lang).to_string())),
                esc(own.oid.as_deref().unwrap_or("")),
                own.score.documents,
                esc(&score_text(&own.score)),
                esc(&files_text(own, l.more, usize::MAX))
            )?;
        }
        writeln!(p, "</table>\n</section>")?;
    }

    writeln!(p, "<section id=\"drill-down\">\n<h2>{}</h2>", esc(h.drill))?;
    if summary.sample_limit > 0 {
        writeln!(
            p,
            "<p class=\"meta\">{}</p>",
            esc(&h
                .sample_note
                .replace("{n}", &summary.sample_limit.to_string()))
        )?;
    } else {
        writeln!(p, "<p class=\"meta\">{}</p>", esc(h.no_samples))?;
    }
    for (i, group) in summary.groups.iter().enumerate() {
        write_group(p, i, group, lang)?;
    }
    writeln!(p, "</section>\n</body>\n</html>")
}

fn write_table(p: &mut String, summary: &Summary, lang: Lang) -> std::fmt::Result {
    let l = labels(lang);
    let (name_heading, key_heading) = group_headings(summary.by, lang);
    let own_column = summary.by == GroupBy::Structure;
    writeln!(
        p,
        "<section id=\"summary\">\n<h2>{}</h2>",
        esc(html_labels(lang).summary)
    )?;
    write!(
        p,
        "<table class=\"pilot\">\n<tr><th>{}</th><th>{}</th>",
        esc(name_heading),
        esc(key_heading)
    )?;
    for verdict in VERDICTS {
        write!(
            p,
            "<th class=\"{}\">{}</th>",
            verdict_class(verdict),
            esc(column(verdict, lang))
        )?;
    }
    write!(p, "<th>{}</th>", esc(l.total))?;
    if own_column {
        write!(p, "<th>{}</th>", esc(l.own_score))?;
    }
    writeln!(p, "</tr>")?;
    for (i, group) in summary.groups.iter().enumerate() {
        write!(
            p,
            "<tr><td><a href=\"#group-{i}\">{}</a></td><td><code>{}</code></td>",
            esc(&group_name(group, lang)),
            esc(&group.key)
        )?;
        for verdict in VERDICTS {
            write_mark_cell(
                p,
                group.marks.get(verdict),
                group.counts.get(verdict),
                verdict,
            )?;
        }
        write!(p, "<td class=\"n\">{}</td>", group.total)?;
        if own_column {
            write!(
                p,
                "<td>{}</td>",
                esc(&group
                    .own_template_score
                    .as_ref()
                    .map(score_text)
                    .unwrap_or_default())
            )?;
        }
        writeln!(p, "</tr>")?;
    }
    write!(p, "<tr class=\"total\"><td>{}</td><td></td>", esc(l.total))?;
    for verdict in VERDICTS {
        write_mark_cell(
            p,
            summary.marks.get(verdict),
            summary.totals.get(verdict),
            verdict,
        )?;
    }
    write!(p, "<td class=\"n\">{}</td>", summary.documents)?;
    if own_column {
        write!(p, "<td></td>")?;
    }
    writeln!(p, "</tr>\n</table>\n</section>")
}

fn write_mark_cell(
    p: &mut String,
    mark: crate::report::survey::Mark,
    count: u64,
    verdict: Verdict,
) -> std::fmt::Result {
    let text = cell(mark, count);
    match text.split_once(' ') {
        Some((mark, count)) => write!(
            p,
            "<td class=\"mark {}\"><b>{}</b> {}</td>",
            verdict_class(verdict),
            esc(mark),
            esc(count)
        ),
        None => write!(p, "<td class=\"mark\"></td>"),
    }
}

/// Horizontal stacked bars, one per group, scaled to the largest group.
fn write_chart(p: &mut String, summary: &Summary, lang: Lang) -> std::fmt::Result {
    const LABEL: f64 = 400.0;
    const BAR: f64 = 600.0;
    const ROW: f64 = 26.0;
    let h = html_labels(lang);
    if summary.groups.is_empty() {
        return writeln!(p, "<p>{}</p>", esc(h.nothing));
    }
    let max = summary
        .groups
        .iter()
        .map(|g| g.total)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let width = LABEL + BAR + 70.0;
    let height = ROW * summary.groups.len() as f64 + 8.0;
    writeln!(
        p,
        "<svg id=\"verdict-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">",
        esc(h.chart)
    )?;
    for (i, group) in summary.groups.iter().enumerate() {
        let y = ROW * i as f64 + 4.0;
        let mut name = group_name(group, lang);
        if name.chars().count() > 58 {
            name = name.chars().take(57).collect::<String>() + "…";
        }
        writeln!(
            p,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LABEL - 8.0,
            y + 14.0,
            esc(&name)
        )?;
        let mut x = LABEL;
        for verdict in VERDICTS {
            let count = group.counts.get(verdict);
            if count == 0 {
                continue;
            }
            let w = (count as f64 / max * BAR).max(1.0);
            writeln!(
                p,
                "<rect class=\"bar bar-{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{}\"><title>{}: {count}</title></rect>",
                verdict_class(verdict),
                verdict_colour(verdict),
                esc(column(verdict, lang))
            )?;
            x += w;
        }
        writeln!(
            p,
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x + 6.0,
            y + 14.0,
            group.total
        )?;
    }
    writeln!(p, "</svg>")
}

fn write_findings(p: &mut String, findings: &[FindingCount], lang: Lang) -> std::fmt::Result {
    let l = labels(lang);
    if findings.is_empty() {
        return writeln!(p, "<p>{}</p>", esc(html_labels(lang).no_findings));
    }
    writeln!(
        p,
        "<table>\n<tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(l.occurrences),
        esc(l.documents),
        esc(l.severity),
        esc(l.rule),
        esc(l.element)
    )?;
    for (i, f) in findings.iter().enumerate() {
        writeln!(
            p,
            "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"sev-{sev}\">{sev}</td><td><code>{}</code></td><td>{}</td></tr>",
            i + 1,
            f.occurrences,
            f.documents,
            esc(&f.rule),
            esc(&element_name(f.element.as_ref(), lang)),
            sev = f.severity.as_str(),
        )?;
    }
    writeln!(p, "</table>")
}

fn write_group(p: &mut String, i: usize, group: &GroupSummary, lang: Lang) -> std::fmt::Result {
    let l = labels(lang);
    let h = html_labels(lang);
    writeln!(
        p,
        "<details class=\"group\" id=\"group-{i}\">\n<summary>{} <code>{}</code> — {} {}</summary>",
        esc(&group_name(group, lang)),
        esc(&group.key),
        group.total,
        esc(h.documents_word)
    )?;
    writeln!(p, "<h3>{}</h3>", esc(l.top_findings))?;
    write_findings(p, &group.top_findings, lang)?;
    for sample in &group.samples {
        write_sample(p, sample, lang)?;
    }
    writeln!(p, "</details>")
}

fn write_sample(p: &mut String, sample: &DocumentSample, lang: Lang) -> std::fmt::Result {
    let l = labels(lang);
    let h = html_labels(lang);
    let errors = sample
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    writeln!(
        p,
        "<details class=\"document\">\n<summary>{} — <span class=\"{}\">{}</span> ({} {})</summary>",
        esc(&sample.file),
        verdict_class(sample.verdict),
        esc(column(sample.verdict, lang)),
        errors,
        esc(h.errors)
    )?;
    if !sample.nearest.is_empty() {
        writeln!(p, "<p>{}:</p>\n<ul>", esc(l.nearest))?;
        for n in &sample.nearest {
            writeln!(
                p,
                "<li>{} <code>{}</code> {:.2}</li>",
                esc(n.name.get(lang)),
                esc(&n.oid),
                n.score
            )?;
        }
        writeln!(p, "</ul>")?;
    }
    writeln!(p, "<h4>{}</h4>", esc(h.findings))?;
    if sample.findings.is_empty() {
        writeln!(p, "<p>{}</p>", esc(h.no_findings))?;
    } else {
        writeln!(
            p,
            "<table class=\"findings\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(l.severity),
            esc(l.rule),
            esc(h.pointer),
            esc(l.element),
            esc(h.message)
        )?;
        for f in &sample.findings {
            let mut location = f.pointer.clone().unwrap_or_default();
            if location.is_empty() && f.pointer.is_some() {
                location.push('/');
            }
            if let Some(path) = &f.path {
                if !location.is_empty() {
                    location.push(' ');
                }
                location.push_str(path);
            }
            if let Some(line) = f.line {
                location.push_str(&format!(" {line}:{}", f.column.unwrap_or(0)));
            }
            writeln!(
                p,
                "<tr><td class=\"sev-{sev}\">{sev}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&f.rule),
                esc(location.trim()),
                esc(&element_name(f.element.as_ref().map(|e| &e.name), lang)),
                esc(&f.message),
                sev = f.severity.as_str(),
            )?;
        }
        writeln!(p, "</table>")?;
    }
    if sample.findings_omitted > 0 {
        writeln!(p, "<p>{} {}</p>", sample.findings_omitted, esc(h.omitted))?;
    }
    if !sample.fields.is_empty() {
        writeln!(p, "<h4>{}</h4>", esc(h.fields))?;
        writeln!(
            p,
            "<table class=\"fields\">\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            esc(h.name),
            esc(h.pointer),
            esc(h.representation),
            esc(h.required),
            esc(h.status),
            esc(h.count)
        )?;
        for field in &sample.fields {
            writeln!(
                p,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"s-{}\">{}</td><td class=\"n\">{}</td></tr>",
                esc(field.name.get(lang)),
                esc(&field.pointer),
                esc(field.representation.as_deref().unwrap_or("")),
                if field.required { h.yes } else { "" },
                field.status.as_str(),
                esc(h.status(field.status)),
                field.count,
            )?;
        }
        writeln!(p, "</table>")?;
    }
    writeln!(p, "</details>")
}
