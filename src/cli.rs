//! The command line: `serve`, `migrate`, `worker` and `admin`.

use clap::{Parser, Subcommand};

use crate::{
    app::App,
    config::Config,
    domain::{Email, InvalidField},
    organisations::{Organisations, password::NewPassword, service::NewOrganisation},
};

#[derive(Parser, Debug)]
#[command(
    name = "turnout",
    version,
    about = "Campaigns, events, petitions and fundraising for solidarity groups"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Apply migrations, then serve (the default).
    Serve {
        /// Load the demo data set if the database is empty.
        #[arg(long)]
        demo: bool,
    },
    /// Apply migrations and exit.
    Migrate,
    /// Run only the background jobs (email delivery, reminders).
    Worker,
    /// Administration.
    Admin {
        #[command(subcommand)]
        command: Admin,
    },
}

#[derive(Subcommand, Debug)]
enum Admin {
    /// Create an organisation and its owner; print the owner's API token on the last line.
    Bootstrap {
        #[arg(long)]
        org_slug: String,
        #[arg(long)]
        org_name: String,
        /// An IANA zone, such as America/Toronto.
        #[arg(long)]
        timezone: String,
        #[arg(long)]
        email: String,
    },
    /// Print a new API token for an organiser.
    CreateToken {
        #[arg(long)]
        email: String,
    },
    /// Print a one-time link (valid 24 hours) that signs the organiser in to the
    /// console at /admin.
    SignInLink {
        #[arg(long)]
        email: String,
    },
    /// Set an organiser's password, read from stdin (its first line); every other
    /// token and session of theirs ends.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = Config::from_env()?;
        match self.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Serve { demo } => {
                let app = App::build(config).await?;
                if demo
                    && crate::demo::load_if_empty(app.db(), app.site(), chrono::Utc::now()).await?
                {
                    let demo = Email::parse(crate::demo::DEMO_ORGANISER)?;
                    let link = app.organisations().sign_in_link(&demo).await?;
                    #[allow(
                        clippy::print_stdout,
                        reason = "the link is for the person at the terminal"
                    )]
                    {
                        println!("Sign in to the console as {demo}: {link}");
                    }
                }
                app.run_until_stopped().await?;
            }
            Command::Worker => {
                let db = crate::db::connect(&config.database_url).await?;
                crate::db::migrate(&db).await?;
                let site = crate::app::site(&config, &db).await?;
                let renderer = std::sync::Arc::new(crate::email::render::Renderer::new());
                let worker = crate::app::worker(&config, db, site, renderer)?;
                tracing::info!("worker started");
                worker.run(crate::app::shutdown_signal()).await;
            }
            Command::Migrate => {
                let db = crate::db::connect(&config.database_url).await?;
                crate::db::migrate(&db).await?;
                tracing::info!("migrations applied");
            }
            Command::Admin { command } => {
                let db = crate::db::connect(&config.database_url).await?;
                crate::db::migrate(&db).await?;
                let site = crate::app::site(&config, &db).await?;
                let organisations = Organisations::new(db, site);
                let line = match command {
                    Admin::Bootstrap {
                        org_slug,
                        org_name,
                        timezone,
                        email,
                    } => {
                        let new = NewOrganisation::parse(&org_slug, &org_name, &timezone, &email)?;
                        organisations.bootstrap(new).await?
                    }
                    Admin::CreateToken { email } => {
                        organisations.create_token(&Email::parse(&email)?).await?
                    }
                    Admin::SignInLink { email } => {
                        organisations.sign_in_link(&Email::parse(&email)?).await?
                    }
                    Admin::SetPassword { email } => {
                        let email = Email::parse(&email)?;
                        let mut typed = String::new();
                        std::io::stdin().read_line(&mut typed)?;
                        let typed = typed.trim_end_matches(['\r', '\n']);
                        let password = NewPassword::parse(typed).map_err(InvalidField::from)?;
                        organisations.set_password(&email, &password).await?;
                        format!(
                            "The password of {email} is set; their other tokens and sessions ended."
                        )
                    }
                };
                // The token or link alone on the last line, for scripts.
                #[allow(clippy::print_stdout)]
                {
                    println!("{line}");
                }
            }
        }
        Ok(())
    }
}
