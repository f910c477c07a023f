//! Markdown benchmarks (not tests): the time a page spends on a description built to
//! be slow, rendered as before issue 15 (pulldown-cmark then ammonia, every view),
//! rendered now (nesting bounded) on a text's first view, and on every later view
//! (kept). Run with `cargo bench --bench markdown`; the figures go in BENCHMARKS.md.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark stops at the first surprise"
)]

use std::time::{Duration, Instant};

use turnout::pages::markdown::{rendering_of, to_safe_html};

/// What `to_safe_html` did before: no bound, no cache.
fn as_before(markdown: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let mut rendered = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&rendered)
        .to_string()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median of `runs` timings of `f`, each given the run's number.
fn time(runs: usize, mut f: impl FnMut(usize)) -> Duration {
    median(
        (0..runs)
            .map(|run| {
                let started = Instant::now();
                f(run);
                started.elapsed()
            })
            .collect(),
    )
}

fn main() {
    // Each within the 50,000 characters a description may have.
    let ordinary = "## What to bring\n\nA **warm coat**, a [map](https://example.org/map) \
                    and your questions.\n\n- tea\n- biscuits\n  - gluten-free too\n\n> All welcome.\n\n"
        .repeat(40);
    let cases = [
        ("ordinary description, 5 KB", ordinary),
        (
            "a quote in a quote, 40,000 deep",
            format!("{} words", ">".repeat(40_000)),
        ),
        (
            "raw <div> 9,000 deep",
            format!("{}words", "<div>".repeat(9_000)),
        ),
        (
            "lists and quotes, 4,000 deep",
            (0..500)
                .map(|i| format!("{}- item\n", "  ".repeat(i.min(24))))
                .collect::<String>()
                + &"> - ".repeat(2_000),
        ),
        (
            "nested emphasis, 16,000 marks",
            format!("{}x{}", "*_".repeat(8_000), "_*".repeat(8_000)),
        ),
    ];
    println!(
        "{:<34} {:>12} {:>14} {:>12}",
        "description", "before", "first view", "later view"
    );
    for (name, text) in cases {
        assert!(
            text.chars().count() <= 50_000,
            "{name}: {}",
            text.chars().count()
        );
        let before = time(3, |_| {
            std::hint::black_box(as_before(&text));
        });
        // A new text each run (as after an organiser's change), so none is kept yet.
        let first = time(5, |run| {
            std::hint::black_box(to_safe_html(&format!("{text}\n\nchange {run}")));
        });
        to_safe_html(&text);
        assert!(rendering_of(&text).is_some(), "{name} is kept");
        let later = time(1_001, |_| {
            std::hint::black_box(to_safe_html(&text));
        });
        println!("{name:<34} {before:>12.2?} {first:>14.2?} {later:>12.2?}");
    }
}
