//! Compile the templates in `templates/` into the binary (the words in
//! `templates/words/` are read by `src/words.rs`).

fn main() {
    minijinja_embed::embed_templates!("templates", &[".j2"]);
}
