//! Every word a person reads, from one catalogue per language:
//! `templates/words/{en,es,fr}.toml`, compiled into the binary.
//!
//! A message is a small minijinja template, so each language writes its own plurals
//! (`{% if n == 1 %}`) and word order. It reads the variables its caller has
//! (`{{ event.title }}`) and any passed to it (`t("page.petition.signatures", n=3)`).
//! Templates call `t("key", ..)`: in an HTML template the message's own text is
//! escaped like any value and its line breaks become spaces; in a plain-text one it
//! is left as written, line breaks included (they wrap the plain-text emails).
//! A key missing from a language is an error, never a silent fallback to English;
//! so is a template without a `locale`, and a message printing a variable its
//! caller does not have (it may ask `{% if name %}`).
//!
//! Most messages read no variable: those are rendered once, as the catalogues load,
//! and `t()` hands out the ready text (or HTML) without rendering anything.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use minijinja::value::Kwargs;
use minijinja::{
    AutoEscape, Environment, Error, ErrorKind, HtmlEscape, State, UndefinedBehavior, Value,
};

use crate::domain::Locale;

/// The catalogue of each language. A language added to [`Locale`] needs its file here.
fn catalogue(locale: Locale) -> &'static str {
    match locale {
        Locale::En => include_str!("../templates/words/en.toml"),
        Locale::Es => include_str!("../templates/words/es.toml"),
        Locale::Fr => include_str!("../templates/words/fr.toml"),
    }
}

/// The catalogues, read once. A catalogue that does not load stops the process at
/// its first word; the unit tests load every one, so that is a failed build, not a
/// failed server.
#[allow(
    clippy::expect_used,
    reason = "the catalogues are compiled in and tested"
)]
static WORDS: LazyLock<Words> =
    LazyLock::new(|| Words::load().expect("the word catalogues load (see words::tests)"));

/// A catalogue that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WordsError {
    #[error("templates/words/{locale}.toml: {source}")]
    Toml {
        locale: Locale,
        source: toml::de::Error,
    },
    #[error("templates/words/{locale}.toml: `{key}` is not text")]
    NotText { locale: Locale, key: String },
    #[error("templates/words/{locale}.toml: `{key}`: {source}")]
    Template {
        locale: Locale,
        key: String,
        source: Error,
    },
}

/// The compiled messages of every language.
pub struct Words {
    /// The templates of the messages that read variables: `{lang}/{key}` for plain
    /// text, `{lang}/{key}#html`.
    env: Environment<'static>,
    /// Each language's messages by key, the languages in the order of [`slot`].
    messages: [HashMap<String, Message>; Locale::ALL.len()],
}

/// One message in one language.
enum Message {
    /// A message that reads no variable (most of them): its plain text and its HTML,
    /// rendered once as it loads.
    Ready { text: Value, html: Value },
    /// A message that reads variables: its two templates in [`Words::env`], and the
    /// variables it reads.
    Template {
        name: String,
        html_name: String,
        reads: Vec<String>,
    },
}

/// The place of `locale`'s messages in [`Words::messages`].
fn slot(locale: Locale) -> usize {
    match locale {
        Locale::En => 0,
        Locale::Es => 1,
        Locale::Fr => 2,
    }
}

impl Words {
    /// The catalogues of the binary.
    pub fn get() -> &'static Self {
        &WORDS
    }

    fn load() -> Result<Self, WordsError> {
        Self::from_catalogues(|locale| catalogue(locale).to_owned())
    }

    /// The words of the catalogues `source` gives, one for each language.
    pub fn from_catalogues(source: impl Fn(Locale) -> String) -> Result<Self, WordsError> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|name| {
            if name.ends_with("#html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        // A message that prints a variable its caller does not have fails, rather
        // than reading blank; `{% if name %}` may still ask whether it is there.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.add_filter("grouped", grouped);
        let mut words = Self {
            env,
            messages: Default::default(),
        };
        for locale in Locale::ALL {
            let table: toml::Table = toml::from_str(&source(locale))
                .map_err(|source| WordsError::Toml { locale, source })?;
            let mut messages = BTreeMap::new();
            flatten("", table, &mut messages).map_err(|key| WordsError::NotText { locale, key })?;
            for (key, text) in messages {
                let message =
                    words
                        .compile(locale, &key, text)
                        .map_err(|source| WordsError::Template {
                            locale,
                            key: key.clone(),
                            source,
                        })?;
                words.messages[slot(locale)].insert(key, message);
            }
        }
        Ok(words)
    }

    /// The message `text` of `key` in `locale`: rendered now if it reads no
    /// variable, else added to the environment.
    fn compile(&mut self, locale: Locale, key: &str, text: String) -> Result<Message, Error> {
        let name = format!("{locale}/{key}");
        let html_name = format!("{name}#html");
        let html = as_html(&text);
        let reads: Vec<String> = self
            .env
            .template_from_named_str(&name, &text)?
            .undeclared_variables(false)
            .into_iter()
            .collect();
        if reads.is_empty() {
            let ready = |name: &str, source: &str| {
                self.env.template_from_named_str(name, source)?.render(())
            };
            return Ok(Message::Ready {
                text: Value::from(ready(&name, &text)?),
                html: Value::from_safe_string(ready(&html_name, &html)?),
            });
        }
        self.env.add_template_owned(name.clone(), text)?;
        self.env.add_template_owned(html_name.clone(), html)?;
        Ok(Message::Template {
            name,
            html_name,
            reads,
        })
    }

    /// The keys of a language's catalogue.
    pub fn keys(&self, locale: Locale) -> impl Iterator<Item = &str> {
        self.messages[slot(locale)].keys().map(String::as_str)
    }

    /// `key` in `locale`, as HTML (a safe string) or plain text; each variable the
    /// message reads comes from `variable` (a missing one is undefined).
    fn render(
        &self,
        locale: Locale,
        key: &str,
        html: bool,
        variable: impl Fn(&str) -> Option<Value>,
    ) -> Result<Value, Error> {
        let Some(message) = self.messages[slot(locale)].get(key) else {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                format!("no message `{key}` in templates/words/{locale}.toml"),
            ));
        };
        match message {
            Message::Ready { text, .. } if !html => Ok(text.clone()),
            Message::Ready { html, .. } => Ok(html.clone()),
            Message::Template {
                name,
                html_name,
                reads,
            } => {
                let context: BTreeMap<&str, Value> = reads
                    .iter()
                    .filter_map(|read| Some((read.as_str(), variable(read)?)))
                    .collect();
                let text = self
                    .env
                    .get_template(if html { html_name } else { name })?
                    .render(context)?;
                Ok(if html {
                    Value::from_safe_string(text)
                } else {
                    Value::from(text)
                })
            }
        }
    }

    /// `key` in `locale` as plain text, with `params` for the variables it reads.
    pub fn text(
        &self,
        locale: Locale,
        key: &str,
        params: &[(&str, Value)],
    ) -> Result<String, Error> {
        self.render(locale, key, false, |name| {
            params
                .iter()
                .find(|(param, _)| *param == name)
                .map(|(_, value)| value.clone())
        })
        .map(|text| text.to_string())
    }

    /// `key` in `locale` as plain text, its variables read from `context` (an
    /// email's subject, say).
    pub fn text_in(&self, locale: Locale, key: &str, context: &Value) -> Result<String, Error> {
        self.render(locale, key, false, |name| {
            context.get_attr(name).ok().filter(|v| !v.is_undefined())
        })
        .map(|text| text.to_string())
    }

    /// Make `t(key, ..)`, the `grouped` filter and the `languages` we write
    /// available to templates.
    pub fn install(&'static self, env: &mut Environment<'_>) {
        env.add_function("t", move |state: &State, key: &str, params: Kwargs| {
            self.t(state, key, &params)
        });
        env.add_filter("grouped", grouped);
        // The languages we write, each named in itself (for a language menu).
        let languages: Vec<Value> = Locale::ALL
            .into_iter()
            .map(|locale| {
                let name = self.text(locale, "language.name", &[]).unwrap_or_default();
                minijinja::context! { code => locale.as_str(), name => name }
            })
            .collect();
        env.add_global("languages", languages);
    }

    /// `t("key", name=value, ..)`: the message in the template's `locale`, as HTML
    /// in an HTML template. A context without a `locale` we write is an error, as a
    /// missing key is: never English by default.
    fn t(&self, state: &State, key: &str, params: &Kwargs) -> Result<Value, Error> {
        let Some(locale) = state
            .lookup("locale")
            .and_then(|l| l.as_str().and_then(locale_named))
        else {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                format!("t(\"{key}\"): the context has no `locale` we write (templates/words/)"),
            ));
        };
        let html = matches!(state.auto_escape(), AutoEscape::Html);
        self.render(locale, key, html, |name| {
            if params.has(name) {
                params.get::<Value>(name).ok()
            } else {
                state.lookup(name).filter(|v| !v.is_undefined())
            }
        })
    }
}

/// The language a context's `locale` names: one of our codes, as written (`"fr"`).
fn locale_named(code: &str) -> Option<Locale> {
    Locale::ALL
        .into_iter()
        .find(|locale| locale.as_str() == code)
}

/// The words of `key` in `locale` as plain text, for a page's Rust code. A key
/// missing from the catalogue (which the tests rule out) is logged and shown as
/// the key, rather than failing the page it is on.
pub fn say(locale: Locale, key: &str, params: &[(&str, Value)]) -> String {
    Words::get().text(locale, key, params).unwrap_or_else(|e| {
        tracing::error!(error = %e, key, "a message failed");
        key.to_owned()
    })
}

/// `n|grouped(separator, from_digits=4)`: the digits of a count in groups of
/// three, when it has at least `from_digits` of them (`1,234`; Spanish writes
/// `1234` but `12 345`). Each language's messages choose the separator. A count
/// the caller does not have is an error, as printing it would be.
fn grouped(n: &Value, separator: &str, from_digits: Option<usize>) -> Result<String, Error> {
    if n.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "`grouped` has no count to group",
        ));
    }
    let digits = n.to_string();
    let count = digits.trim_start_matches('-').chars().count();
    Ok(if count < from_digits.unwrap_or(4) {
        digits
    } else {
        group_digits(&digits, separator)
    })
}

/// A whole number's digits (after a `-`, if any) in groups of three from the
/// right, `separator` between them: `-1234567` → `-1,234,567`. Counts in messages
/// and amounts of money (`email::render::amount_text`) both group this way.
pub fn group_digits(number: &str, separator: &str) -> String {
    let (sign, digits) = number
        .strip_prefix('-')
        .map_or(("", number), |digits| ("-", digits));
    let count = digits.chars().count();
    let mut out = String::with_capacity(number.len() + separator.len() * count / 3);
    out.push_str(sign);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (count - i).is_multiple_of(3) {
            out.push_str(separator);
        }
        out.push(digit);
    }
    out
}

/// Flatten a catalogue's tables into dotted keys; the key of a value that is not
/// text is the error.
fn flatten(
    prefix: &str,
    table: toml::Table,
    into: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::String(text) => {
                into.insert(key, text);
            }
            toml::Value::Table(table) => flatten(&key, table, into)?,
            _ => return Err(key),
        }
    }
    Ok(())
}

/// A message's HTML version: its own text escaped as a value would be (so `'`
/// reads the same as in a page's data), its line breaks spaces. Tags are kept.
fn as_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = ["{{", "{%", "{#"]
        .iter()
        .filter_map(|open| rest.find(open))
        .min()
    {
        out.push_str(&literal_html(&rest[..start]));
        let close = match &rest[start..start + 2] {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        let end = rest[start + 2..]
            .find(close)
            .map_or(rest.len(), |at| start + 2 + at + 2);
        out.push_str(&rest[start..end]);
        rest = &rest[end..];
    }
    out.push_str(&literal_html(rest));
    out
}

fn literal_html(text: &str) -> String {
    HtmlEscape(&text.replace('\n', " ")).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_catalogue_loads() {
        if let Err(e) = Words::load() {
            panic!("{e}");
        }
    }

    #[test]
    fn every_language_has_exactly_the_keys_of_english() {
        let words = Words::get();
        let english: BTreeSet<&str> = words.keys(Locale::En).collect();
        assert!(english.len() > 100, "{}", english.len());
        for locale in Locale::ALL {
            let keys: BTreeSet<&str> = words.keys(locale).collect();
            let missing: Vec<_> = english.difference(&keys).collect();
            let extra: Vec<_> = keys.difference(&english).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "templates/words/{locale}.toml: missing {missing:?}, not in English {extra:?}"
            );
        }
    }

    #[test]
    fn a_missing_key_is_an_error() {
        let e = Words::get()
            .text(Locale::Fr, "page.nowhere", &[])
            .unwrap_err();
        assert!(e.to_string().contains("page.nowhere"), "{e}");
    }

    /// The messages a language words without a variable that English reads.
    const LEFT_OUT: [(Locale, &str, &str); 3] = [
        (Locale::Fr, "email.rsvp_going.heading", "event.title"),
        (Locale::Fr, "email.event_reminder.heading", "event.title"),
        // French names the target on a line of its own (`target_label`).
        (Locale::Fr, "email.petition_thanks.intro", "petition.target"),
    ];

    /// Each message of a catalogue, and the variables it reads (`event.title`).
    fn reads(locale: Locale) -> BTreeMap<String, BTreeSet<String>> {
        let table: toml::Table = toml::from_str(catalogue(locale)).unwrap();
        let mut messages = BTreeMap::new();
        flatten("", table, &mut messages).unwrap();
        let env = Environment::new();
        messages
            .into_iter()
            .map(|(key, text)| {
                let reads = env
                    .template_from_str(&text)
                    .unwrap()
                    .undeclared_variables(true)
                    .into_iter()
                    .collect();
                (key, reads)
            })
            .collect()
    }

    #[test]
    fn every_language_reads_the_variables_english_reads() {
        let english = reads(Locale::En);
        for locale in Locale::ALL {
            for (key, mut read) in reads(locale) {
                let left_out = LEFT_OUT
                    .iter()
                    .filter(|(l, k, _)| *l == locale && *k == key)
                    .map(|(_, _, variable)| (*variable).to_owned());
                for variable in left_out {
                    assert!(
                        read.insert(variable.clone()),
                        "templates/words/{locale}.toml: `{key}` reads {variable}: drop it from LEFT_OUT"
                    );
                }
                assert_eq!(
                    Some(&read),
                    english.get(&key),
                    "templates/words/{locale}.toml: `{key}` reads other variables than English"
                );
            }
        }
    }

    #[test]
    fn a_missing_variable_is_an_error() {
        let words = Words::get();
        for key in [
            "page.event.organised_by",
            "page.petition.signatures",
            "email.guests",
        ] {
            let e = words.text(Locale::En, key, &[]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UndefinedError, "{key}: {e}");
        }
        // A message may still ask whether a variable is there.
        assert_eq!(
            words.text(Locale::En, "email.greeting", &[]).unwrap(),
            "Hello,"
        );
        assert_eq!(
            words
                .text(
                    Locale::En,
                    "page.event.organised_by",
                    &[("name", "Circle".into())]
                )
                .unwrap(),
            "Organised by Circle"
        );
    }

    #[test]
    fn t_speaks_the_contexts_locale_and_no_other() {
        let mut env = Environment::new();
        Words::get().install(&mut env);
        let skip = |context: Value| env.render_str(r#"{{ t("page.skip") }}"#, context);
        assert_eq!(
            skip(minijinja::context! { locale => "fr" }).unwrap(),
            "Aller au contenu"
        );
        for context in [
            minijinja::context! {},
            minijinja::context! { locale => "pt" },
            minijinja::context! { locale => 1 },
        ] {
            let e = skip(context).unwrap_err();
            assert!(e.to_string().contains("locale"), "{e}");
        }
    }

    #[test]
    fn the_confirmation_page_counts_its_signers_in_each_language() {
        let count = |locale, n: i64| {
            Words::get()
                .text(locale, "page.confirm.count", &[("n", n.into())])
                .unwrap()
        };
        assert_eq!(count(Locale::En, 1), "1 person has signed so far.");
        assert_eq!(count(Locale::En, 1234), "1,234 people have signed so far.");
        assert_eq!(count(Locale::Es, 1), "1 persona ha firmado hasta ahora.");
        assert_eq!(
            count(Locale::Es, 1234),
            "1234 personas han firmado hasta ahora."
        );
        assert_eq!(
            count(Locale::Es, 12345),
            "12\u{a0}345 personas han firmado hasta ahora."
        );
        assert_eq!(count(Locale::Fr, 1), "1 personne a signé jusqu’à présent.");
        assert_eq!(
            count(Locale::Fr, 1234),
            "1\u{202f}234 personnes ont signé jusqu’à présent."
        );
    }

    #[test]
    fn an_events_places_are_one_paragraph() {
        let places = |going: i64, left: Option<i64>, waitlist: bool, approval: bool| {
            Words::get()
                .text(
                    Locale::En,
                    "page.event.places",
                    &[
                        ("going", going.into()),
                        ("left", left.into()),
                        ("waitlist", waitlist.into()),
                        ("approval", approval.into()),
                    ],
                )
                .unwrap()
        };
        assert_eq!(
            places(1234, Some(1), false, false),
            "1,234 people are going. 1 place left."
        );
        assert_eq!(
            places(0, None, true, true),
            "The event is full: you can join the waitlist. The organisers confirm each place."
        );
        assert_eq!(
            places(1, Some(3), false, false),
            "1 person is going. 3 places left."
        );
        assert_eq!(places(0, None, false, false), "");
    }

    #[test]
    fn html_escapes_the_message_and_its_values_and_unwraps_lines() {
        assert_eq!(
            as_html("It’s <b>{{ name }}</b>'s\nturn {% if x %}&{% endif %}"),
            "It’s &lt;b&gt;{{ name }}&lt;&#x2f;b&gt;&#x27;s turn {% if x %}&amp;{% endif %}"
        );
    }

    #[test]
    fn counts_group_their_digits_as_each_language_asks() {
        let group = |n: i64, sep, from| grouped(&Value::from(n), sep, from).unwrap();
        assert_eq!(group(999, ",", None), "999");
        assert_eq!(group(1234, ",", None), "1,234");
        assert_eq!(group(1_234_567, ",", None), "1,234,567");
        assert_eq!(group(1234, "\u{a0}", Some(5)), "1234");
        assert_eq!(group(12345, "\u{a0}", Some(5)), "12\u{a0}345");
        assert_eq!(group(-1234, ",", None), "-1,234");
        assert_eq!(group(-123, ",", None), "-123");
    }
}
