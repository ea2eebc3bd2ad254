//! `writeup/report.html`: one page a product manager can open, offline, in any browser.
//!
//! The page holds the run's summary (its markdown rendered), the tables the report chooses,
//! every figure the run drew (embedded as PNG data), the readiness checks and the run
//! manifest. It is self-contained and inert: no `<script>`, no stylesheet or image fetched
//! from anywhere, no link out (the summary's links keep their text only, and raw HTML in any
//! text, a column name of the team's log say, is shown as text). It holds no timestamp and
//! no absolute path (the manifest's log path is shown by its file name), so two runs of the
//! same inputs write the same bytes. Its layout fits a 1366-pixel-wide screen without
//! horizontal scrolling: the page is at most 1080 pixels wide, images scale down, and table
//! cells and preformatted text wrap.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use slate_table::readiness::Check;

use crate::ReportError;
use crate::final_report::figure_catalog;

/// The page `analyze` and `report` write into the writeup folder.
pub const HTML_REPORT_FILE: &str = "report.html";

/// The page's style: one column of readable width, wrapping tables, scaled figures.
const STYLE: &str = "\
body{font-family:\"DejaVu Sans\",system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;\
line-height:1.45;color:#1d1d1f;background:#fff;max-width:1080px;margin:0 auto;\
padding:16px 24px 48px;box-sizing:border-box}\
h1{font-size:1.6em;margin:0.6em 0}\
h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:2em}\
table{border-collapse:collapse;margin:12px 0;font-size:0.85em;max-width:100%}\
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top;\
overflow-wrap:anywhere}\
th{background:#f3f4f6;overflow-wrap:normal}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
figure{margin:28px 0}\
img{max-width:100%;height:auto;display:block;margin:0 auto}\
figcaption{font-size:0.9em;color:#424a53;text-align:center;margin-top:6px}\
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:8px 12px;\
font-size:0.8em}\
code{overflow-wrap:anywhere}\
.failed{color:#b00020;font-weight:bold}\
details summary{cursor:pointer}";

/// Text escaped for an HTML body or attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing to a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

/// A cell of an HTML table: text, or a number right-aligned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Text, left-aligned.
    Text(String),
    /// A formatted number, right-aligned.
    Number(String),
}

/// A page being composed: blocks appended in reading order, rendered once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    title: String,
    body: String,
}

impl Page {
    /// An empty page titled `title` (the browser tab's title; the body brings its own heading).
    pub(crate) fn new(title: &str) -> Page {
        Page {
            title: title.to_string(),
            body: String::new(),
        }
    }

    /// Markdown rendered as CommonMark with tables. Raw HTML in it becomes text and links
    /// keep their text only, so the page stays inert and offline whatever the text says.
    pub(crate) fn markdown(&mut self, markdown: &str) {
        let events =
            Parser::new_ext(markdown, Options::ENABLE_TABLES).filter_map(|event| match event {
                Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
                Event::Start(Tag::Link { .. } | Tag::Image { .. })
                | Event::End(TagEnd::Link | TagEnd::Image) => None,
                other => Some(other),
            });
        pulldown_cmark::html::push_html(&mut self.body, events);
    }

    /// A section heading.
    pub(crate) fn heading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    /// A paragraph of plain text.
    pub(crate) fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
    }

    /// A table with a header row.
    pub(crate) fn table(&mut self, header: &[&str], rows: &[Vec<Cell>]) {
        let b = &mut self.body;
        let _ = write!(b, "<table>\n<thead><tr>");
        for h in header {
            let _ = write!(b, "<th>{}</th>", escape(h));
        }
        let _ = writeln!(b, "</tr></thead>\n<tbody>");
        for row in rows {
            let _ = write!(b, "<tr>");
            for cell in row {
                let _ = match cell {
                    Cell::Text(t) => write!(b, "<td>{}</td>", escape(t)),
                    Cell::Number(n) => write!(b, "<td class=\"num\">{}</td>", escape(n)),
                };
            }
            let _ = writeln!(b, "</tr>");
        }
        let _ = writeln!(b, "</tbody>\n</table>");
    }

    /// A readiness table: each check with its value, requirement and whether it passed.
    pub(crate) fn readiness(&mut self, checks: &[Check<String>]) {
        let b = &mut self.body;
        let _ = writeln!(
            b,
            "<table>\n<thead><tr><th>Check</th><th>Value</th><th>Requirement</th><th>Passed</th></tr></thead>\n<tbody>"
        );
        for c in checks {
            let passed = if c.passed {
                "yes".to_string()
            } else {
                "<span class=\"failed\">no</span>".to_string()
            };
            let _ = writeln!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{passed}</td></tr>",
                escape(&c.check),
                escape(&c.value),
                escape(&c.requirement)
            );
        }
        let _ = writeln!(b, "</tbody>\n</table>");
    }

    /// Every figure of the catalog present in `figures_dir`, in catalog order, embedded with
    /// its description as caption. Returns how many.
    pub(crate) fn figures(&mut self, figures_dir: &Path) -> Result<usize, ReportError> {
        let mut embedded = 0;
        for (name, description) in figure_catalog() {
            let path = figures_dir.join(name);
            if !path.exists() {
                continue;
            }
            let png = std::fs::read(&path).map_err(|source| ReportError::Read {
                path: path.clone(),
                source,
            })?;
            let data = base64::engine::general_purpose::STANDARD.encode(&png);
            let _ = writeln!(
                self.body,
                "<figure>\n<img alt=\"{}\" src=\"data:image/png;base64,{data}\">\n<figcaption><b>{}</b>: {}</figcaption>\n</figure>",
                escape(description),
                escape(name),
                escape(description)
            );
            embedded += 1;
        }
        Ok(embedded)
    }

    /// The run manifest at `path`: what was analyzed as a table, the configuration folded
    /// below it. The log's path is shown by its file name (the page holds no absolute path).
    pub(crate) fn manifest(&mut self, path: &Path) -> Result<(), ReportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ReportError::Manifest {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let scalar = |value: &serde_json::Value| match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut rows = Vec::new();
        for key in ["tool", "tool_version", "log_schema_version", "command"] {
            if let Some(value) = manifest.get(key) {
                rows.push(vec![Cell::Text(key.to_string()), Cell::Text(scalar(value))]);
            }
        }
        if let Some(serde_json::Value::Object(log)) = manifest.get("log") {
            for (key, value) in log {
                let shown = if key == "path" {
                    let full = scalar(value);
                    Path::new(&full)
                        .file_name()
                        .map_or(full.clone(), |n| n.to_string_lossy().to_string())
                } else {
                    scalar(value)
                };
                rows.push(vec![Cell::Text(format!("log.{key}")), Cell::Text(shown)]);
            }
        }
        self.table(&["Field", "Value"], &rows);
        if let Some(config) = manifest.get("config") {
            let pretty =
                serde_json::to_string_pretty(config).map_err(|e| ReportError::Manifest {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })?;
            let _ = writeln!(
                self.body,
                "<details>\n<summary>Configuration</summary>\n<pre>{}</pre>\n</details>",
                escape(&pretty)
            );
        }
        Ok(())
    }

    /// The whole document.
    pub(crate) fn render(&self) -> String {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            escape(&self.title),
            self.body
        )
    }

    /// Writes the page as [`HTML_REPORT_FILE`] in `dir` (atomically); returns its path.
    pub(crate) fn write(&self, dir: &Path) -> Result<PathBuf, ReportError> {
        Ok(slate_table::write_bytes_atomically(
            dir,
            HTML_REPORT_FILE,
            self.render().as_bytes(),
        )?)
    }
}

/// A number with four decimals, or a dash where there is none.
pub(crate) fn number(value: f64) -> Cell {
    Cell::Number(if value.is_finite() {
        format!("{value:.4}")
    } else {
        "—".into()
    })
}

/// A 95% interval.
pub(crate) fn interval(lower: f64, upper: f64) -> Cell {
    Cell::Number(format!("[{lower:.4}, {upper:.4}]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_html_and_links_in_markdown_render_inert() {
        let mut page = Page::new("t");
        page.markdown(
            "# Log `<script>alert(1)</script>`\n\n<script>alert(2)</script>\n\nSee [the docs](https://example.com/x) <img src=\"http://x/y.png\">.\n\n| a | b |\n|---|---|\n| <b>1</b> | 2 |\n",
        );
        let html = page.render();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("href="), "{html}");
        assert!(html.contains("&lt;script&gt;alert(2)"), "{html}");
        assert!(html.contains("the docs"), "{html}");
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("&lt;b&gt;1&lt;/b&gt;"), "{html}");
    }

    #[test]
    fn the_manifest_shows_the_log_by_its_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(
            &path,
            r#"{"tool":"slate","command":"analyze","log":{"path":"/very/secret/place/log.parquet","rows":12},"config":{"a":{"b":"<x>"}}}"#,
        )
        .unwrap();
        let mut page = Page::new("t");
        page.manifest(&path).unwrap();
        let html = page.render();
        assert!(
            html.contains("<td>log.path</td><td>log.parquet</td>"),
            "{html}"
        );
        assert!(!html.contains("/very/secret"), "{html}");
        assert!(html.contains("&lt;x&gt;"), "{html}");
    }

    #[test]
    fn a_broken_manifest_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        std::fs::write(&path, "{ not json").unwrap();
        let error = Page::new("t").manifest(&path).unwrap_err().to_string();
        assert!(error.contains("m.json"), "{error}");
    }

    #[test]
    fn figures_are_embedded_as_png_data_in_catalog_order() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = figure_catalog();
        // Two figures of the catalog, written in reverse order, plus a stray PNG.
        for (name, _) in [catalog[3], catalog[0]] {
            std::fs::write(dir.path().join(name), b"\x89PNG\r\n\x1a\nfake").unwrap();
        }
        std::fs::write(dir.path().join("stray.png"), b"x").unwrap();
        let mut page = Page::new("t");
        assert_eq!(page.figures(dir.path()).unwrap(), 2);
        let html = page.render();
        let first = html.find(catalog[0].0).unwrap();
        let second = html.find(catalog[3].0).unwrap();
        assert!(first < second);
        assert!(!html.contains("stray.png"));
        assert_eq!(html.matches("src=\"data:image/png;base64,").count(), 2);
    }
}
