//! Organisers write descriptions in Markdown; pages show them as HTML that can run
//! nothing. pulldown-cmark renders (raw HTML included, as Markdown allows), then
//! ammonia keeps only an allow-list of tags, attributes and URL schemes.
//!
//! A page shows the same Markdown on every view until an organiser changes it, and
//! some Markdown is costly to render (thousands of nested brackets, emphasis or
//! quotes: see `BENCHMARKS.md`), so each text is rendered once and kept, by a digest
//! of the text itself: a change is a new text, rendered on its first view.

use std::{
    collections::HashMap,
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use pulldown_cmark::{Event, Options, Parser, html};
use sha2::{Digest, Sha256};

/// Renderings kept at most, and their HTML's size in all; past either the cache
/// starts afresh. A page shows at most a few texts, so this holds those of the
/// thousand-odd pages read most at once, in a few megabytes.
const MAX_KEPT: usize = 1024;
const MAX_KEPT_BYTES: usize = 32 * 1024 * 1024;

/// Texts shorter than this are rendered every time: they cost less than keeping them.
const WORTH_KEEPING: usize = 256;

/// One text as a page shows it.
#[derive(Debug, Clone)]
struct Rendering {
    html: Arc<str>,
    /// Which rendering this was, counted from the start of the process: a test reads
    /// it to see that a second view rendered nothing.
    number: u64,
}

#[derive(Debug, Default)]
struct Kept {
    by_digest: HashMap<[u8; 32], Rendering>,
    bytes: usize,
}

static KEPT: LazyLock<Mutex<Kept>> = LazyLock::new(Mutex::default);
static RENDERINGS: AtomicU64 = AtomicU64::new(0);

fn digest(markdown: &str) -> [u8; 32] {
    Sha256::digest(markdown.as_bytes()).into()
}

/// Markdown as HTML safe to put in a page: no script, no event handler, no
/// `javascript:` link, whatever the source held. Rendered once per text.
pub fn to_safe_html(markdown: &str) -> Arc<str> {
    if markdown.len() < WORTH_KEEPING {
        return render(markdown).into();
    }
    let key = digest(markdown);
    if let Some(kept) = KEPT
        .lock()
        .ok()
        .and_then(|k| k.by_digest.get(&key).cloned())
    {
        return kept.html;
    }
    // Two first views at once may both render; the second keeps its own copy.
    let html: Arc<str> = render(markdown).into();
    let rendering = Rendering {
        html: html.clone(),
        number: RENDERINGS.fetch_add(1, Ordering::Relaxed) + 1,
    };
    if let Ok(mut kept) = KEPT.lock() {
        let full = kept.by_digest.len() >= MAX_KEPT || kept.bytes + html.len() > MAX_KEPT_BYTES;
        if full && !kept.by_digest.contains_key(&key) {
            *kept = Kept::default();
        }
        if html.len() <= MAX_KEPT_BYTES {
            kept.bytes += html.len();
            if let Some(replaced) = kept.by_digest.insert(key, rendering) {
                kept.bytes -= replaced.html.len();
            }
        }
    }
    html
}

/// Which rendering the cache holds for this text (they are numbered from the start
/// of the process), if it holds one: the same number after another view means that
/// view rendered nothing.
pub fn rendering_of(markdown: &str) -> Option<u64> {
    let key = digest(markdown);
    KEPT.lock()
        .ok()
        .and_then(|k| k.by_digest.get(&key).map(|r| r.number))
}

/// How many renderings are kept (for `/metrics`).
pub fn held() -> usize {
    KEPT.lock().map_or(0, |k| k.by_digest.len())
}

/// Elements nested deeper than this are left out (their text stays). The
/// sanitiser's HTML parser looks through the open elements at each tag, so each
/// level costs once per tag after it: 100,000 `>` (a quote in a quote in …) took
/// minutes. Real descriptions nest a few levels.
const MAX_DEPTH: usize = 32;

fn render(markdown: &str) -> String {
    let mut rendered = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    html::push_html(&mut rendered, bounded(Parser::new_ext(markdown, options)));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&rendered)
        .to_string()
}

/// The events of a document with no element nested deeper than [`MAX_DEPTH`]:
/// Markdown's beyond it are dropped, their text kept; raw HTML that would open
/// elements beyond it is shown as text.
fn bounded<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    // For each open Markdown element, whether it was let through.
    let mut open: Vec<bool> = Vec::new();
    let mut depth = 0_usize;
    let mut raw_depth = 0_usize;
    events.filter_map(move |event| match event {
        Event::Start(tag) => {
            let through = depth + raw_depth < MAX_DEPTH;
            open.push(through);
            through.then(|| {
                depth += 1;
                Event::Start(tag)
            })
        }
        Event::End(tag) => {
            let through = open.pop().unwrap_or(false);
            through.then(|| {
                depth -= 1;
                Event::End(tag)
            })
        }
        Event::Html(raw) | Event::InlineHtml(raw) => {
            let after = raw_depth_after(raw_depth, &raw);
            if depth + after.deepest > MAX_DEPTH {
                Some(Event::Text(raw))
            } else {
                raw_depth = after.open;
                Some(Event::Html(raw))
            }
        }
        other => Some(other),
    })
}

struct RawDepth {
    /// Elements left open after the raw HTML.
    open: usize,
    /// The most open at once within it.
    deepest: usize,
}

/// How deep raw HTML nests, counted as its tags read: an opening tag that is not
/// void or self-closing opens one, a closing tag closes one. An over-estimate where
/// HTML closes elements by itself (`<p><p>`), which only shows more as text.
fn raw_depth_after(mut open: usize, raw: &str) -> RawDepth {
    const VOID: [&str; 14] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let mut deepest = open;
    let mut rest = raw;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let name_start = usize::from(closing);
        let name: String = rest[name_start..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let end = rest.find('>').unwrap_or(rest.len());
        let self_closing = rest[..end].ends_with('/');
        if closing {
            open = open.saturating_sub(1);
        } else if !self_closing && !VOID.contains(&name.as_str()) {
            open += 1;
            deepest = deepest.max(open);
        }
    }
    RawDepth { open, deepest }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_nothing_in_it_runs() {
        let html = to_safe_html(
            "**bold** [site](https://example.org) [x](javascript:alert(1))\n\n\
             <script>alert(1)</script><img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(html.contains("href=\"https://example.org\""), "{html}");
        for bad in ["<script", "onerror", "href=\"javascript:"] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
    }

    #[test]
    fn nesting_stops_at_its_limit_and_keeps_the_words() {
        let deep = format!("{} deep", ">".repeat(10_000));
        let html = render(&deep);
        assert_eq!(html.matches("<blockquote>").count(), MAX_DEPTH, "{html}");
        assert!(html.contains("deep"), "{html}");

        let shallow = "> > quoted\n\n- a\n  - b\n    - c\n\n<div><b>raw</b></div>";
        let html = render(shallow);
        assert_eq!(html.matches("<blockquote>").count(), 2, "{html}");
        assert_eq!(html.matches("<ul>").count(), 3, "{html}");
        assert!(html.contains("<div><b>raw</b></div>"), "{html}");

        let raw = format!("{}raw", "<div>".repeat(10_000));
        let html = render(&raw);
        assert!(!html.contains("<div>"), "{html}");
        assert!(html.contains("&lt;div&gt;"), "{html}");
    }

    #[test]
    fn raw_html_depth_counts_opening_closing_void_and_self_closing_tags() {
        let depth = raw_depth_after(
            1,
            "<div class=\"a>b\"><br><img src=x/><p>t</p><span/>< 3 <!-- c -->",
        );
        assert_eq!((depth.open, depth.deepest), (2, 3));
        assert_eq!(raw_depth_after(0, "</div></div>").open, 0);
    }

    #[test]
    fn a_long_text_is_rendered_once_and_a_changed_one_again() {
        let text = format!("{} **{}**", "word ".repeat(100), uuid::Uuid::new_v4());
        let first = to_safe_html(&text);
        let number = rendering_of(&text).expect("kept");
        assert_eq!(to_safe_html(&text), first);
        assert_eq!(rendering_of(&text), Some(number), "rendered again");
        let changed = format!("{text}!");
        assert_eq!(rendering_of(&changed), None);
        to_safe_html(&changed);
        assert!(rendering_of(&changed) > Some(number));
    }
}
