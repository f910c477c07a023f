//! Text for calendar clients: Markdown made plain, TEXT values escaped, and content
//! lines folded at 75 octets without splitting a UTF-8 character.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Escape a TEXT value (RFC 5545 §3.3.11). Control characters other than line
/// breaks are dropped first: a CR or LF that reached the output raw would end the
/// property and start another (property injection).
pub fn escape(raw: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\r')
        .collect();
    ics::escape_text(clean).into_owned()
}

/// Fold every content line of a rendered calendar to at most 75 octets (the CRLF not
/// counted), continuation lines starting with one space, never inside a character.
/// Lines the `ics` crate folded are unfolded first: it lets continuation lines reach
/// 76 octets.
pub fn refold(rendered: &str) -> String {
    let unfolded = rendered.replace("\r\n ", "");
    let mut out = String::with_capacity(unfolded.len() + unfolded.len() / 70 * 3);
    for line in unfolded.split("\r\n").filter(|l| !l.is_empty()) {
        fold_line(&mut out, line);
    }
    out
}

fn fold_line(out: &mut String, line: &str) {
    const LIMIT: usize = 75;
    let mut rest = line;
    let mut budget = LIMIT;
    loop {
        if rest.len() <= budget {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = budget;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // A continuation line's leading space counts against its 75 octets.
        budget = LIMIT - 1;
    }
}

/// Markdown as plain text: paragraphs kept apart, list items marked, links followed
/// by their address, raw HTML dropped.
pub fn plain_from_markdown(markdown: &str) -> String {
    let mut out = String::new();
    let mut links = Vec::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => out.push_str("- "),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop()
                    && !out.ends_with(url.as_str())
                {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::BlockQuote(_),
            ) => out.push_str("\n\n"),
            Event::End(TagEnd::Item) => out.push('\n'),
            Event::End(TagEnd::List(_)) => out.push('\n'),
            Event::Rule => out.push_str("\n\n"),
            _ => {}
        }
    }
    let trimmed = out.trim();
    // Collapse the blank lines block ends leave behind.
    let mut collapsed = String::with_capacity(trimmed.len());
    for line in trimmed.lines() {
        if line.trim().is_empty() && collapsed.ends_with("\n\n") {
            continue;
        }
        collapsed.push_str(line.trim_end());
        collapsed.push('\n');
    }
    collapsed.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_escaped_and_cannot_inject_properties() {
        assert_eq!(escape("a, b; c\\d"), "a\\, b\\; c\\\\d");
        assert_eq!(
            escape("line one\r\nSTATUS:CANCELLED"),
            "line one\\nSTATUS:CANCELLED"
        );
        assert_eq!(escape("bell\u{7}tab\there"), "belltab here");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let line = format!("SUMMARY:{}", "é".repeat(100));
        let folded = refold(&format!("{line}\r\n"));
        for part in folded.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    #[test]
    fn markdown_becomes_plain_text() {
        let md = "# Film night\n\nWorkers run the **factory**.\n\n- free entry\n- [tickets](https://example.org/t)\n\n<script>alert(1)</script>";
        let text = plain_from_markdown(md);
        assert_eq!(
            text,
            "Film night\n\nWorkers run the factory.\n\n- free entry\n- tickets (https://example.org/t)"
        );
    }
}
