//! Organisers write descriptions in Markdown; pages show them as HTML that can run
//! nothing. pulldown-cmark renders (raw HTML included, as Markdown allows), then
//! ammonia keeps only an allow-list of tags, attributes and URL schemes.

use pulldown_cmark::{Options, Parser, html};

/// Markdown as HTML safe to put in a page: no script, no event handler, no
/// `javascript:` link, whatever the source held.
pub fn to_safe_html(markdown: &str) -> String {
    let mut rendered = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&rendered)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

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
}
